// helpers.mjs - what the chaos tests share: the chaos server
// (build/tests/chaos/chaos_server, from chaos.lv), a seeded random
// generator, a loopback TCP proxy that cuts connections at random points,
// lv.js's Connection running in node with the `ws` package as its
// WebSocket, and a bare protocol client for the tests that forge messages.
//
// Environment:
//   LV_CHAOS_SEED     the seed of every random choice (printed by each test)
//   LV_CHAOS_SERVER   the server binary (default build/tests/chaos/chaos_server)
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { fileURLToPath } from 'node:url';
import { runInNewContext } from 'node:vm';
import WebSocket from 'ws';

import { createConnection } from '../../runtime/js/lv.js';

export { sleep, WebSocket };

const here = path.dirname(fileURLToPath(import.meta.url));
export const ROOT = path.resolve(here, '..', '..');
const SERVER = process.env.LV_CHAOS_SERVER ||
  path.join(ROOT, 'build', 'tests', 'chaos', 'chaos_server');
const SCHEMA_JS = path.join(ROOT, 'build', 'tests', 'chaos', 'chaos.lv.js');

/** The seed of a test: LV_CHAOS_SEED, or the fixed default. */
export function seedOf(dflt) {
  const s = process.env.LV_CHAOS_SEED;
  return s !== undefined && s !== '' ? Number(s) >>> 0 : dflt >>> 0;
}

/** A seeded generator (mulberry32): rng() in [0, 1); rng.int(a, b) in [a, b]. */
export function prng(seed) {
  let a = seed >>> 0;
  const rng = () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  rng.int = (lo, hi) => lo + Math.floor(rng() * (hi - lo + 1));
  return rng;
}

