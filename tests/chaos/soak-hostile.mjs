// soak-hostile.mjs - the hostile clients of soak.test.mjs, in a worker
// thread of their own so that their work does not delay the pages the
// test times: HOSTILE clients from 127.0.0.2 cycle through the input
// classes of docs/security.md, each connection bounded by its own
// deadline and destroyed. The test posts {run: ms}; the worker answers
// {tally} (outcomes by class) when that load is over.
import net from 'node:net';
import { parentPort, workerData } from 'node:worker_threads';

import { prng, WebSocket } from './helpers.mjs';

const { port, schema, seed, hostile: HOSTILE, holdMs: HOLD_MS } = workerData;
const server = { port, schema, wsUrl: `ws://127.0.0.1:${port}/lv/ws` };
const BAD = '127.0.0.2';
const progress = (what) => { if (process.env.LV_SOAK_DEBUG) process.stderr.write(`soak ${new Date().toISOString()} ${what}\n`); };

// ---- the hostile clients ----------------------------------------------------------------------

/**
 * A raw TCP connection from BAD: script(socket, later) writes to it
 * (later(fn, ms) runs fn every ms until the end). Resolves with what came
 * back once the server ends the connection or `ms` pass, whichever is
 * first; the socket is destroyed either way.
 */
function raw(ms, script) {
  return new Promise((resolve) => {
    const s = net.connect({ host: '127.0.0.1', port: server.port, localAddress: BAD });
    const t0 = Date.now();
    const timers = [];
    let got = '';
    let finished = false;
    const done = (by) => {
      if (finished)
        return;
      finished = true;
      for (const t of timers)
        clearInterval(t);
      s.destroy();
      resolve({ got, by, ms: Date.now() - t0 });
    };
    timers.push(setTimeout(() => done('us'), ms));
    s.setNoDelay(true);
    s.on('data', (d) => {
      got += d.toString('latin1');
      if (got.length > 1 << 20)
        done('too much');
    });
    s.on('error', () => done('reset'));
    s.on('end', () => done('server'));
    s.on('close', () => done('server'));
    s.on('connect', () => script(s, (fn, every) => timers.push(setInterval(fn, every))));
  });
}

/** The status of the first response in `got`, and how many responses began. */
function statuses(r) {
  const all = [...r.got.matchAll(/HTTP\/1\.1 (\d{3})/g)].map((m) => m[1]);
  return all.length === 0 ? `no answer (${r.by})` : `${all[0]}${all.length > 1 ? ` x${all.length}` : ''}`;
}

/**
 * A WebSocket from BAD: fn(ws, done) runs once it is open; resolves with
 * how it ended ("close 1009", "http 403", "held"), after at most `ms`.
 */
function hostileWs(ms, fn, { hello = true, resume, headers } = {}) {
  return new Promise((resolve) => {
    const ws = new WebSocket(server.wsUrl, { localAddress: BAD, handshakeTimeout: ms, headers });
    let finished = false;
    const done = (how) => {
      if (finished)
        return;
      finished = true;
      clearTimeout(timer);
      ws.terminate();
      resolve(how);
    };
    const timer = setTimeout(() => done('held'), ms);
    ws.on('unexpected-response', (req, res) => {
      req.destroy();
      done(`http ${res.statusCode}`);
    });
    ws.on('error', () => done('error'));
    ws.on('close', (code) => done(`close ${code}`));
    ws.on('open', () => {
      if (!hello)
        return fn(ws, done);
      ws.once('message', () => fn(ws, done));   // the welcome
      const h = { t: 'hello', app: 'chaos', schema: server.schema };
      if (resume)
        h.resume = resume;
      ws.send(JSON.stringify(h));
    });
  });
}

const UPGRADE = 'GET /lv/ws HTTP/1.1\r\nHost: 127.0.0.1\r\nUpgrade: websocket\r\n' +
  'Connection: Upgrade\r\nSec-WebSocket-Version: 13\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n';
const post = (path, body, type = 'application/json') =>
  `POST ${path} HTTP/1.1\r\nHost: 127.0.0.1\r\n${type ? `Content-Type: ${type}\r\n` : ''}` +
  `Content-Length: ${Buffer.byteLength(body)}\r\n\r\n${body}`;

