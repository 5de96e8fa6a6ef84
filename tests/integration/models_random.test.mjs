// models_random.test.mjs - a seeded randomized test of live queries over
// the wire, on a SQLite file and on a real PostgreSQL server: the app lvc
// generates from models_random.lv (models_random_server), several pages
// holding dozens of live queries with random filters, orders, pages and
// limits, while pages create, update and delete rows (and send stale
// versions, which must be refused `aborted`), handlers write many rows in
// one call, and a second process (the sqlite3 shell, psql) writes the
// database directly: single rows, statements touching many rows,
// transactions that commit and transactions that roll back. Pages drop
// and resume their sessions on the way. Each page keeps its live results
// by applying every model message with lv.js's own applyEvents; once all
// is quiet, each one must equal a fresh list of its query, every fresh
// list must equal the query evaluated here over the whole table, no
// rolled-back or refused value may ever have been seen, and every row's
// version only goes up.
//
// The seed is printed; LV_SEED=N replays a run (the choices replay; the
// interleaving on the wire may differ a little). LV_MODELS_OPS sets how
// many operations the driver makes per backend (default 400, 120 under
// valgrind), within a bound in time.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { applyEvents } from '../../runtime/js/models.js';
import { Client, ROOT, VALGRIND, closeAll, ms, sleep, startServer, until, within } from './helpers.mjs';
import { postgresMissing, startPostgres } from './postgres.mjs';

const BIN = path.join(path.resolve(ROOT, process.env.B || 'build'), 'tests', 'integration',
  'models_random_server');
const SEED = process.env.LV_SEED ? Number(process.env.LV_SEED) : (Date.now() ^ (process.pid << 8)) >>> 0;
const OPS = Number(process.env.LV_MODELS_OPS || (VALGRIND ? 120 : 400));
const DRIVE_MS = VALGRIND ? 60000 : 15000;     // the driver stops by then even short of OPS
const PAGES = 4;
const LIVE = VALGRIND ? 20 : 36;               // live queries in all, spread over the pages
const POLL_MS = 50;
const LIMIT = 20;                              // the binding's largest page
console.log(`models_random: seed ${SEED} (LV_SEED=${SEED} replays it), ${OPS} operations per backend`);

