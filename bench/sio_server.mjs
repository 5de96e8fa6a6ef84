// sio_server.mjs - the Socket.IO baseline of the runtime benchmark: the
// bench interface as Socket.IO events with acknowledgements.
//   emit('echo', {n}, ack)      ack(n)
//   emit('note', {n})           (no answer)
//   emit('subscribe', ack)      joins the room "subs", ack(null)
//   emit('fanout', {n}, ack)    io.to('subs').emit('tick', {n}), ack(null)
// WebSocket transport only (no HTTP long-polling first), no compression:
// the fastest way to run Socket.IO. usage: node bench/sio_server.mjs [PORT]
// (127.0.0.1; 0 or none: a free port). Prints "listening PORT". SIGUSR2
// runs the garbage collector when node was started with --expose-gc.
import http from 'node:http';
import { Server } from 'socket.io';

const port = Number(process.argv[2] || 0);
const httpServer = http.createServer();
const io = new Server(httpServer, {
  transports: ['websocket'],
  serveClient: false,
  perMessageDeflate: false,
  httpCompression: false,
  connectTimeout: 60000,
});
let notes = 0;

io.on('connection', (socket) => {
  socket.on('echo', (a, ack) => ack(a.n));
  socket.on('note', (a) => { notes += a.n > 0 ? 1 : 0; });
  socket.on('subscribe', (ack) => { socket.join('subs'); ack(null); });
  socket.on('fanout', (a, ack) => {
    io.to('subs').emit('tick', { n: a.n });
    ack(null);
  });
});
httpServer.listen({ port, host: '127.0.0.1', backlog: 4096 },
                  () => console.log(`listening ${httpServer.address().port}`));
process.on('SIGUSR2', () => globalThis.gc?.());
process.on('SIGTERM', () => process.exit(0));
process.on('SIGINT', () => process.exit(0));