/** Rejects after `t` ms with `what` in the message. */
export function within(promise, t, what) {
  let timer;
  const timeout = new Promise((_, reject) => {
    timer = setTimeout(() => reject(new Error(`timed out after ${t} ms: ${what}`)), t);
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}

/** Polls fn until it returns a truthy value; resolves with it. */
export async function until(fn, timeout, what, every = 20) {
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

// ---- the server ---------------------------------------------------------------------

/**
 * Starts the chaos server with extra environment `env` (LV_TEST_*, see
 * main.c); resolves once it prints its port. stop(signal) signals this
 * process only and resolves with its exit.
 */
export async function startServer(env = {}) {
  if (!fs.existsSync(SERVER))
    throw new Error(`no chaos server at ${path.relative(ROOT, SERVER)}: build it first ` +
      '(make build/tests/chaos/chaos_server, see tests/chaos/README.md)');
  const proc = spawn(SERVER, [], {
    cwd: ROOT,
    env: { ...process.env, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const server = { proc, stdout: '', stderr: '', exit: null };
  server.exited = new Promise((resolve) => {
    proc.on('exit', (code, signal) => {
      server.exit = { code, signal };
      resolve(server.exit);
    });
  });
  proc.stdout.setEncoding('utf8');
  proc.stderr.setEncoding('utf8');
  proc.stderr.on('data', (d) => { server.stderr += d; });
  await within(new Promise((resolve, reject) => {
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
      `the chaos server exited before it listened (${JSON.stringify(e)}): ${server.stderr}`)));
  }), 10000, 'the chaos server to print its port');
  server.httpUrl = `http://127.0.0.1:${server.port}`;
  server.wsUrl = `ws://127.0.0.1:${server.port}/lv/ws`;
  server.stop = async (signal = 'SIGTERM') => {
    if (server.exit)
      return server.exit;
    proc.kill(signal);
    try {
      return await within(server.exited, 8000, 'the chaos server to exit');
    } catch (e) {
      proc.kill('SIGKILL');
      await server.exited;
      throw e;
    }
  };
  return server;
}

/** The metrics page of server as a Map from `name{labels}` to its value. */
export async function metrics(server) {
  const r = await fetch(`${server.httpUrl}/lv/metrics`);
  if (r.status !== 200)
    throw new Error(`/lv/metrics answered ${r.status}`);
  const m = new Map();
  for (const line of (await r.text()).split('\n')) {
    if (!line || line.startsWith('#'))
      continue;
    const i = line.lastIndexOf(' ');
    m.set(line.slice(0, i), Number(line.slice(i + 1)));
  }
  return m;
}

/** A metric's value, 0 when absent. */
export function metric(m, key) {
  return m.get(key) ?? 0;
}

/** The schema object lvc wrote into build/tests/chaos/chaos.lv.js. */
export function chaosSchema() {
  const text = fs.readFileSync(SCHEMA_JS, 'utf8');
  const m = /export const schema = Object\.freeze\(([\s\S]*?)\);\n/.exec(text);
  if (!m)
    throw new Error('chaos.lv.js has no "export const schema = Object.freeze(...)"');
  // a JavaScript object literal of JSON values, evaluated apart from the tests
  return JSON.parse(JSON.stringify(runInNewContext(`(${m[1]})`)));
}

// ---- the proxy ------------------------------------------------------------------------

/**
 * A loopback TCP proxy to 127.0.0.1:target. While `chaos` is on, each
 * connection through it lives until a random number of bytes (either
 * way; for a third of them under 700, so that the upgrade and the resume
 * handshake are cut too) or a random time has passed, whichever comes
 * first; then the bytes of the chunk that fit are forwarded (so the cut
 * usually falls in the middle of a WebSocket frame, or of the HTTP
 * upgrade), and both sockets are destroyed, with a FIN or a RST. While
 * `hold` is on, bytes from the client are kept back, and lost with the
 * connection (a link that has stopped delivering); while `refuse` is on,
 * new connections are closed at once.
 */
export class ChaosProxy {
  constructor(target, rng, { maxBytes = 12000, minLife = 10, maxLife = 150 } = {}) {
    this.target = target;
    this.rng = rng;
    this.maxBytes = maxBytes;
    this.minLife = minLife;
    this.maxLife = maxLife;
    this.chaos = false;
    this.hold = false;
    this.refuse = false;
    this.pairs = new Set();
    this.cuts = 0;               // connections cut by the proxy
    this.midChunk = 0;           // cuts that forwarded part of a chunk
    this.resets = 0;             // cuts with a RST rather than a FIN
    this.connections = 0;
    this.server = net.createServer((client) => this._accept(client));
  }

  async listen() {
    await new Promise((resolve) => this.server.listen(0, '127.0.0.1', resolve));
    this.port = this.server.address().port;
    this.wsUrl = `ws://127.0.0.1:${this.port}/lv/ws`;
    return this;
  }

  /** Starts (or stops) cutting: live connections get a budget too. */
  setChaos(on) {
    this.chaos = on;
    for (const p of this.pairs) {
      if (on)
        this._arm(p);
      else
        this._disarm(p);
    }
  }

  _accept(client) {
    if (this.refuse) {
      client.on('error', () => {});
      client.destroy();
      return;
    }
    this.connections++;
    const upstream = net.connect(this.target, '127.0.0.1');
    const p = { client, upstream, budget: Infinity, timer: null, dead: false, held: [] };
    this.pairs.add(p);
    client.setNoDelay(true);
    upstream.setNoDelay(true);
    const gone = () => this._close(p);
    for (const s of [client, upstream]) {
      s.on('error', gone);
      s.on('close', gone);
    }
    client.on('data', (d) => {
      if (this.hold)
        p.held.push(d);
      else
        this._forward(p, d, upstream);
    });
    upstream.on('data', (d) => this._forward(p, d, client));
    if (this.chaos)
      this._arm(p);
  }

  _arm(p) {
    if (p.dead || p.timer)
      return;
    // a third of the connections are cut early: in the upgrade, the hello
    // and welcome of a resume, or the replay right after it
    p.budget = this.rng() < 0.3 ? this.rng.int(1, 700) : this.rng.int(1, this.maxBytes);
    p.timer = setTimeout(() => this._cut(p), this.rng.int(this.minLife, this.maxLife));
  }

  _disarm(p) {
    p.budget = Infinity;
    clearTimeout(p.timer);
    p.timer = null;
  }

  _forward(p, d, to) {
    if (p.dead)
      return;
    if (d.length < p.budget) {
      p.budget -= d.length;
      to.write(d);
      return;
    }
    const part = d.subarray(0, p.budget);
    p.budget = 0;
    if (part.length > 0) {
      this.midChunk++;
      to.write(part, () => this._cut(p));
    } else {
      this._cut(p);
    }
  }

  /** Cuts one connection now: both sockets go, with a FIN or a RST. */
  _cut(p) {
    if (p.dead)
      return;
    this.cuts++;
    const reset = this.rng() < 0.5;
    if (reset)
      this.resets++;
    this._close(p, reset);
  }

  _close(p, reset = false) {
    if (p.dead)
      return;
    p.dead = true;
    clearTimeout(p.timer);
    this.pairs.delete(p);
    for (const s of [p.client, p.upstream]) {
      if (reset && typeof s.resetAndDestroy === 'function' && s.readyState === 'open')
        s.resetAndDestroy();
      else
        s.destroy();
    }
  }

  /** Cuts every connection now (not counted as chaos). */
  dropAll() {
    for (const p of [...this.pairs])
      this._close(p);
  }

  async close() {
    this.setChaos(false);
    this.dropAll();
    await new Promise((resolve) => this.server.close(resolve));
  }
}

// ---- lv.js in node ------------------------------------------------------------------------

/** A console that keeps what lv.js reports instead of printing it. */
export function quietConsole() {
  const c = { errors: [], warnings: [] };
  c.error = (...a) => c.errors.push(a.map(String).join(' '));
  c.warn = (...a) => c.warnings.push(a.map(String).join(' '));
  c.info = c.log = c.debug = () => {};
  return c;
}

/**
 * lv.js's Connection on the chaos schema, in node: `ws` is its WebSocket,
 * the real timers its clock, rng its randomness (the reconnect jitter),
 * and no document. Options are lv.js's (url first); `env` adds to the
 * environment (a window, a sessionStorage). Nothing opens until open().
 */
export function lvClient(url, rng, options = {}) {
  const { env = {}, ...rest } = options;
  const log = quietConsole();
  // Counts what the page writes: numbered messages written more than once
  // were resent after a resume.
  const wire = { sent: 0, numbered: 0, resent: 0, sockets: 0 };
  const seen = new Set();
  class CountingWebSocket extends WebSocket {
    constructor(...a) {
      super(...a);
      wire.sockets++;
    }

    send(data, ...a) {
      wire.sent++;
      const seq = /"seq":(\d+)/.exec(data);
      if (seq && !data.startsWith('{"t":"ack"')) {
        wire.numbered++;
        if (seen.has(seq[1]))
          wire.resent++;
        seen.add(seq[1]);
      }
      return super.send(data, ...a);
    }
  }
  const conn = createConnection(chaosSchema(), {
    autoConnect: false,
    url,
    backoffBase: 20,
    backoffCap: 200,
    maxQueue: 50000,
    timeout: 120000,
    ...rest,
    env: {
      WebSocket: CountingWebSocket,
      setTimeout: (fn, ms) => setTimeout(fn, ms),
      clearTimeout: (t) => clearTimeout(t),
      now: () => Date.now(),
      random: rng,
      console: log,
      document: undefined,
      window: undefined,
      location: undefined,
      fetch: undefined,
      sessionStorage: undefined,
      ...env,
    },
  });
  conn.log = log;
  conn.wire = wire;
  return conn;
}

/** Resolves once conn's state is "open" (welcomed). */
export function opened(conn, timeout = 10000) {
  if (conn.state === 'open')
    return Promise.resolve();
  return within(new Promise((resolve) => {
    const off = conn.on('state', (s) => {
      if (s === 'open') {
        off();
        resolve();
      }
    });
  }), timeout, 'the connection to open');
}

// ---- a bare protocol client ----------------------------------------------------------------

/**
 * One raw WebSocket to the server that speaks the lv protocol by hand:
 * every message lands in `all`; next(pred) waits for one. It acks the
 * server's numbered messages unless autoAck is false.
 */
export class Raw {
  static async open(server, { hello = true, resume, autoAck = true, url } = {}) {
    const ws = new WebSocket(url || server.wsUrl);
    await within(new Promise((resolve, reject) => {
      ws.once('open', resolve);
      ws.once('error', reject);
    }), 5000, 'the socket to open');
    const r = new Raw(ws, autoAck);
    if (hello) {
      const h = { t: 'hello', app: 'chaos', schema: server.schema };
      if (resume)
        h.resume = resume;
      r.send(h);
      r.welcome = await r.next((m) => m.t === 'welcome', 'welcome');
    }
    return r;
  }

  constructor(ws, autoAck) {
    this.ws = ws;
    this.autoAck = autoAck;
    this.all = [];
    this.waiters = [];
    this.lastSeq = 0;
    this.outSeq = 0;
    this.nextId = 1;
    this.closeInfo = null;
    this.closed = new Promise((resolve) => {
      ws.on('close', (code, reason) => {
        this.closeInfo = { code, reason: reason.toString() };
        resolve(this.closeInfo);
        for (const w of this.waiters.splice(0))
          w.reject(new Error(`closed (${code} ${reason}) while waiting for ${w.what}`));
      });
    });
    ws.on('error', () => {});
    ws.on('message', (data) => {
      const msg = JSON.parse(data.toString());
      this.all.push(msg);
      if (Number.isInteger(msg.seq) && msg.t !== 'ack') {
        this.lastSeq = Math.max(this.lastSeq, msg.seq);
        if (this.autoAck)
          this.send({ t: 'ack', seq: this.lastSeq });
      }
      const i = this.waiters.findIndex((w) => w.pred(msg));
      if (i >= 0)
        this.waiters.splice(i, 1)[0].resolve(msg);
    });
  }

  send(obj) {
    this.ws.send(typeof obj === 'string' ? obj : JSON.stringify(obj));
  }

  /** Sends a numbered call and resolves with its ret. */
  call(fn, args = {}) {
    const id = this.nextId++;
    this.send({ t: 'call', id, fn, args, seq: ++this.outSeq });
    return this.next((m) => m.t === 'ret' && m.id === id, `the answer to ${fn} #${id}`);
  }

  /** The first message, past or future, that matches pred. */
  next(pred, what = 'a message', timeout = 5000) {
    const got = this.all.find(pred);
    if (got)
      return Promise.resolve(got);
    if (this.closeInfo)
      return Promise.reject(new Error(`closed (${this.closeInfo.code}) before ${what}`));
    let w;
    const p = new Promise((resolve, reject) => {
      w = { pred, resolve, reject, what };
      this.waiters.push(w);
    });
    return within(p, timeout, what).finally(() => {
      const j = this.waiters.indexOf(w);
      if (j >= 0)
        this.waiters.splice(j, 1);
    });
  }

  waitClose(timeout = 5000) {
    return within(this.closed, timeout, 'the server to close the socket');
  }

  close() {
    this.ws.close(1000);
    return within(this.closed, 5000, 'the close').catch(() => this.ws.terminate());
  }

  terminate() {
    this.ws.terminate();
  }
}
