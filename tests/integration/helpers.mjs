// helpers.mjs - what the integration tests share: starting the test server
// (build/tests/integration/app_server) on a free loopback port, a
// WebSocket client that speaks the lv protocol, HTTP requests and the
// metrics page.
//
// Environment:
//   LV_TEST_SERVER    the server binary (default: build/tests/integration/app_server)
//   LV_TEST_VALGRIND  1: run the server under valgrind, with longer timeouts;
//                     its reports go to build/tests/integration/valgrind/
//   LV_TEST_SLOW      a factor for every timeout (default 1, or 10 under valgrind)
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import fs from 'node:fs';
import http from 'node:http';
import https from 'node:https';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { fileURLToPath } from 'node:url';
import WebSocket from 'ws';

export { sleep };

const here = path.dirname(fileURLToPath(import.meta.url));
export const ROOT = path.resolve(here, '..', '..');
export const STATIC_DIR = path.join(here, 'static');
const SERVER = process.env.LV_TEST_SERVER ||
  path.join(ROOT, 'build', 'tests', 'integration', 'app_server');
export const VALGRIND = !!process.env.LV_TEST_VALGRIND;
export const SLOW = Number(process.env.LV_TEST_SLOW || (VALGRIND ? 10 : 1));
export const VALGRIND_DIR = path.join(ROOT, 'build', 'tests', 'integration', 'valgrind');

/** A duration scaled for the current mode (valgrind is slow). */
export function ms(n) {
  return Math.round(n * SLOW);
}

