// nodes.mjs - several test servers sharing one Redis behind a load balancer (a loopback TCP proxy), and a page that resumes its session through it: what the tests of sessions across nodes share.
import assert from 'node:assert/strict';
import net from 'node:net';
import { Client, metrics, ms, sleep, startServer, until } from './helpers.mjs';
import { startRedis } from './redis.mjs';

/**
 * Redis, the nodes (by id) and the balancer. `env` goes to every node.
 * `nodes` maps an id to its running server, or null while it is dead;
 * `outputs` an id to every run of it; `choose`, when set, names the nodes
 * the next connections may go to.
 */
export class Cluster {
  constructor(env = {}) {
    this.env = env;
    this.redis = null;
    this.proxy = null;
    this.schema = null;
    this.nodes = new Map();
    this.outputs = new Map();
    this.pages = [];
    this.choose = null;
  }

  /** Starts Redis and the balancer, then one node per id. */
  async start(ids) {
    this.redis = await startRedis();
    for (const id of ids)
      await this.startNode(id);
    this.schema = this.nodes.get(ids[0]).schema;
    this.proxy = await this.startProxy();
  }

  /** Starts node id; resolves once it has reached Redis and takes pages. */
  async startNode(id) {
    const s = await startServer({ LV_TEST_BROKER: `unix:${this.redis.socket}`, LV_TEST_NODE_ID: id,
      ...this.env });
    const runs = this.outputs.get(id) || [];
    runs.push(s);
    this.outputs.set(id, runs);
    await until(async () => (await metrics(s)).get('lv_broker_connected') === 1, ms(5000),
      `${id} to reach Redis`);
    this.nodes.set(id, s);   // in the balancer's pool once it can take sessions
    return s;
  }

  /** Kills node id with SIGKILL; resolves on its exit. */
  async killNode(id) {
    const s = this.nodes.get(id);
    this.nodes.set(id, null);
    s.proc.kill('SIGKILL');
    await s.exited;
  }

  /** The ids of the live nodes. */
  alive() {
    return [...this.nodes].filter(([, s]) => s).map(([id]) => id);
  }

  /* The load balancer: each connection to a node picked at random among
   * the live ones (or those `choose` names). */
  startProxy() {
    const socks = new Set();
    const srv = net.createServer((down) => {
      const ids = (this.choose || this.alive()).filter((id) => this.nodes.get(id));
      const id = ids[Math.floor(Math.random() * ids.length)];
      if (!id) {
        down.destroy();
        return;
      }
      const up = net.connect(this.nodes.get(id).port, '127.0.0.1');
      socks.add(down);
      socks.add(up);
      const end = () => {
        down.destroy();
        up.destroy();
        socks.delete(down);
        socks.delete(up);
      };
      down.on('error', end).on('close', end);
      up.on('error', end).on('close', end);
      down.pipe(up);
      up.pipe(down);
    });
    return new Promise((resolve) => srv.listen(0, '127.0.0.1', () => {
      const port = srv.address().port;
      resolve({
        srv, port, wsUrl: `ws://127.0.0.1:${port}/lv/ws`,
        close: () => { for (const s of socks) s.destroy(); return new Promise((r) => srv.close(r)); },
      });
    }));
  }

  /** A new page through the balancer (on node `on` when given). */
  async newPage(name, { on, query, onMessage } = {}) {
    this.choose = on ? [on] : null;
    const p = new Page(this, name);
    p.query = query;
    if (onMessage)
      p.onMessage = onMessage;
    this.pages.push(p);
    try {
      await p.connect();
    } finally {
      this.choose = null;
    }
    return p;
  }

  /** Every tally the nodes printed, by key, over every run of every node. */
  tallies() {
    const n = new Map();
    for (const runs of this.outputs.values())
      for (const s of runs)
        for (const m of s.stdout.matchAll(/^tally (\S+)$/gm))
          n.set(m[1], (n.get(m[1]) || 0) + 1);
    return n;
  }

  /** Closes the pages and the balancer, stops the live nodes (SIGTERM) and
   * Redis; resolves with the nodes' exits. */
  async stop() {
    for (const p of this.pages)
      p.stopped = true;
    await Promise.allSettled(this.pages.map((p) => p.c?.close()));
    await this.proxy?.close();
    const exits = await Promise.allSettled([...this.nodes.values()].filter(Boolean).map((s) => s.stop()));
    await this.redis?.stop();
    return exits;
  }
}

/**
 * A page as lv.js is one: numbered calls kept until acknowledged and
 * resent after a resume, the server's numbered messages taken once each
 * in order (each given to `onMessage`), acknowledged, and a reconnect
 * through the balancer after any close, unless `stopped`.
 */
