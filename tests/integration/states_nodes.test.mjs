// states_nodes.test.mjs - global and group states shared by three nodes through a real Redis: a change on one node reaches the pages of every node once, in order, with the same revisions and bytes; a late page and a late node get the current value; writes from two nodes at once converge on every page and node; a node killed with SIGKILL and its page resumed on another stay in step; Redis restarted empty is seeded again and pages go on. The loop is the suite's (LV_TEST_LOOP).
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { Client, closeAll, metrics, ms, sleep, startServer, until } from './helpers.mjs';
import { startRedis } from './redis.mjs';

let redis;
let env;
const nodes = {};
let clients = [];

const open = async (server, opts = {}) => {
  const c = await Client.open(server, opts);
  clients.push(c);
  return c;
};
const connected = async (server) => (await metrics(server)).get('lv_broker_connected') === 1;
const start = async (id) => {
  const s = await startServer({ ...env, LV_TEST_NODE_ID: id });
  await until(() => connected(s), ms(5000), `${id} to reach Redis`);
  nodes[id] = s;
  return s;
};

// ---- a page's copy, as lv.js keeps it ----------------------------------------------

const unescape = (t) => t.replace(/~1/g, '/').replace(/~0/g, '~');
const tokens = (p) => (p === '' ? [] : p.slice(1).split('/').map(unescape));

function apply(doc, ops) {
  let root = structuredClone(doc);
  for (const op of ops) {
    if (op.path === '') {
      root = structuredClone(op.value);
      continue;
    }
    const t = tokens(op.path);
    let c = root;
    for (const k of t.slice(0, -1))
      c = c[Array.isArray(c) ? Number(k) : k];
    const k = t[t.length - 1];
    if (op.op === 'add' && Array.isArray(c))
      c.splice(k === '-' ? c.length : Number(k), 0, op.value);
    else if (op.op === 'add' || op.op === 'replace')
      c[Array.isArray(c) ? Number(k) : k] = op.value;
    else if (op.op === 'remove' && Array.isArray(c))
      c.splice(Number(k), 1);
    else if (op.op === 'remove')
      delete c[k];
    else
      assert.fail(`unexpected op ${op.op}`);
  }
  return root;
}

const isSnapshot = (m) => m.ops?.length === 1 && m.ops[0].path === '' && m.ops[0].op === 'replace';
const stateMsgs = (c, name, group) => c.all.filter((m) => m.t === 'state' && m.name === name &&
  (m.group ?? null) === (group ?? null));

/* The page's copy from every state message it got: a snapshot at any
 * revision, a patch only at rev + 1 (else it is out of step, as lv.js
 * says, until the next snapshot); `bad` lists the patches out of step. */
function copyOf(c, name, group) {
  let value;
  let rev = null;
  let stale = false;
  const bad = [];
  const patches = [];
  for (const m of stateMsgs(c, name, group)) {
    if (isSnapshot(m)) {
      value = structuredClone(m.ops[0].value);
      rev = m.rev;
      stale = false;
      continue;
    }
    if (stale)
      continue;
    if (rev === null || m.rev !== rev + 1) {
      bad.push({ have: rev, got: m.rev });
      stale = true;
      continue;
    }
    value = apply(value, m.ops);
    rev = m.rev;
    patches.push({ rev: m.rev, ops: m.ops });
  }
  return { value, rev, bad, patches, stale };
}

/* What lv.js does for a copy out of step: asks for a snapshot. */
const resyncIfStale = (c, name, group) => {
  if (copyOf(c, name, group).stale)
    c.send(group ? { t: 'state_sync', name, group } : { t: 'state_sync', name });
};

const op = (c, args) => c.value('state_op', args);
const nodeValue = async (c, which, group) =>
  JSON.parse(await c.value('state_value', group ? { which, in_group: group } : { which }));

before(async () => {
  redis = await startRedis();
  env = { LV_TEST_BROKER: `unix:${redis.socket}` };
  await Promise.all([start('st-a'), start('st-b'), start('st-c')]);
});

after(async () => {
  await closeAll(clients);
  const exits = await Promise.allSettled(Object.values(nodes).filter(Boolean).map((s) => s.stop()));
  await redis?.stop();
  for (const e of exits) {
    const v = e.value;
    assert.ok(v && (v.code === 0 || v.signal === 'SIGKILL'), `a node exits cleanly: ${JSON.stringify(v)}`);
  }
});

