// state_random.test.mjs - a seeded randomized test of synchronised state over the wire: random mutations of group boards and the global counter while pages are cut, resumed, join late, leave and rejoin groups and ask for snapshots; every page's copy must end equal to the server's.
//
// The seed is printed; LV_SEED=N in the environment replays a run (the
// choices replay; the interleaving on the wire may differ a little).
// LV_STATE_OPS sets how many mutations the driver makes (default 2500,
// 300 under valgrind).
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { applyPatch, escapeToken } from '../../runtime/js/patch.js';
import { Client, closeAll, ms, sleep, startServer, until, VALGRIND } from './helpers.mjs';

const SEED = process.env.LV_SEED ? Number(process.env.LV_SEED) : (Date.now() ^ (process.pid << 8)) >>> 0;
const OPS = Number(process.env.LV_STATE_OPS || (VALGRIND ? 300 : 2500));
const MUTATE_MS = VALGRIND ? 30000 : 9000;          // the driver stops by then even short of OPS
console.log(`state_random: seed ${SEED} (LV_SEED=${SEED} replays it), ${OPS} mutations`);

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
const rand = prng(SEED);
const int = (n) => Math.floor(rand() * n);
const pick = (xs) => xs[int(xs.length)];
const chance = (p) => rand() < p;

const GROUPS = ['rA', 'rB'];
const KEYS = ['a', 'b', 'c', 'd', 'e', 'f', 'x/y', 't~1', 'sp ace', 'é'];
const word = () => pick(['', 'w', 'hello', 'a/b', '~0', 'quote"d', 'ünï', String(int(1000))]);

let server;
const conns = [];      // every Client opened, to close at the end
const failures = [];   // what the pages saw that they should not have
const fail = (what) => { if (failures.length < 50) failures.push(what); };

before(async () => { server = await startServer({ LV_TEST_RESUME_MS: '60000' }); });
after(async () => {
  await closeAll(conns);
  await server?.stop();
});

const keyOf = (name, group) => `${name}|${group ?? ''}`;

/**
 * A page: its connections one after another (a resume opens a new one), the
 * groups it joined, and its copies, kept by applying every state message it
 * receives, in order.
 */
class Page {
  constructor(id) {
    this.id = id;
    this.groups = new Set();
    this.copies = new Map();   // key -> {value, rev}
    this.conn = null;
    this.cut = false;
    this.busy = false;
    this.snapshots = 0;
    this.patches = 0;
  }

  async connect(resume) {
    const c = await Client.open(server, { numbered: true, ...(resume ? { resume } : {}) });
    conns.push(c);
    if (resume) {
      c.outSeq = c.welcome.last ?? 0;
      if (!c.welcome.resumed) {
        fail(`page ${this.id}: resume refused (${c.welcome.resync})`);
        this.copies.clear();
        this.groups.clear();
      }
    }
    // what arrived before the listener below (the welcome, perhaps a snapshot)
    for (const m of c.all)
      this.feed(m);
    c.ws.on('message', (data, binary) => {
      if (binary)
        return;
      let m;
      try { m = JSON.parse(data.toString()); } catch { fail(`page ${this.id}: not JSON`); return; }
      this.feed(m);
    });
    this.conn = c;
    this.cut = false;
    return c;
  }

  feed(m) {
    if (m.t === 'error') {
      fail(`page ${this.id}: error ${JSON.stringify(m)}`);
      return;
    }
    if (m.t !== 'state')
      return;
    const key = keyOf(m.name, m.group);
    if (m.ops === null) {
      this.copies.delete(key);
      return;
    }
    const snapshot = m.ops.length === 1 && m.ops[0].path === '' && m.ops[0].op === 'replace';
    const cur = this.copies.get(key);
    if (snapshot) {
      this.snapshots++;
      if (cur && m.rev < cur.rev)
        fail(`page ${this.id} ${key}: a snapshot of rev ${m.rev} after rev ${cur.rev}`);
      this.copies.set(key, { value: structuredClone(m.ops[0].value), rev: m.rev });
      return;
    }
    this.patches++;
    if (!cur) {
      fail(`page ${this.id} ${key}: a patch (rev ${m.rev}) before any snapshot`);
      return;
    }
    if (m.rev !== cur.rev + 1)
      fail(`page ${this.id} ${key}: a patch for rev ${m.rev} after rev ${cur.rev}`);
    try {
      cur.value = applyPatch(cur.value, m.ops, { freeze: false });
    } catch (e) {
      fail(`page ${this.id} ${key}: rev ${m.rev} does not apply (${e.message}): ${JSON.stringify(m.ops)}`);
    }
    cur.rev = m.rev;
  }