export class Page {
  constructor(cluster, name) {
    this.cluster = cluster;
    this.name = name;
    this.session = null;
    this.conn = null;      // the connection id (kept across resumes)
    this.last = 0;         // the server's seq processed
    this.outSeq = 0;
    this.nextId = 1;
    this.unacked = [];     // our numbered messages the server has not acknowledged
    this.got = [];         // the server's numbered messages, in order
    this.gaps = [];
    this.waiting = new Map();
    this.resumes = [];     // each welcome after the first
    this.c = null;
    this.stopped = false;
    this.connecting = null;
    this.errors = [];      // failed reconnects, for the failure's message
    this.closes = [];      // the close code of each connection
    this.onMessage = null;
    this.broken = null;    // why the page gave up (a resume refused)
  }

  async connect() {
    for (let tries = 0; ; tries++) {
      let c;
      try {
        const opts = { autoAck: false, query: this.query };
        if (this.session)
          opts.resume = { session: this.session, last: this.last };
        c = await Client.open({ wsUrl: this.cluster.proxy.wsUrl, schema: this.cluster.schema,
          app: 'app' }, opts);
      } catch (e) {
        this.errors.push(e.message);
        if (tries > 100 || this.stopped)
          throw e;
        await sleep(20);
        continue;
      }
      if (this.stopped) {
        await c.close();
        return;
      }
      try {
        this.attach(c);
      } catch (e) {
        // not resumed: the page is broken, and its calls are answered no more
        c.terminate();
        this.broken = e;
        for (const w of this.waiting.values())
          w.reject(e);
        this.waiting.clear();
        throw e;
      }
      return;
    }
  }

  attach(c) {
    const w = c.welcome;
    if (this.session) {
      this.resumes.push(w);
      assert.equal(w.resumed, true, `${this.name} resumed: ${JSON.stringify(w)}`);
      assert.equal(w.session, this.session);
      assert.equal(w.conn, this.conn, 'the connection keeps its id across nodes');
    }
    this.session = w.session;
    this.conn = w.conn;
    this.c = c;
    this.unacked = this.unacked.filter((m) => m.seq > w.last);
    for (const m of this.unacked)
      c.ws.send(JSON.stringify(m));
    let at = c.all.indexOf(w) + 1;
    let ackSoon = false;
    const pump = () => {
      for (; at < c.all.length; at++) {
        const m = c.all[at];
        if (m.t === 'ack') {
          this.unacked = this.unacked.filter((u) => u.seq > m.seq);
          continue;
        }
        if (!Number.isInteger(m.seq))
          continue;
        if (m.seq <= this.last)
          continue;   // a repeat, as lv.js drops it
        if (m.seq !== this.last + 1)
          this.gaps.push({ have: this.last, got: m.seq });
        this.last = m.seq;
        this.got.push(m);
        this.onMessage?.(m);
        if (m.t === 'ret' && this.waiting.has(m.id)) {
          this.waiting.get(m.id).resolve(m);
          this.waiting.delete(m.id);
        }
        if (!ackSoon) {
          ackSoon = true;
          setImmediate(() => {
            ackSoon = false;
            if (c.ws.readyState === 1)
              c.ws.send(JSON.stringify({ t: 'ack', seq: this.last }));
          });
        }
      }
      // what was taken is in `got`: the client's copies can go
      if (at > 4096) {
        c.all.splice(0, at);
        c.inbox.length = 0;
        at = 0;
      }
    };
    c.ws.on('message', pump);
    pump();
    c.closed.then((info) => {
      this.closes.push(info.code);
      if (this.c === c && !this.stopped)
        this.connecting = this.connect();
    });
  }

  /** Sends a numbered call; resolves with its answer (the `ret`). */
  call(fn, args, timeout = ms(15000)) {
    if (this.broken)
      return Promise.reject(this.broken);
    const m = { t: 'call', id: this.nextId++, fn, args, seq: ++this.outSeq };
    this.unacked.push(m);
    if (this.c && this.c.ws.readyState === 1)
      this.c.ws.send(JSON.stringify(m));
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`${this.name}: no answer to ${fn} #${m.id} ` +
        `(seq ${m.seq}); last ${this.last}, resumes ${this.resumes.length}, ` +
        `closes ${JSON.stringify(this.closes.slice(-5))}, reconnect errors ${JSON.stringify(this.errors.slice(-3))}`)), timeout).unref();
      this.waiting.set(m.id, {
        resolve: (r) => { clearTimeout(timer); resolve(r); },
        reject: (e) => { clearTimeout(timer); reject(e); },
      });
    });
  }

  async value(fn, args) {
    const r = await this.call(fn, args);
    assert.ok(r.ok, `${this.name}: ${fn} ${JSON.stringify(r.error)}`);
    return r.value;
  }

  notes(prefix) {
    return this.got.filter((m) => m.t === 'push' && m.fn === 'note' && m.args.text.startsWith(prefix))
      .map((m) => m.args.text);
  }

  async stop() {
    this.stopped = true;
    await this.c?.close();
  }
}