test('a change on one node reaches every node\'s pages once, in order, with the same revisions', async () => {
  const { 'st-a': a, 'st-b': b, 'st-c': c } = nodes;
  const pa = await open(a);
  const pb = await open(b);
  const pc = await open(c);
  for (const p of [pa, pb, pc])
    await p.value('join', { name: 'sg1' });
  // the global counter: every page has its snapshot at first (its value nowhere yet)
  for (const p of [pa, pb, pc])
    await until(() => copyOf(p, 'counter').rev === 0, ms(3000), 'the counter\'s first snapshot');

  // each change waits for the last to come back, so that a slow node
  // (valgrind) does not coalesce two into one flush
  for (let i = 1; i <= 5; i++) {
    await op(pa, { which: 'counter', op: 'set', path: `/a${i}`, json: String(i) });
    await pa.value('board_cell', { in_group: 'sg1', key: `k${i}`, v: i, by: 'a' });
    await until(() => copyOf(pa, 'counter').value?.[`a${i}`] === i, ms(3000), `a${i} back from Redis`);
  }
  await op(pb, { which: 'counter', op: 'set', path: '/b', json: '7' });

  const want = { a1: 1, a2: 2, a3: 3, a4: 4, a5: 5, b: 7 };
  for (const p of [pa, pb, pc])
    await until(() => JSON.stringify(copyOf(p, 'counter').value) === JSON.stringify(want),
      ms(3000), 'the counter on every page');
  const ca = copyOf(pa, 'counter');
  assert.equal(ca.rev, 6, 'six flushes: six revisions, numbered by Redis');
  for (const p of [pa, pb, pc]) {
    const cp = copyOf(p, 'counter');
    assert.deepEqual(cp.bad, []);
    assert.deepEqual(cp.patches, ca.patches, 'the same patches with the same revisions on every node');
  }
  for (const p of [pa, pb, pc])
    assert.deepEqual(await nodeValue(p, 'counter'), want, 'each node\'s own copy');

  // the group's board: the same on every member's page and node
  const wantBoard = await nodeValue(pa, 'board', 'sg1');
  assert.equal(Object.keys(wantBoard.cells).length, 5);
  for (const p of [pa, pb, pc]) {
    await until(() => JSON.stringify(copyOf(p, 'board', 'sg1').value) === JSON.stringify(wantBoard),
      ms(3000), 'the board on every page');
    assert.deepEqual(copyOf(p, 'board', 'sg1').bad, []);
    assert.deepEqual(await nodeValue(p, 'board', 'sg1'), wantBoard);
  }
  const revs = copyOf(pa, 'board', 'sg1').patches.map((x) => x.rev);
  assert.deepEqual(copyOf(pc, 'board', 'sg1').patches.map((x) => x.rev), revs);
  assert.equal(await redis.command('GET', 'lv:stv:board@sg1'), String(revs[revs.length - 1]));
  await closeAll([pa, pb, pc]);
});

test('a late page and a late node get the current value, then the patches after it', async () => {
  const { 'st-a': a, 'st-b': b } = nodes;
  const pa = await open(a);
  await pa.value('join', { name: 'sg2' });
  for (let i = 0; i < 30; i++)
    await pa.value('board_cell', { in_group: 'sg2', key: `c${i}`, v: i, by: 'a' });
  const want = await nodeValue(pa, 'board', 'sg2');
  await until(() => JSON.stringify(copyOf(pa, 'board', 'sg2').value) === JSON.stringify(want),
    ms(3000), 'A\'s page').catch((e) => {
    throw new Error(`${e.message}: ${JSON.stringify(stateMsgs(pa, 'board', 'sg2').map((m) => [m.rev, m.ops.length]))} ${nodes['st-a'].stderr.slice(-3000)}`);
  });

  // a page on B, which had no copy of sg2's board
  const pb = await open(b);
  await pb.value('join', { name: 'sg2' });
  await until(() => JSON.stringify(copyOf(pb, 'board', 'sg2').value) === JSON.stringify(want),
    ms(3000), 'the late page\'s snapshot');
  const first = stateMsgs(pb, 'board', 'sg2')[0];
  assert.ok(isSnapshot(first), 'its first message is a snapshot');
  assert.equal(first.rev, copyOf(pa, 'board', 'sg2').rev, 'at the revision A\'s page is at');
  assert.notDeepEqual(first.ops[0].value.cells, {}, 'not the zero value first');

  // a node started now: its page gets the value, and what follows
  const d = await start('st-d');
  const pd = await open(d);
  await pd.value('join', { name: 'sg2' });
  await until(() => JSON.stringify(copyOf(pd, 'board', 'sg2').value) === JSON.stringify(want),
    ms(3000), 'the late node\'s page');
  assert.deepEqual(await nodeValue(pd, 'board', 'sg2'), want);
  assert.deepEqual(copyOf(pd, 'counter').value, await nodeValue(pa, 'counter'),
    'and the global counter as it is');
  await pd.value('board_cell', { in_group: 'sg2', key: 'from-d', v: 1, by: 'd' });
  for (const p of [pa, pb, pd])
    await until(() => copyOf(p, 'board', 'sg2').value?.cells['from-d']?.by === 'd', ms(3000),
      'D\'s change everywhere');
  for (const p of [pa, pb, pd])
    assert.deepEqual(copyOf(p, 'board', 'sg2').bad, []);
  await closeAll([pa, pb, pd]);
  await nodes['st-d'].stop();
  nodes['st-d'] = null;
});