  /** The keys this page should hold a copy of. */
  keys() {
    return [keyOf('counter'), ...[...this.groups].map((g) => keyOf('board', g))];
  }
}

// ---- the driver's picture of the server, to pick paths that exist ---------------------

const ptr = (...t) => t.map((x) => '/' + escapeToken(x)).join('');

/** One random mutation, as state_op args, for a picture of the board or counter. */
function mutation(model) {
  if (chance(0.25)) {
    const ks = Object.keys(model.counter);
    if (ks.length && chance(0.3))
      return { which: 'counter', op: 'remove', path: ptr(pick(ks)) };
    return { which: 'counter', op: 'set', path: ptr(pick(KEYS)), json: String(int(2000) - 1000) };
  }
  const g = pick(GROUPS);
  const b = model.board[g];
  const base = { which: 'board', in_group: g };
  const cells = Object.keys(b.cells);
  const n = b.log.length;
  const r = rand();
  if (r < 0.06)
    return { ...base, op: 'set', path: '/title', json: JSON.stringify(word()) };
  if (r < 0.09)
    return { ...base, op: 'set', path: '/note', json: JSON.stringify(word()) };
  if (r < 0.27)
    return { ...base, op: 'set', path: ptr('cells', pick(KEYS)), json: JSON.stringify({ v: int(100), by: word() }) };
  if (r < 0.33 && cells.length)
    return { ...base, op: 'set', path: ptr('cells', pick(cells), 'v'), json: String(int(100)) };
  if (r < 0.37 && cells.length)
    return { ...base, op: 'set', path: ptr('cells', pick(cells), 'by'), json: JSON.stringify(word()) };
  if (r < 0.47 && cells.length)
    return { ...base, op: 'remove', path: ptr('cells', pick(cells)) };
  if (r < 0.65 && n < 40)
    return { ...base, op: 'insert', path: '/log', index: chance(0.3) ? -1 : int(n + 1), json: JSON.stringify(word()) };
  if (r < 0.77 && n)
    return { ...base, op: 'remove', path: ptr('log', String(int(n))) };
  if (r < 0.87 && n)
    return { ...base, op: 'move', path: '/log', index: int(n), to: int(n) };
  if (r < 0.94 && n)
    return { ...base, op: 'set', path: ptr('log', String(int(n))), json: JSON.stringify(word()) };
  if (r < 0.95)
    return { ...base, op: 'set', path: '', json: JSON.stringify({ cells: { z: { v: 1, by: 'root' } }, log: ['r'], title: 'reset' }) };
  if (r < 0.96 && n)
    return { ...base, op: 'set', path: '/log', json: JSON.stringify(b.log.slice(0, int(n))) };
  return { ...base, op: 'set', path: ptr('cells', pick(KEYS)), json: JSON.stringify({ v: int(100), by: word() }) };
}