/** The input classes, each one bounded connection (or a few); each resolves with an outcome. */
function hostileClasses(rng) {
  const hex = () => Array.from({ length: 32 }, () => '0123456789abcdef'[rng.int(0, 15)]).join('');
  return {
    async pipelined() {
      const reqs = [
        () => post('/lv/rpc/measure', '{"text":"pipe"}'),
        () => post('/lv/rpc/nosuch', '{}'),
        () => 'GET /reload.html HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n',
      ];
      const n = [2, 3, 50][rng.int(0, 2)];
      const text = Array.from({ length: n }, () => reqs[rng.int(0, 2)]()).join('');
      return statuses(await raw(HOLD_MS, (s) => s.write(text)));
    },
    async slowLoris() {
      return (await raw(HOLD_MS, (s, later) => {
        s.write(`${UPGRADE}X-Pad: `);
        later(() => s.write('a'), 200);
      })).by;
    },
    async drippingBody() {
      const body = `{"text":"${'d'.repeat(300)}"}`;
      let i = 0;
      return statuses(await raw(HOLD_MS, (s, later) => {
        s.write(post('/lv/rpc/measure', body).slice(0, -body.length));
        later(() => { if (i < body.length) s.write(body[i++]); }, 100);
      }));
    },
    async oversizedBody() {
      const body = `{"text":"${'o'.repeat(200000)}"}`;
      return statuses(await raw(HOLD_MS, (s) => s.write(post('/lv/rpc/measure', body))));
    },
    async wrongContentType() {
      const type = ['text/plain', 'application/jsonx', null, 'application/x-www-form-urlencoded'][rng.int(0, 3)];
      return statuses(await raw(HOLD_MS, (s) => s.write(post('/lv/rpc/measure', '{"text":"csrf"}', type))));
    },
    async foreignOrigin() {
      const origin = ['http://evil.example', 'null', `http://127.0.0.1:${server.port + 1}`][rng.int(0, 2)];
      return hostileWs(HOLD_MS, (ws, done) => done('upgraded'), { hello: false, headers: { Origin: origin } });
    },
    async malformedJson() {
      return hostileWs(HOLD_MS, (ws, done) => {
        for (const f of ['{"t":', 'not json', '[1,2', '{"t":"call","id":1,"fn":"measure","args":{"text":"\\ud800"},"seq":1}',
          '{"t":7}', '"\u0000"', '{}'.repeat(1000)])
          ws.send(f);
        setTimeout(() => done('sent'), 200);
      });
    },
    async binaryFrame() {
      return hostileWs(HOLD_MS, (ws) => ws.send(Buffer.from([0, 1, 2, 0xff]), { binary: true }));
    },
    async oversizedMessage() {
      return hostileWs(HOLD_MS, (ws) => ws.send(`{"t":"call","id":1,"fn":"measure","args":{"text":"${'x'.repeat(100000)}"},"seq":1}`));
    },
    async unfinishedFragment() {
      return hostileWs(HOLD_MS, (ws) => ws.send('{"t":"call","id":1,"fn":"measure","args":{"text":"', { fin: false }));
    },
    async floodWithoutReading() {
      return hostileWs(HOLD_MS, (ws, done) => {
        ws._socket.pause();     // reads nothing more
        let id = 0;
        const burst = () => {
          for (let k = 0; k < 500 && ws.readyState === WebSocket.OPEN; k++) {
            id++;
            ws.send(`{"t":"call","id":${id},"fn":"measure","args":{"text":"${'f'.repeat(200)}"},"seq":${id}}`);
          }
          if (id < 5000 && ws.readyState === WebSocket.OPEN)
            setImmediate(burst);
          else
            setTimeout(() => done(`sent ${id}`), 1000);
        };
        burst();
      });
    },
    async helloAndDrop() {
      return hostileWs(HOLD_MS, (ws, done) => done('dropped'));
    },
    async forgedResume() {
      const session = [hex(), hex().slice(0, 31), '', 'x'.repeat(5000), 12345][rng.int(0, 4)];
      return hostileWs(HOLD_MS, (ws, done) => done('welcomed'), { resume: { session, last: rng.int(0, 5) } });
    },
  };
}

/** A hostile client: one class after another until `end`; outcomes counted in `tally`. */
async function hostile(w, end, tally) {
  const rng = prng(seed + 1000 + w);
  const classes = hostileClasses(rng);
  const only = process.env.LV_SOAK_CLASSES?.split(',');
  const names = Object.keys(classes).filter((n) => !only || only.includes(n));
  if (names.length === 0)
    return;
  for (let k = w; Date.now() < end; k++) {
    const name = names[k % names.length];
    let outcome;
    const t0 = Date.now();
    try {
      outcome = await classes[name]();
    } catch (e) {
      outcome = `threw ${e.message}`;
    }
    progress(`hostile ${w}: ${name} -> ${outcome} in ${Date.now() - t0} ms`);
    const t = (tally[name] ??= {});
    t[outcome] = (t[outcome] ?? 0) + 1;
  }
}

const tally = {};
parentPort.on('message', async ({ run }) => {
  const end = Date.now() + run;
  await Promise.all(Array.from({ length: HOSTILE }, (_, w) => hostile(w, end, tally)));
  parentPort.postMessage({ tally });
});