test('writes to the same place from two nodes at once converge on every page and node', async () => {
  const { 'st-a': a, 'st-b': b, 'st-c': c } = nodes;
  const pa = await open(a);
  const pb = await open(b);
  const pc = await open(c);
  for (const p of [pa, pb, pc])
    await p.value('join', { name: 'sg3' });
  const conflicts = async () => {
    let n = 0;
    for (const s of [a, b])
      n += (await metrics(s)).get('lv_broker_state_conflicts_total');
    return n;
  };
  const before = await conflicts();
  const writes = [];
  for (let i = 0; i < 40; i++) {
    writes.push(op(pa, { which: 'counter', op: 'set', path: '/same', json: String(1000 + i) }));
    writes.push(op(pb, { which: 'counter', op: 'set', path: '/same', json: String(2000 + i) }));
    writes.push(pa.value('board_cell', { in_group: 'sg3', key: 'x', v: i, by: 'a' }));
    writes.push(pb.value('board_cell', { in_group: 'sg3', key: 'x', v: i, by: 'b' }));
  }
  await Promise.all(writes);
  const same = async (which, group) => {
    let last = '';
    await until(async () => {
      const seen = [];
      for (const p of [pa, pb, pc]) {
        seen.push(JSON.stringify(await nodeValue(p, which, group)));
        seen.push(JSON.stringify(copyOf(p, which, group).value));
      }
      last = seen.join('\n');
      return seen.every((v) => v === seen[0]);
    }, ms(5000), `${which}: one value on every node and page`).catch((e) => {
      throw new Error(`${e.message}:\n${last}`);
    });
  };
  await same('counter');
  await same('board', 'sg3');
  assert.ok(await conflicts() > before, 'the nodes saw their changes cross, and loaded again');
  const board = await nodeValue(pa, 'board', 'sg3');
  assert.equal(board.log.length, 80, 'every change is in it once');
  for (const p of [pa, pb, pc]) {
    assert.deepEqual(copyOf(p, 'counter').bad, []);
    assert.deepEqual(copyOf(p, 'board', 'sg3').bad, []);
  }
  const revs = copyOf(pa, 'board', 'sg3').patches.map((x) => x.rev);
  assert.deepEqual(copyOf(pb, 'board', 'sg3').patches.map((x) => x.rev), revs);
  await closeAll([pa, pb, pc]);
});