test(`random mutations, cuts, resumes, late joins and state_sync keep every copy equal to the server (seed ${SEED})`, async () => {
  const started = Date.now();
  const driver = new Page('driver');
  await driver.connect();
  const serverValue = async (which, group) =>
    JSON.parse(await driver.conn.value('state_value', group ? { which, in_group: group } : { which }));
  const model = { counter: {}, board: {} };
  const refresh = async () => {
    model.counter = await serverValue('counter');
    for (const g of GROUPS)
      model.board[g] = await serverValue('board', g);
  };

  const pages = [];
  const joinSome = async (p) => {
    const want = GROUPS.filter(() => chance(0.6));
    for (const g of want) {
      await p.conn.value('join', { name: g });
      p.groups.add(g);
    }
  };
  const addPage = async () => {
    const p = new Page(pages.length);
    pages.push(p);
    p.busy = true;
    await p.connect();
    await joinSome(p);
    p.busy = false;
  };
  for (let i = 0; i < 6; i++)
    await addPage();
  await refresh();

  // the chaos: cuts, resumes, late pages, state_sync, while the driver mutates
  let mutating = true;
  const stats = { cuts: 0, resumes: 0, late: 0, syncs: 0, leaves: 0, joins: 0, ops: 0, refused: 0 };
  const chaos = (async () => {
    while (mutating) {
      await sleep(5 + int(40));
      const r = rand();
      const p = pick(pages);
      if (p.busy)
        continue;
      if (r < 0.35 && !p.cut) {
        p.busy = true;
        const c = p.conn;
        c.terminate();
        await c.closed;
        p.cut = { session: c.welcome.session, last: c.lastSeq };
        stats.cuts++;
        p.busy = false;
      } else if (r < 0.7 && p.cut) {
        p.busy = true;
        await p.connect(p.cut);
        stats.resumes++;
        if (p.groups.size === 0)
          await joinSome(p);
        p.busy = false;
      } else if (r < 0.85 && !p.cut) {
        const key = pick(p.keys());
        const [name, group] = key.split('|');
        p.conn.send(group ? { t: 'state_sync', name, group } : { t: 'state_sync', name });
        stats.syncs++;
      } else if (r < 0.93 && !p.cut) {
        // leave a group (the copy must go, and nothing more come), or join one
        p.busy = true;
        const g = pick(GROUPS);
        if (p.groups.has(g)) {
          await p.conn.value('leave', { name: g });
          p.groups.delete(g);
          stats.leaves++;
        } else {
          await p.conn.value('join', { name: g });
          p.groups.add(g);
          stats.joins++;
        }
        p.busy = false;
      } else if (r < 0.97 && pages.length < 14) {
        stats.late++;
        await addPage();
      }
    }
  })();

  // the driver
  try {
    for (let i = 0; i < OPS && Date.now() - started < MUTATE_MS; i++) {
      const args = mutation(model);
      const r = await driver.conn.call('state_op', args);
      stats.ops++;
      if (!r.ok) {
        // the picture was wrong (it is kept only roughly); take the server's
        stats.refused++;
        await refresh();
        continue;
      }
      if (args.which === 'counter')
        model.counter = await serverValue('counter');
      else   // cheap enough on loopback: the exact picture
        model.board[args.in_group] = await serverValue('board', args.in_group);
      if (chance(0.02))
        await sleep(int(60));    // let a flush or two go by at odd moments
    }
  } finally {
    mutating = false;
    await chaos;
  }

  // quiescence: everyone back, the boards flushed, every copy at the server's rev
  for (const p of pages) {
    while (p.busy)
      await sleep(10);
    if (p.cut) {
      await p.connect(p.cut);
      stats.resumes++;
    }
  }
  for (const g of GROUPS)
    await driver.conn.value('state_op', { which: 'board', in_group: g, op: 'flush' });
  await sleep(ms(120));
  const rev = new Map();
  rev.set(keyOf('counter'), await driver.conn.value('state_op', { which: 'counter', op: 'get' }));
  for (const g of GROUPS)
    rev.set(keyOf('board', g), await driver.conn.value('state_op', { which: 'board', in_group: g, op: 'get' }));
  const everyone = [driver, ...pages];
  const behind = () => everyone.flatMap((p) => p.keys()
    .filter((k) => p.copies.get(k)?.rev !== rev.get(k))
    .map((k) => `page ${p.id} ${k}: rev ${p.copies.get(k)?.rev} of ${rev.get(k)}`));
  try {
    await until(() => behind().length === 0, ms(5000), 'every page at the server\'s revision');
  } catch (e) {
    fail(`${e.message}: ${behind().slice(0, 8).join('; ')}`);
  }

  const want = new Map();
  want.set(keyOf('counter'), await serverValue('counter'));
  for (const g of GROUPS)
    want.set(keyOf('board', g), await serverValue('board', g));
  let compared = 0;
  for (const p of everyone) {
    const extra = [...p.copies.keys()].filter((k) => !p.keys().includes(k));
    if (extra.length)
      fail(`page ${p.id} still holds ${extra.join(', ')}, which it left`);
    for (const k of p.keys()) {
      const got = p.copies.get(k);
      if (!got)
        continue;    // already reported as behind
      try {
        assert.deepStrictEqual(got.value, want.get(k));
        compared++;
      } catch {
        fail(`page ${p.id} ${k} (rev ${got.rev}): ${JSON.stringify(got.value)} but the server has ${JSON.stringify(want.get(k))}`);
      }
    }
  }
  const totals = everyone.reduce((t, p) => ({ snapshots: t.snapshots + p.snapshots, patches: t.patches + p.patches }),
    { snapshots: 0, patches: 0 });
  console.log(`state_random: seed ${SEED}: ${JSON.stringify({ ...stats, pages: pages.length, compared, ...totals,
    revs: Object.fromEntries(rev), ms: Date.now() - started })}`);
  assert.deepEqual(failures, [], `seed ${SEED} (LV_SEED=${SEED} replays it)`);
  assert.ok(compared >= pages.length + 1, 'every page compared at least its counter');
});