/** Rejects after `t` ms with `what` in the message. */
export function within(promise, t, what) {
  let timer;
  const timeout = new Promise((_, reject) => {
    timer = setTimeout(() => reject(new Error(`timed out after ${t} ms: ${what}`)), t);
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}

// ---- the server -------------------------------------------------------------

/** The libuv program of uv_main.c, for startServer's `bin`. */
export const UV_SERVER = path.join(ROOT, 'build', 'tests', 'integration', 'uv_server');

/**
 * Starts the test server (`bin`: another program that prints the same
 * lines) with extra environment `env` (LV_TEST_* options, see main.c).
 * Resolves once it prints its port. `stop()` sends SIGTERM to this process
 * (and only this one) and resolves with its exit.
 */
export async function startServer(env = {}, { bin = SERVER } = {}) {
  if (!fs.existsSync(bin)) {
    throw new Error(`no test server at ${path.relative(ROOT, bin)}: build it first ` +
      `(make -f Makefile -f tests/integration/integration.mk ${path.relative(ROOT, bin)})`);
  }
  let cmd = bin;
  let args = [];
  if (VALGRIND) {
    fs.mkdirSync(VALGRIND_DIR, { recursive: true });
    cmd = 'valgrind';
    args = ['--leak-check=full', '--error-exitcode=99', '--show-leak-kinds=definite,indirect',
      '--errors-for-leak-kinds=definite,indirect', '--track-origins=yes',
      `--log-file=${path.join(VALGRIND_DIR, 'vg.%q{LV_TEST_FILE}.%p.log')}`, bin];
  }
  const proc = spawn(cmd, args, {
    cwd: ROOT,
    env: {
      ...process.env,
      LV_TEST_STATIC: STATIC_DIR,
      // names the valgrind log after the test file that started the server
      LV_TEST_FILE: path.basename(process.argv[1] || 'test', '.test.mjs'),
      // a slow server (valgrind) must not think a waiting client silent
      LV_TEST_HEARTBEAT_MS: String(ms(300)),
      ...env,
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const server = {
    proc,
    pid: proc.pid,
    stdout: '',
    stderr: '',
    exit: null,
    host: '127.0.0.1',
    tls: !!env.LV_TEST_TLS_CERT,
  };
  server.exited = new Promise((resolve) => {
    proc.on('exit', (code, signal) => {
      server.exit = { code, signal };
      resolve(server.exit);
    });
  });
  proc.stdout.setEncoding('utf8');
  proc.stderr.setEncoding('utf8');
  proc.stderr.on('data', (d) => { server.stderr += d; });
  const ready = new Promise((resolve, reject) => {
    proc.stdout.on('data', (d) => {
      server.stdout += d;
      const port = /^port (\d+)$/m.exec(server.stdout);
      const schema = /^schema (\S+)$/m.exec(server.stdout);
      if (port && schema) {
        server.port = Number(port[1]);
        server.schema = schema[1];
        resolve();
      }
    });
    server.exited.then((e) => reject(new Error(
      `the server exited before it listened (${JSON.stringify(e)}): ${server.stderr}`)));
  });
  await within(ready, ms(10000) + (VALGRIND ? 20000 : 0), 'the server to print its port');
  const scheme = server.tls ? 's' : '';
  server.httpUrl = `http${scheme}://127.0.0.1:${server.port}`;
  server.wsUrl = `ws${scheme}://127.0.0.1:${server.port}/lv/ws`;
  server.stop = async (signal = 'SIGTERM') => {
    if (server.exit)
      return server.exit;
    proc.kill(signal);
    try {
      return await within(server.exited, ms(8000) + (VALGRIND ? 30000 : 0), 'the server to exit');
    } catch (e) {
      proc.kill('SIGKILL');
      await server.exited;
      throw e;
    }
  };
  return server;
}

// ---- a WebSocket client ----------------------------------------------------------

/**
 * One page's connection. Every message it receives lands in `inbox`;
 * `next(pred)` takes the first that matches, waiting for it if need be.
 * It answers the server's pings unless `autoPong` is false, and, like a
 * page, acknowledges the server's numbered messages (batched, once per
 * turn of the event loop) unless `autoAck` is false: the server keeps what
 * is not acknowledged, and that counts against the page's queue.
 */
export class Client {
  constructor(ws, { autoPong = true, autoAck = true, numbered = false } = {}) {
    this.ws = ws;
    this.numbered = numbered;  // number our calls, sends and crets (seq)
    this.outSeq = 0;
    this.autoAck = autoAck;
    this.lastSeq = 0;          // the highest seq the server sent us
    this.ackedSeq = 0;
    this.ackPending = false;
    this.inbox = [];
    this.all = [];            // every message, in order, never consumed
    this.waiters = [];
    this.nextId = 1;
    this.autoPong = autoPong;
    this.closeInfo = null;
    this.binary = [];
    this.closed = new Promise((resolve) => {
      ws.on('close', (code, reason) => {
        this.closeInfo = { code, reason: reason.toString() };
        resolve(this.closeInfo);
        for (const w of this.waiters.splice(0))
          w.reject(new Error(`the connection closed (${code} ${reason}) while waiting for ${w.what}`));
      });
    });
    ws.on('error', () => {});   // a close follows
    ws.on('message', (data, isBinary) => {
      if (isBinary) {
        this.binary.push(data);
        return;
      }
      let msg;
      try {
        msg = JSON.parse(data.toString());
      } catch {
        msg = { t: '(not json)', text: data.toString() };
      }
      this.all.push(msg);
      if (msg.t === 'ping' && this.autoPong && ws.readyState === WebSocket.OPEN)
        ws.send('{"t":"pong"}');
      if (Number.isInteger(msg.seq) && msg.t !== 'ack') {
        this.lastSeq = Math.max(this.lastSeq, msg.seq);
        if (this.autoAck && !this.ackPending) {
          this.ackPending = true;
          setImmediate(() => this.ack());
        }
      }
      const i = this.waiters.findIndex((w) => w.pred(msg));
      if (i >= 0) {
        const [w] = this.waiters.splice(i, 1);
        w.resolve(msg);
      } else {
        this.inbox.push(msg);
      }
    });
  }

  /**
   * Opens a connection to server. Options: query (object of query
   * parameters), headers, origin, hello (default true: says hello, as the
   * app `server.app` or "app", and waits for welcome), autoPong, path.
   */
  static async open(server, opts = {}) {
    const ws = await Client.connect(server, opts);
    const c = new Client(ws, opts);
    c.server = server;
    c.openedAt = Date.now();
    if (opts.hello !== false) {
      c.helloAt = Date.now();
      const hello = { t: 'hello', app: server.app || 'app', schema: server.schema };
      if (opts.resume)
        hello.resume = opts.resume;
      c.send(hello);
      c.welcome = await c.next((m) => m.t === 'welcome', ms(3000), 'welcome');
    }
    return c;
  }

  /** The raw socket once open, or a rejection with what went wrong. */
  static connect(server, opts = {}) {
    let url = server.wsUrl;
    if (opts.path)
      url = url.replace('/lv/ws', opts.path);
    if (opts.query)
      url += '?' + new URLSearchParams(opts.query).toString();
    const ws = new WebSocket(url, {
      headers: opts.headers || {},
      origin: opts.origin,
      rejectUnauthorized: false,
      handshakeTimeout: ms(5000),
      maxPayload: 256 * 1024 * 1024,
    });
    return new Promise((resolve, reject) => {
      const fail = (why) => {
        ws.removeAllListeners();
        ws.on('error', () => {});
        ws.terminate();
        reject(why);
      };
      ws.once('open', () => {
        ws.removeAllListeners('error');
        ws.removeAllListeners('unexpected-response');
        resolve(ws);
      });
      ws.once('unexpected-response', (req, res) => {
        const e = new Error(`upgrade refused: HTTP ${res.statusCode}`);
        e.status = res.statusCode;
        fail(e);
      });
      ws.once('error', (e) => fail(e));
    });
  }

  send(obj) {
    if (this.numbered && typeof obj === 'object' && ['call', 'send', 'cret', 'state'].includes(obj.t) &&
        obj.seq === undefined)
      obj = { ...obj, seq: ++this.outSeq };
    this.ws.send(typeof obj === 'string' ? obj : JSON.stringify(obj));
  }

  /** Acknowledges everything received so far. */
  ack() {
    this.ackPending = false;
    if (this.lastSeq > this.ackedSeq && this.ws.readyState === WebSocket.OPEN) {
      this.ackedSeq = this.lastSeq;
      this.send({ t: 'ack', seq: this.lastSeq });
    }
  }

  /** Takes the first message that matches pred, now or when it arrives. */
  next(pred = () => true, timeout = ms(3000), what = 'a message') {
    const i = this.inbox.findIndex(pred);
    if (i >= 0)
      return Promise.resolve(this.inbox.splice(i, 1)[0]);
    if (this.closeInfo)
      return Promise.reject(new Error(`closed (${this.closeInfo.code}) before ${what}`));
    let waiter;
    const p = new Promise((resolve, reject) => {
      waiter = { pred, resolve, reject, what };
      this.waiters.push(waiter);
    });
    return within(p, timeout, what).catch((e) => {
      const j = this.waiters.indexOf(waiter);
      if (j >= 0)
        this.waiters.splice(j, 1);
      throw e;
    });
  }

  /** Takes every message in the inbox that matches pred. */
  take(pred) {
    const got = this.inbox.filter(pred);
    this.inbox = this.inbox.filter((m) => !pred(m));
    return got;
  }

  /** Sends a call and resolves with its ret. */
  call(fn, args, timeout = ms(3000)) {
    const id = this.nextId++;
    const msg = { t: 'call', id, fn };
    if (args !== undefined)
      msg.args = args;
    this.send(msg);
    return this.next((m) => m.t === 'ret' && m.id === id, timeout, `the answer to ${fn} #${id}`);
  }

  /** A call that must succeed: its value. */
  async value(fn, args, timeout) {
    const r = await this.call(fn, args, timeout);
    if (!r.ok)
      throw new Error(`${fn} failed: ${JSON.stringify(r.error)}`);
    return r.value;
  }

  /** Resolves with {code, reason} once the server has closed it. */
  waitClose(timeout = ms(3000)) {
    return within(this.closed, timeout, 'the connection to close');
  }

  close() {
    if (this.ws.readyState === WebSocket.OPEN || this.ws.readyState === WebSocket.CONNECTING)
      this.ws.close(1000);
    return within(this.closed, ms(3000), 'our close to complete').catch(() => this.ws.terminate());
  }

  terminate() {
    this.ws.terminate();
  }
}

/** Closes every client given, ignoring failures. */
export async function closeAll(clients) {
  await Promise.all(clients.filter(Boolean).map((c) => c.close().catch(() => {})));
}

// ---- HTTP ----------------------------------------------------------------------

/**
 * One HTTP request: resolves with {status, headers, body (string)}.
 * The path goes on the wire as it is written.
 */
export function request(server, method, reqPath, { body, headers = {}, timeout = ms(5000) } = {}) {
  const mod = server.tls ? https : http;
  return new Promise((resolve, reject) => {
    const req = mod.request({
      host: '127.0.0.1',
      port: server.port,
      method,
      path: reqPath,
      headers: { ...headers, ...(body !== undefined ? { 'content-length': Buffer.byteLength(body) } : {}) },
      agent: false,
      rejectUnauthorized: false,
      timeout,
    }, (res) => {
      const chunks = [];
      res.on('data', (c) => chunks.push(c));
      res.on('end', () => resolve({
        status: res.statusCode,
        headers: res.headers,
        body: Buffer.concat(chunks).toString('utf8'),
      }));
      res.on('error', reject);
    });
    req.on('timeout', () => req.destroy(new Error(`HTTP ${method} ${reqPath} timed out`)));
    req.on('error', reject);
    if (body !== undefined)
      req.write(body);
    req.end();
  });
}

/** POST /lv/rpc/NAME with a JSON body (a string is sent as it is). */
export async function rpc(server, name, args, opts = {}) {
  const body = typeof args === 'string' ? args : JSON.stringify(args);
  const r = await request(server, 'POST', `/lv/rpc/${name}${opts.query || ''}`, {
    body,
    headers: { 'content-type': 'application/json', ...(opts.headers || {}) },
  });
  try {
    r.json = JSON.parse(r.body);
  } catch {
    r.json = undefined;
  }
  return r;
}

/** The metrics page as a Map from `name{labels}` to its value. */
export async function metrics(server) {
  const r = await request(server, 'GET', '/lv/metrics');
  if (r.status !== 200)
    throw new Error(`/lv/metrics answered ${r.status}`);
  const m = new Map();
  for (const line of r.body.split('\n')) {
    if (!line || line.startsWith('#'))
      continue;
    const i = line.lastIndexOf(' ');
    m.set(line.slice(0, i), Number(line.slice(i + 1)));
  }
  m.text = r.body;
  m.headers = r.headers;
  return m;
}

/** A metric's value, 0 when absent. */
export function metric(m, key) {
  return m.get(key) ?? 0;
}

/** Polls fn until it returns a truthy value; resolves with it. */
export async function until(fn, timeout = ms(3000), what = 'a condition', every = 20) {
  const end = Date.now() + timeout;
  for (;;) {
    const v = await fn();
    if (v)
      return v;
    if (Date.now() > end)
      throw new Error(`timed out after ${timeout} ms waiting for ${what}`);
    await sleep(every);
  }
}