test('a node killed with SIGKILL: its page resumes on another and stays in step', async () => {
  const { 'st-a': a } = nodes;
  const pa = await open(a);
  await pa.value('join', { name: 'sg4' });
  const e = await start('st-e');
  const pe = await open(e);
  await pe.value('join', { name: 'sg4' });
  await pa.value('board_cell', { in_group: 'sg4', key: 'one', v: 1, by: 'a' });
  await until(() => copyOf(pe, 'board', 'sg4').value?.cells.one, ms(3000), 'E\'s page has it');
  // a connection state of the page's, on E only
  await op(pe, { which: 'mine', op: 'set', path: '/title', json: '"on e"' });
  await op(pe, { which: 'mine', op: 'flush' });
  await until(() => copyOf(pe, 'mine').value?.title === 'on e', ms(3000), 'E\'s page has its own');
  await sleep(ms(300));   // its messages kept in Redis with the session

  e.proc.kill('SIGKILL');
  await e.exited;
  nodes['st-e'] = null;
  // changes while the page is nowhere
  await pa.value('board_cell', { in_group: 'sg4', key: 'two', v: 2, by: 'a' });
  const resumed = await open(a, { resume: { session: pe.welcome.session, last: pe.lastSeq } });
  assert.equal(resumed.welcome.resumed, true, JSON.stringify(resumed.welcome));
  await pa.value('board_cell', { in_group: 'sg4', key: 'three', v: 3, by: 'a' });
  const want = await nodeValue(pa, 'board', 'sg4');
  // the page's copy: what it had on E, then what A sends (a snapshot when
  // it finds itself out of step, as lv.js asks)
  const page = { all: [...pe.all, ...resumed.all] };
  await until(() => {
    page.all = [...pe.all, ...resumed.all];
    if (copyOf(page, 'board', 'sg4').stale)
      resyncIfStale(resumed, 'board', 'sg4');
    return JSON.stringify(copyOf(page, 'board', 'sg4').value) === JSON.stringify(want);
  }, ms(5000), 'the resumed page in step');
  await pa.value('board_cell', { in_group: 'sg4', key: 'four', v: 4, by: 'a' });
  await until(() => {
    page.all = [...pe.all, ...resumed.all];
    return copyOf(page, 'board', 'sg4').value?.cells.four?.v === 4;
  }, ms(3000), 'and the patches after');
  assert.deepEqual(copyOf(page, 'board', 'sg4').value, await nodeValue(pa, 'board', 'sg4'));
  // its connection state is not carried: A makes it again at its zero
  // value, and the page gets that as a snapshot (docs/scaling.md)
  assert.equal((await nodeValue(resumed, 'mine')).title, '');
  await until(() => {
    page.all = [...pe.all, ...resumed.all];
    return copyOf(page, 'mine').value?.title === '';
  }, ms(3000), 'the zero value\'s snapshot');
  await closeAll([pa, resumed]);
});

test('Redis restarted empty: the nodes seed it again, pages get a snapshot or the next revision and go on', async () => {
  const { 'st-a': a, 'st-b': b } = nodes;
  const pa = await open(a);
  const pb = await open(b);
  for (const p of [pa, pb])
    await p.value('join', { name: 'sg5' });
  await pa.value('board_cell', { in_group: 'sg5', key: 'before', v: 1, by: 'a' });
  const before = await nodeValue(pa, 'board', 'sg5');
  await until(() => JSON.stringify(copyOf(pb, 'board', 'sg5').value) === JSON.stringify(before),
    ms(3000), 'B\'s page');
  const rev = copyOf(pb, 'board', 'sg5').rev;

  await redis.kill();
  await until(async () => !(await connected(a)), ms(5000), 'A to see Redis go');
  // Redis away: a change stays recorded, and a flush says so
  await pa.value('board_cell', { in_group: 'sg5', key: 'during', v: 3, by: 'a' });
  const down = await pa.call('state_op', { which: 'board', in_group: 'sg5', op: 'flush' });
  assert.equal(down.ok, false);
  assert.equal(down.error.code, 'unavailable');
  await redis.start();
  for (const s of [a, b])
    await until(() => connected(s), ms(8000), 'back on Redis');
  await until(async () => (await redis.command('GET', 'lv:stv:board@sg5')) === String(rev),
    ms(5000), 'the counter seeded from a copy');
  const snap = await redis.command('GET', 'lv:sts:board@sg5');
  assert.deepEqual(JSON.parse(snap.slice(snap.indexOf('\n') + 1)), before);

  await pb.value('board_cell', { in_group: 'sg5', key: 'after', v: 2, by: 'b' });
  let want;
  await until(async () => {
    want = await nodeValue(pb, 'board', 'sg5');
    return Object.keys(want.cells).length === 3;
  }, ms(5000), 'the change made while Redis was away flushed once it was back').catch((e) => {
    throw new Error(`${e.message}: ${JSON.stringify(want)}`);
  });
  assert.deepEqual(Object.keys(want.cells).sort(), ['after', 'before', 'during']);
  for (const p of [pa, pb]) {
    await until(() => JSON.stringify(copyOf(p, 'board', 'sg5').value) === JSON.stringify(want),
      ms(5000), 'every page goes on');
    assert.deepEqual(copyOf(p, 'board', 'sg5').bad, []);
    assert.deepEqual(await nodeValue(p, 'board', 'sg5'), want);
  }
  assert.equal(copyOf(pa, 'board', 'sg5').rev, rev + 2, 'numbered on from the seeded revision');
  // a page on a node that had no copy gets the seeded value
  const pc = await open(nodes['st-c']);
  await pc.value('join', { name: 'sg5' });
  await until(() => JSON.stringify(copyOf(pc, 'board', 'sg5').value) === JSON.stringify(want),
    ms(3000), 'a new copy loads what was seeded');
  await closeAll([pa, pb, pc]);
});