/** mulberry32: a small seeded generator. */
function prng(seed) {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

// ---- rows and queries ------------------------------------------------------------

const OWNERS = ['ann', 'bob', 'cy', 'dee', 'Éva'];
const KINDS = ['red', 'green', 'blue', 'gold'];
const WORDS = ['milk', 'bread', 'apple pie', 'Apple', 'a_b', '50%', "it's", 'say "hi"', 'back\\slash',
  'café', 'zz', 'Zebra', '', 'x'];
const SCORES = [0, 0.5, 1, 1.5, 2, 2.5, 3, 4, -1, 7.25];
const NOTES = [null, null, 'n1', 'note', 'café'];
const CONTAINS = {
  owner: ['a', 'n', 'É', 'b', ''],
  kind: ['r', 'e', 'ol'],
  title: ['a', 'pie', '_', '%', "'", '"', '\\', 'é', 'milk', 'l', 'Z'],
};
const TYPE = { id: 'int', owner: 'text', kind: 'text', n: 'int', score: 'float', title: 'text', done: 'bool' };
const FILTER = ['owner', 'kind', 'n', 'score', 'title', 'done', 'id'];
const ORDER = ['owner', 'kind', 'n', 'score', 'title', 'done', 'id'];
// What must never be seen: a rolled-back transaction's values and a refused update's.
const ROLLED = 'ROLLED-BACK';
const STALE = 'STALE-';
const ROLLED_N = 7000000;

const utf8 = (s) => Buffer.from(s, 'utf8');

/** Two values of a field as the store orders them (text as bytes). */
function cmpVal(f, a, b) {
  switch (TYPE[f]) {
  case 'text': return Buffer.compare(utf8(a), utf8(b));
  case 'bool': return (a ? 1 : 0) - (b ? 1 : 0);
  default: return (a > b) - (a < b);
  }
}

/** Does row satisfy where, as docs/models.md says a query compares? */
function matches(row, where = {}) {
  for (const [f, cond] of Object.entries(where)) {
    const terms = cond !== null && typeof cond === 'object' ? Object.entries(cond) : [['eq', cond]];
    for (const [op, v] of terms) {
      const c = op === 'in' || op === 'contains' ? 0 : cmpVal(f, row[f], v);
      const ok = {
        eq: () => c === 0, ne: () => c !== 0, lt: () => c < 0, le: () => c <= 0, gt: () => c > 0, ge: () => c >= 0,
        in: () => v.some((x) => cmpVal(f, row[f], x) === 0),
        contains: () => utf8(row[f]).includes(utf8(v)),
      }[op]();
      if (!ok)
        return false;
    }
  }
  return true;
}

/** The page of query over every row of the table, as list should answer it. */
function evaluate(all, q) {
  const order = (q.order || []).map((o) => (o.startsWith('-') ? [o.slice(1), -1] : [o, 1]));
  const rows = all.filter((r) => matches(r, q.where)).sort((a, b) => {
    for (const [f, dir] of order) {
      const c = cmpVal(f, a[f], b[f]);
      if (c)
        return c * dir;
    }
    return a.id - b.id;
  });
  const limit = q.limit || LIMIT;
  const page = q.page || 1;
  return { page, limit, count: rows.length, rows: rows.slice((page - 1) * limit, page * limit) };
}

/** The values a refused or rolled-back write carried, if row holds one. */
function forbidden(row) {
  if (!row || typeof row !== 'object')
    return null;
  for (const f of ['title', 'note'])
    if (typeof row[f] === 'string' && (row[f].includes(ROLLED) || row[f].includes(STALE)))
      return `${f} ${JSON.stringify(row[f])}`;
  if (row.n >= ROLLED_N)
    return `n ${row.n}`;
  return null;
}

/** A SQL literal, as both SQLite and PostgreSQL read it. */
function lit(v) {
  if (v === null || v === undefined)
    return 'NULL';
  if (typeof v === 'boolean')
    return v ? 'TRUE' : 'FALSE';
  if (typeof v === 'number')
    return String(v);
  return `'${String(v).replace(/'/g, "''")}'`;
}

const COLS = ['owner', 'kind', 'n', 'score', 'title', 'done', 'note'];

// ---- one run: a server, its pages, the driver -------------------------------------------

/**
 * The second process: a sqlite3 shell or psql, kept running, writing SQL
 * straight into the database, outside lv. run(sql) sends it one script
 * (statements, transactions) and resolves once the shell has done it (it
 * prints a marker after it); one script at a time, each bounded in time.
 * Anything it says on its standard error is a failure (errors()).
 */
class Shell {
  constructor({ cmd, args, env, init, mark }) {
    this.cmd = path.basename(cmd);
    this.mark = mark;
    this.proc = spawn(cmd, args, { stdio: ['pipe', 'pipe', 'pipe'], ...(env ? { env } : {}) });
    this.pid = this.proc.pid;
    this.line = '';
    this.err = '';
    this.said = [];            // what it wrote on stderr, with the script before
    this.last = '';
    this.waiting = null;
    this.queue = Promise.resolve();
    this.n = 0;
    this.busy = 0;
    this.exited = new Promise((resolve) => this.proc.on('exit', (code, signal) => {
      this.exit = { code, signal };
      this.waiting?.reject(new Error(`${this.cmd} exited (${code ?? signal}): ${this.err.trim()}\n${this.last}`));
      resolve(this.exit);
    }));
    this.proc.stdout.setEncoding('utf8');
    this.proc.stderr.setEncoding('utf8');
    this.proc.stdout.on('data', (d) => {
      const lines = (this.line + d).split('\n');
      this.line = lines.pop();
      for (const l of lines)
        if (this.waiting && l.trim() === this.waiting.tag)
          this.waiting.resolve();
    });
    this.proc.stderr.on('data', (d) => { this.err += d; });
    this.proc.stdin.on('error', () => {});
    if (init)
      this.proc.stdin.write(`${init}\n`);
  }

  run(sql) {
    this.busy++;
    const p = this.queue.then(() => this.one(sql)).finally(() => { this.busy--; });
    this.queue = p.catch(() => {});
    return p;
  }

  async one(sql) {
    const tag = `__done_${++this.n}`;
    this.last = sql;
    await within(new Promise((resolve, reject) => {
      this.waiting = { tag, resolve, reject };
      this.proc.stdin.write(`${sql}\n${this.mark(tag)}\n`);
    }), ms(20000), `${this.cmd} to run ${sql}`).finally(() => { this.waiting = null; });
    await sleep(1);   // what it said on stderr meanwhile
    if (this.err) {
      this.said.push(`${this.err.trim()} (after: ${sql})`);
      this.err = '';
    }
  }

  /** Ends the shell (its stdin, then SIGKILL to its pid past a bound). */
  async close() {
    this.proc.stdin.end();
    try {
      await within(this.exited, ms(5000), `${this.cmd} to exit`);
    } catch {
      process.kill(this.pid, 'SIGKILL');
      await this.exited;
    }
    if (this.err)
      this.said.push(this.err.trim());
  }
}

/** The second process's command for a backend's store. */
function shellCommand(backend, target) {
  if (backend === 'sqlite')
    return { cmd: 'sqlite3', args: ['-batch', target], init: '.timeout 5000', mark: (t) => `.print ${t}` };
  return { ...target.pg.psqlCommand(target.db), init: 'SET client_min_messages = warning;',
    mark: (t) => `\\echo ${t}` };
}

async function runOnce(backend, store, shell, seed) {
  const rand = prng(seed);
  const int = (n) => Math.floor(rand() * n);
  const pick = (xs) => xs[int(xs.length)];
  const chance = (p) => rand() < p;

  const failures = [];
  const fail = (what) => {
    if (failures.length < 40)
      failures.push(what);
  };
  const stats = {};
  const count = (k, by = 1) => { stats[k] = (stats[k] || 0) + by; };

  const known = new Map();       // id -> the newest row seen with it (candidates for writes)
  const noteRow = (r) => {
    if (r && Number.isInteger(r.id) && (!known.has(r.id) || known.get(r.id).rev <= r.rev))
      known.set(r.id, r);
  };
  const someId = () => (known.size ? pick([...known.keys()]) : 1);

  const title = () => (chance(0.5) ? pick(WORDS) : `${pick(WORDS)} ${pick(WORDS)}`);
  const score = () => (chance(0.7) ? pick(SCORES) : int(40) / 4 - 2);
  const value = (f) => ({
    id: () => (chance(0.8) ? someId() : int(400)),
    owner: () => pick(OWNERS), kind: () => pick(KINDS), n: () => int(36) - 5, score,
    title, done: () => chance(0.5),
  })[f]();
  const newRow = () => ({ owner: pick(OWNERS), kind: pick(KINDS), n: int(36) - 5, score: score(),
    title: title(), done: chance(0.5), note: pick(NOTES) });

  const cond = (f) => {
    if (chance(0.3))
      return value(f);
    const ops = TYPE[f] === 'text' ? ['eq', 'ne', 'lt', 'le', 'gt', 'ge', 'in', 'contains', 'contains'] :
      ['eq', 'ne', 'lt', 'le', 'gt', 'ge', 'in', 'in'];
    const c = {};
    for (let k = chance(0.25) ? 2 : 1; k > 0; k--) {
      const op = pick(ops);
      c[op] = op === 'in' ? Array.from({ length: int(4) }, () => value(f)) :
        op === 'contains' ? pick(CONTAINS[f]) : value(f);
    }
    return c;
  };
  const queries = [];
  const newQuery = () => {
    if (queries.length && chance(0.2))
      return pick(queries);   // the same query on several pages: evaluated once
    const q = {};
    const where = {};
    for (let k = pick([0, 1, 1, 1, 2, 2, 3]); k > 0; k--) {
      const f = pick(FILTER);
      where[f] = cond(f);
    }
    if (Object.keys(where).length || chance(0.3))
      q.where = where;
    const order = [];
    for (let k = pick([0, 1, 1, 2, 2]); k > 0; k--)
      order.push(`${chance(0.4) ? '-' : ''}${pick(ORDER)}`);
    if (order.length)
      q.order = [...new Set(order)];
    if (chance(0.35))
      q.page = 1 + int(3);
    if (chance(0.7))
      q.limit = 1 + int(LIMIT);
    queries.push(q);
    return q;
  };

  const t0 = Date.now();
  const trace = [];             // the last calls and writes, for a failure's message
  const note = (what) => {
    trace.push(`${Date.now() - t0}ms ${what}`);
    if (trace.length > 40)
      trace.shift();
  };
  const server = await startServer({ LV_TEST_STORE: store, LV_TEST_POLL_MS: String(POLL_MS),
    LV_TEST_RESUME_MS: '60000' }, { bin: BIN });
  server.app = 'mrand';
  const clients = [];
  // The second process: a few shells at once, so that writes of its own overlap.
  const shells = Array.from({ length: 3 }, () => new Shell(shell));
  const exec = (sql) => shells.reduce((a, b) => (b.busy < a.busy ? b : a)).run(sql);

  /**
   * A page: one session, its sockets one after another (a drop resumes it
   * on a new one), its live queries by wire key, each with the result
   * built from its first page and every model message since, in order.
   */
  class Page {
    constructor(id) {
      this.id = id;
      this.lives = new Map();    // wire key -> live
      this.pending = new Map();  // call id -> {resolve, reject, onRet}
      this.seen = 0;             // the highest seq received
      this.inflight = 0;
      this.c = null;
    }

    async connect(resume) {
      const c = await Client.open(server, { numbered: true, ...(resume ? { resume } : {}) });
      clients.push(c);
      if (resume) {
        c.outSeq = c.welcome.last ?? 0;
        if (!c.welcome.resumed)
          fail(`page ${this.id}: its session did not resume (${c.welcome.resync})`);
      }
      this.session = c.welcome.session;
      this.c = c;
      for (const m of c.all.splice(0))
        this.receive(c, m);
      c.ws.on('message', (data, isBinary) => {
        if (!isBinary)
          this.receive(c, JSON.parse(data.toString()));
      });
      c.closed.then((info) => {
        if (this.c !== c)
          return;
        for (const [id, p] of this.pending) {
          this.pending.delete(id);
          p.reject(new Error(`page ${this.id}: the socket closed (${info.code} ${info.reason}) before call ` +
            `#${id}'s answer; the last operations: ${trace.join(', ')}`));
        }
      });
    }

    receive(c, msg) {
      if (c !== this.c)
        return;
      c.inbox.length = 0;
      c.all.length = 0;
      if (Number.isInteger(msg.seq) && msg.t !== 'ack') {
        if (msg.seq <= this.seen)
          fail(`page ${this.id}: message seq ${msg.seq} again (after ${this.seen}): ${JSON.stringify(msg).slice(0, 200)}`);
        this.seen = Math.max(this.seen, msg.seq);
      }
      if (msg.t === 'ret') {
        const p = this.pending.get(msg.id);
        if (p) {
          this.pending.delete(msg.id);
          p.onRet?.(msg);
          p.resolve(msg);
        }
      } else if (msg.t === 'model') {
        this.model(msg);
      }
    }

    /** A call: resolves with its ret; onRet runs as it arrives, before any later message. */
    call(fn, args, onRet) {
      const id = this.c.nextId++;
      this.inflight++;
      return new Promise((resolve, reject) => {
        const timer = setTimeout(() => {
          this.pending.delete(id);
          reject(new Error(`page ${this.id}: no answer to ${fn} ${JSON.stringify(args)} within ${ms(10000)} ms; ` +
            `the last operations: ${trace.join(', ')}; the server said: ${server.stderr.slice(-2000)}`));
        }, ms(10000));
        this.pending.set(id, {
          onRet,
          resolve: (m) => { clearTimeout(timer); resolve(m); },
          reject: (e) => { clearTimeout(timer); reject(e); },
        });
        note(`p${this.id}#${id} ${fn}`);
        this.c.send({ t: 'call', id, fn, args });
      }).finally(() => { this.inflight--; });
    }

    async value(fn, args) {
      const r = await this.call(fn, args);
      if (!r.ok)
        throw new Error(`page ${this.id}: ${fn} ${JSON.stringify(args)} failed: ${JSON.stringify(r.error)}`);
      return r.value;
    }

    model(msg) {
      count('model messages');
      const live = this.lives.get(msg.key);
      if (!live || msg.name !== 'items') {
        fail(`page ${this.id}: a model message for no live query of its own: ${JSON.stringify(msg).slice(0, 200)}`);
        return;
      }
      if (live.closed) {
        fail(`page ${this.id}: ${msg.key}: a model message after its unsubscribe was answered`);
        return;
      }
      if (!live.snapshot) {
        // Before the first page: only what the query it replaces still sent.
        if (!live.replacing)
          fail(`page ${this.id}: ${msg.key}: a model message before its subscribe was answered`);
        return;
      }
      for (const e of msg.ev || []) {
        count(`ev ${e.k}`);
        const bad = forbidden(e.row);
        if (bad)
          fail(`page ${this.id}: ${msg.key}: a model message shows ${bad}, which was never committed`);
        if (e.row && Number.isInteger(e.row.id)) {
          const was = live.revs.get(e.row.id);
          if (was !== undefined && e.row.rev < was)
            fail(`page ${this.id}: ${msg.key}: row ${e.row.id} went back from rev ${was} to ${e.row.rev}`);
          live.revs.set(e.row.id, Math.max(was ?? 0, e.row.rev));
          noteRow(e.row);
        }
      }
      if (!msg.ev?.length)
        count('count-only messages');
      try {
        live.snapshot = applyEvents(live.snapshot, msg, 'id');
        live.messages++;
      } catch (e) {
        fail(`page ${this.id}: ${msg.key} ${JSON.stringify(live.query)}: a model message did not apply ` +
          `(${e.message}): ${JSON.stringify(msg).slice(0, 300)}`);
        live.broken = true;
      }
    }

    /** Subscribes query under a fresh wire key, or again under live's own (a replacement). */
    async subscribe(query, replace) {
      const key = replace ? replace.key : `p${this.id}q${++this.gen}`;
      const live = { key, query, snapshot: null, revs: new Map(), messages: 0, replacing: !!replace, page: this };
      this.lives.set(key, live);
      const r = await this.call('items.subscribe', { key, ...query }, (ret) => {
        if (ret.ok) {
          live.snapshot = Object.freeze({ ...ret.value, rows: Object.freeze(ret.value.rows) });
          for (const row of ret.value.rows) {
            live.revs.set(row.id, row.rev);
            noteRow(row);
            const bad = forbidden(row);
            if (bad)
              fail(`page ${this.id}: ${key}: its first page shows ${bad}, which was never committed`);
          }
        }
      });
      if (!r.ok)
        throw new Error(`page ${this.id}: subscribe ${JSON.stringify(query)}: ${JSON.stringify(r.error)}`);
      count('subscribes');
      return live;
    }

    async unsubscribe(live) {
      const r = await this.call('items.unsubscribe', { key: live.key }, (ret) => {
        live.closed = ret.ok;   // from its answer on, nothing more may come for it
      });
      if (!r.ok)
        throw new Error(`page ${this.id}: unsubscribe ${live.key}: ${JSON.stringify(r.error)}`);
      count('unsubscribes');
    }

    /** Drops the socket and resumes the session on a new one. */
    async cut() {
      await until(() => this.inflight === 0, ms(10000), `page ${this.id}'s calls to end`);
      const old = this.c;
      note(`p${this.id} cut after seq ${this.seen}`);
      old.terminate();
      await old.closed;
      this.c = null;
      await sleep(int(3 * POLL_MS));   // changes go on meanwhile
      await this.connect({ session: this.session, last: this.seen });
      note(`p${this.id} resumed, out seq ${this.c.outSeq}`);
      count('resumes');
    }
  }
  Page.prototype.gen = 0;

  const pages = [];
  let outsideBusy = 0;
  const background = new Set();
  try {
    for (let i = 0; i < PAGES; i++) {
      const p = new Page(i);
      await p.connect();
      pages.push(p);
    }
    const lives = () => pages.flatMap((p) => [...p.lives.values()].filter((l) => !l.closed));
    const subscribeSome = async (n) => {
      for (let i = 0; i < n; i++)
        await pick(pages).subscribe(newQuery());
    };

    // A key handed out once is never handed out again: a page still holding
    // the deleted row at version 1 must not overwrite a new row by it.
    const gone = await pages[0].value('items.create', { row: newRow() });
    await pages[0].value('items.delete', { id: gone.id, version: gone.rev });
    const made = await pages[1].value('items.create', { row: newRow() });
    noteRow(made);
    const late = await pages[0].call('items.update', { row: { ...gone, title: `${STALE}0` } });
    if (made.id === gone.id || late.ok)
      fail(`the key ${gone.id} of a deleted row was handed out again (to ${made.id}); the update of the ` +
        `deleted row at version ${gone.rev} answered ${JSON.stringify(late.ok ? late.value : late.error)}`);

    // A table to start with: rows from pages, and many in one statement from outside.
    await subscribeSome(Math.floor(LIVE / 2));
    for (let i = 0; i < 15; i++)
      noteRow(await pick(pages).value('items.create', { row: newRow() }));
    await exec(`INSERT INTO items (${COLS.join(', ')}, rev) VALUES ${Array.from({ length: 20 }, () =>
      `(${COLS.map((c) => lit(newRow()[c])).join(', ')}, 1)`).join(', ')};`);
    count('outside writes');
    await subscribeSome(LIVE - lives().length);

    // ---- the operations ----------------------------------------------------------------
    let stale = 0;
    let rolled = 0;
    let bursting = 0;
    const racy = () => outsideBusy > 0 || bursting > 0;
    /** A write's refusal that a concurrent write may explain; anything else fails. */
    const settle = (what, r, wasRacy) => {
      if (r.ok)
        return true;
      if ((r.error.code === 'aborted' || r.error.code === 'not_found') && (wasRacy || racy())) {
        count(`raced ${r.error.code}`);
        return false;
      }
      fail(`${what} failed: ${JSON.stringify(r.error)}`);
      return false;
    };
    const current = async (page) => {
      const id = someId();
      const r = await page.call('items.retrieve', { id });
      if (!r.ok) {
        known.delete(id);
        if (r.error.code !== 'not_found')
          fail(`retrieve ${id}: ${JSON.stringify(r.error)}`);
        return null;
      }
      const bad = forbidden(r.value);
      if (bad)
        fail(`retrieve ${id} shows ${bad}, which was never committed`);
      noteRow(r.value);
      return r.value;
    };
    const change = (row) => {
      const out = { ...row };
      for (let k = 1 + int(3); k > 0; k--) {
        const f = pick([...COLS]);
        out[f] = f === 'note' ? pick(NOTES) : newRow()[f];
      }
      return out;
    };

    const ops = {
      async create(page) {
        const row = newRow();
        const r = await page.call('items.create', { row });
        if (settle('create', r, false)) {
          assert.equal(r.value.rev, 1, 'a new row has version 1');
          assert.deepEqual({ ...r.value, id: undefined, rev: undefined }, { ...row, id: undefined, rev: undefined });
          noteRow(r.value);
        }
      },
      async update(page) {
        const was = racy();
        const row = await current(page);
        if (!row)
          return;
        const next = change(row);
        const r = await page.call('items.update', { row: next });
        if (settle('update', r, was)) {
          assert.equal(r.value.rev, row.rev + 1, 'an update raises the version by one');
          assert.deepEqual({ ...r.value, rev: 0 }, { ...next, rev: 0 });
          noteRow(r.value);
        }
      },
      async delete(page) {
        const was = racy();
        const row = await current(page);
        if (!row)
          return;
        const r = await page.call('items.delete', { id: row.id, version: row.rev });
        if (settle('delete', r, was))
          known.delete(row.id);
      },
      async stale(page) {
        const was = racy();
        const row = await current(page);
        if (!row)
          return;
        const k = ++stale;
        const r = chance(0.7) ?
          await page.call('items.update', { row: { ...row, title: `${STALE}${k}`, rev: row.rev - 1 } }) :
          await page.call('items.delete', { id: row.id, version: row.rev - 1 });
        if (r.ok)
          fail(`a stale write (rev ${row.rev - 1} of row ${row.id} at ${row.rev}) succeeded`);
        else if (r.error.code !== 'aborted' && !(r.error.code === 'not_found' && (was || racy())))
          fail(`a stale write was refused ${r.error.code}, not aborted: ${r.error.message}`);
        count('stale refused');
      },
      async bump(page) {
        const r = await page.call('bump', { owner: pick(OWNERS), delta: pick([-3, -1, 1, 2, 5]) });
        if (settle('bump', r, true))
          count('bumped rows', r.value);
      },
      async churn(page) {
        const r = await page.call('churn', { owner: pick(OWNERS), count: 1 + int(6), prefix: pick(WORDS),
          drop: int(6) - 4 });
        if (settle('churn', r, true))
          count('churned rows', r.value);
      },
      // Several pages at once: their writes land in one batch or a few.
      async burst() {
        bursting++;
        await Promise.all(Array.from({ length: 2 + int(4) }, () => {
          const op = pick(['create', 'create', 'update', 'update', 'delete', 'stale']);
          count(`burst ${op}`);
          return ops[op](pick(pages));
        })).finally(() => { bursting--; });
      },
      async resubscribe() {
        const all = lives();
        const live = pick(all);
        const query = newQuery();
        if (chance(0.5)) {
          await live.page.subscribe(query, live);   // the same key: the old query is replaced
          count('replaced');
        } else {
          await live.page.unsubscribe(live);
          live.page.lives.delete(live.key);
          await pick(pages).subscribe(query);
        }
      },
      async cut() {
        await pick(pages).cut();
      },
    };

    const outside = {
      insert: () => `INSERT INTO items (${COLS.join(', ')}, rev) VALUES (${COLS.map((c) =>
        lit(newRow()[c])).join(', ')}, 1);`,
      update: () => {
        const row = newRow();
        const set = [...new Set([pick(COLS), pick(COLS)])].map((c) => `${c} = ${lit(row[c])}`);
        return `UPDATE items SET ${set.join(', ')}, rev = rev + 1 WHERE id = ${someId()};`;
      },
      delete: () => `DELETE FROM items WHERE id = ${someId()};`,
      // one statement, many rows
      many: () => pick([
        () => `UPDATE items SET n = n + ${1 + int(3)}, rev = rev + 1 WHERE kind = ${lit(pick(KINDS))};`,
        () => `UPDATE items SET done = NOT done, rev = rev + 1 WHERE owner = ${lit(pick(OWNERS))};`,
        () => `UPDATE items SET score = score + 0.5, kind = ${lit(pick(KINDS))}, rev = rev + 1 WHERE n < ${int(10)};`,
        () => `UPDATE items SET title = ${lit(title())}, rev = rev + 1 WHERE n % 3 = ${int(3)};`,
        () => `DELETE FROM items WHERE owner = ${lit(pick(OWNERS))} AND n > ${20 + int(10)};`,
        () => `INSERT INTO items (${COLS.join(', ')}, rev) VALUES ${Array.from({ length: 2 + int(5) }, () =>
          `(${COLS.map((c) => lit(newRow()[c])).join(', ')}, 1)`).join(', ')};`,
      ])(),
      // several statements, one commit
      commit: () => `BEGIN; ${outside.insert()} ${outside.update()} ${outside.many()} ${outside.delete()} COMMIT;`,
      // the same, undone: none of it may ever reach a page
      rollback: () => {
        const k = ++rolled;
        const sleepy = backend === 'postgresql' && chance(0.5) ? 'SELECT pg_sleep(0.05);' : '';
        return `BEGIN; INSERT INTO items (${COLS.join(', ')}, rev) VALUES (${lit(pick(OWNERS))}, ` +
          `${lit(pick(KINDS))}, ${ROLLED_N + k}, 1.5, ${lit(`${ROLLED} ${k}`)}, FALSE, ${lit(ROLLED)}, 1); ` +
          `UPDATE items SET title = ${lit(`${ROLLED} ${k}`)}, n = ${ROLLED_N + k}, rev = rev + 1 ` +
          `WHERE owner = ${lit(pick(OWNERS))}; UPDATE items SET note = ${lit(ROLLED)}, rev = rev + 1 ` +
          `WHERE id = ${someId()}; DELETE FROM items WHERE kind = ${lit(pick(KINDS))}; ${sleepy} ROLLBACK;`;
      },
      // an existing key written again: an update
      // (a key no longer there is made again, by hand, at a version past any it had)
      upsert: () => `INSERT INTO items (id, ${COLS.join(', ')}, rev) VALUES (${someId()}, ${COLS.map((c) =>
        lit(newRow()[c])).join(', ')}, 1000) ON CONFLICT (id) DO UPDATE SET title = excluded.title, ` +
        'n = excluded.n, done = excluded.done, rev = items.rev + 1;',
    };
    const runOutside = (kind) => {
      const sql = outside[kind]();
      count(`outside ${kind}`);
      outsideBusy++;
      note(`outside ${kind}`);
      return exec(sql).finally(() => {
        outsideBusy--;
        note(`outside ${kind} done`);
      });
    };

    const weights = [
      ['create', 12], ['update', 20], ['delete', 6], ['stale', 6], ['bump', 4], ['churn', 3], ['burst', 4],
      ['resubscribe', 4], ['cut', 2],
      ['o:insert', 6], ['o:update', 8], ['o:delete', 3], ['o:many', 6], ['o:commit', 3], ['o:rollback', 5],
      ['o:upsert', 2],
    ];
    const total = weights.reduce((s, [, w]) => s + w, 0);
    const choose = () => {
      let r = rand() * total;
      for (const [k, w] of weights)
        if ((r -= w) < 0)
          return k;
      return weights[0][0];
    };

    const tDrive = Date.now();
    let done = 0;
    for (; done < OPS && Date.now() - tDrive < DRIVE_MS; done++) {
      const k = choose();
      count(k);
      if (k.startsWith('o:')) {
        const p = runOutside(k.slice(2));
        if (chance(0.5) && background.size < shells.length - 1) {
          // left running while pages go on writing
          const held = p.catch((e) => fail(e.message)).finally(() => background.delete(held));
          background.add(held);
        } else {
          await p;
        }
      } else {
        await ops[k](pick(pages));
      }
      if (chance(0.25))
        await sleep(int(2 * POLL_MS));
    }
    await Promise.all([...background]);
    const driveMs = Date.now() - tDrive;

    // ---- quiet: every live result equals a fresh list of its query ------------------------
    const judge = pages[0];
    const compare = async () => {
      const off = [];
      for (const live of lives()) {
        const fresh = await judge.value('items.list', live.query);
        if (!live.snapshot || live.broken)
          off.push({ live, fresh, why: 'broken' });
        else if (live.snapshot.count !== fresh.count || JSON.stringify(live.snapshot.rows) !== JSON.stringify(fresh.rows))
          off.push({ live, fresh });
      }
      return off;
    };
    let off = [];
    const tq = Date.now();
    try {
      await until(async () => (off = await compare()).length === 0, ms(10000), 'every live result to settle', 100);
    } catch { /* reported below */ }
    const settleMs = Date.now() - tq;
    for (const { live, fresh, why } of off.slice(0, 5))
      fail(`page ${live.page.id}: ${live.key} ${JSON.stringify(live.query)}${why ? ` (${why})` : ''}: ` +
        `the live result (count ${live.snapshot?.count}) ${JSON.stringify(live.snapshot?.rows.map((r) => [r.id, r.rev]))} ` +
        `is not the fresh list (count ${fresh.count}) ${JSON.stringify(fresh.rows.map((r) => [r.id, r.rev]))}`);

    // ---- every fresh list is its query over the whole table -------------------------------
    const all = [];
    for (let pg = 1; ; pg++) {
      const p = await judge.value('items.list', { order: ['id'], page: pg, limit: LIMIT });
      all.push(...p.rows);
      if (pg * LIMIT >= p.count)
        break;
    }
    for (const r of all) {
      const bad = forbidden(r);
      if (bad)
        fail(`the table holds ${bad}, which was never committed`);
    }
    const checked = new Set();
    for (const live of lives()) {
      const key = JSON.stringify(live.query);
      if (checked.has(key))
        continue;
      checked.add(key);
      const fresh = await judge.value('items.list', live.query);
      const want = evaluate(all, live.query);
      if (fresh.count !== want.count || JSON.stringify(fresh.rows) !== JSON.stringify(want.rows))
        fail(`list ${key} answered (count ${fresh.count}) ${JSON.stringify(fresh.rows.map((r) => r.id))}, ` +
          `but the table says (count ${want.count}) ${JSON.stringify(want.rows.map((r) => r.id))}`);
    }
    for (const sh of shells)
      for (const said of sh.said.splice(0))
        fail(`${sh.cmd} said: ${said}`);
    const active = lives();
    const summary = { backend, ops: done, driveMs, settleMs, rows: all.length, live: active.length,
      distinct: checked.size, withMessages: active.filter((l) => l.messages > 0).length,
      nonEmpty: active.filter((l) => l.snapshot?.rows.length).length, ...stats };
    console.log(`models_random: seed ${SEED}: ${JSON.stringify(summary)}`);
    assert.deepEqual(failures, [], `${backend}, seed ${SEED} (LV_SEED=${SEED} replays it)`);
    assert.ok(summary.withMessages > 0, 'live queries saw changes');
    assert.ok(stats['model messages'] > 0 && stats['stale refused'] > 0);
  } finally {
    await Promise.allSettled([...background]);
    await closeAll(clients);
    await Promise.all(shells.map((sh) => sh.close()));
    const exit = await server.stop();
    if (!VALGRIND)
      assert.deepEqual(exit, { code: 0, signal: null }, `the server's exit: ${server.stderr}`);
  }
}

describe('sqlite', () => {
  let dir;
  before(() => { dir = fs.mkdtempSync(path.join(os.tmpdir(), 'lv-models-random-')); });
  after(() => { if (dir) fs.rmSync(dir, { recursive: true, force: true }); });

  test(`live queries stay equal to their lists under random writes, the sqlite3 shell's too (seed ${SEED})`,
    async () => {
      const file = path.join(dir, 'items.db');
      await runOnce('sqlite', file, shellCommand('sqlite', file), SEED);
    });
});

const noPostgres = postgresMissing();
describe('postgresql', { skip: noPostgres || false }, () => {
  let pg;
  before(async () => {
    pg = await startPostgres();
    await pg.createDatabase('lv_random');
  });
  after(async () => { await pg?.stop(); });

  test(`live queries stay equal to their lists under random writes, psql's too (seed ${SEED})`, async () => {
    await runOnce('postgresql', pg.uri('lv_random'), shellCommand('postgresql', { pg, db: 'lv_random' }),
      (SEED ^ 0x5bd1e995) >>> 0);
  });
});
