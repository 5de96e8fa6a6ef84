// ws_server.mjs - the Node `ws` baseline of the runtime benchmark: the
// bench interface (echo, note, subscribe, fanout, tick) over a hand-written
// JSON protocol, what one would write with `ws` and no framework:
//   {"id":N,"fn":"echo","args":{"n":N}}     -> {"id":N,"value":N}
//   {"fn":"note","args":{"n":1}}            (no answer)
//   {"id":N,"fn":"subscribe","args":{}}     -> {"id":N,"value":null}
//   {"id":N,"fn":"fanout","args":{"n":K}}   -> {"fn":"tick","args":{"n":K}} to
//                                              every subscriber, then {"id":N,"value":null}
// usage: node bench/ws_server.mjs [PORT]   (127.0.0.1; 0 or none: a free
// port). Prints "listening PORT". SIGUSR2 runs the garbage collector when
// node was started with --expose-gc (for the memory scenario).
import { WebSocketServer } from 'ws';

const port = Number(process.argv[2] || 0);
const wss = new WebSocketServer({ host: '127.0.0.1', port, perMessageDeflate: false,
                                  clientTracking: false, backlog: 4096 });
const subs = new Set();
let notes = 0;

wss.on('listening', () => console.log(`listening ${wss.address().port}`));
wss.on('connection', (ws) => {
  ws.on('message', (data) => {
    let m;
    try {
      m = JSON.parse(data);
    } catch {
      ws.send('{"error":"malformed JSON"}');
      return;
    }
    switch (m.fn) {
      case 'echo':
        ws.send(JSON.stringify({ id: m.id, value: m.args.n }));
        break;
      case 'note':
        notes += m.args.n > 0 ? 1 : 0;
        break;
      case 'subscribe':
        subs.add(ws);
        ws.send(JSON.stringify({ id: m.id, value: null }));
        break;
      case 'fanout': {
        const tick = JSON.stringify({ fn: 'tick', args: { n: m.args.n } });
        for (const s of subs) s.send(tick);
        ws.send(JSON.stringify({ id: m.id, value: null }));
        break;
      }
      default:
        ws.send(JSON.stringify({ id: m.id, error: 'no such function' }));
    }
  });
  ws.on('close', () => subs.delete(ws));
});
process.on('SIGUSR2', () => globalThis.gc?.());
process.on('SIGTERM', () => process.exit(0));
process.on('SIGINT', () => process.exit(0));
