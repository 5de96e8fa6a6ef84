// sessions_nodes.test.mjs - sessions across nodes: pages behind a load balancer (a loopback TCP proxy, nodes.mjs) resume on any node after theirs is killed with SIGKILL, and get every reliable message once, in order, with every call run once or answered `unavailable`; a node frozen while its session moved cannot write for it (fencing).
// The loop is the suite's (LV_TEST_LOOP).
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { Client, metrics, ms, sleep, until, within } from './helpers.mjs';
import { Cluster } from './nodes.mjs';
import { redisCommand } from './redis.mjs';

const cluster = new Cluster();
const { nodes } = cluster;
let redis;
let proxy;
let schema;
const startNode = (id) => cluster.startNode(id);
const killNode = (id) => cluster.killNode(id);
const alive = () => cluster.alive();
const tallies = () => cluster.tallies();
const newPage = (name, on, query) => cluster.newPage(name, { on, query });

before(async () => {
  await cluster.start(['sn-a', 'sn-b', 'sn-c']);
  ({ redis, proxy, schema } = cluster);
});

after(async () => {
  const exits = await cluster.stop();
  for (const e of exits)
    assert.deepEqual(e.value, { code: 0, signal: null }, 'a node exits cleanly');
});

test('a page whose node is killed resumes on another through the proxy, its messages and calls whole', async () => {
  const p = await newPage('one', 'sn-a');
  const q = await newPage('other', 'sn-b');
  await p.value('join', { name: 'solo' });
  await q.value('join', { name: 'solo' });
  await p.value('broadcast', { to: 'solo', text: 's1' });
  await p.value('note_id', { to_conn: p.conn, text: 'd1' });
  await until(() => p.notes('s').length === 1 && q.notes('s').length === 1, ms(3000), 's1 on both');
  await killNode('sn-a');
  // while it is dead: a group push from the other node, which the page must get
  await q.value('broadcast', { to: 'solo', text: 's2' });
  await until(() => p.resumes.length === 1, ms(5000), 'the page to resume elsewhere');
  await p.value('broadcast', { to: 'solo', text: 's3' });
  await p.value('note_id', { to_conn: p.conn, text: 'd2' });
  await until(() => p.notes('s').length >= 3 && q.notes('s').length >= 3, ms(3000), 's3 on both');
  assert.deepEqual(p.notes('s'), ['s1', 's2', 's3']);
  assert.deepEqual(q.notes('s'), ['s1', 's2', 's3']);
  assert.deepEqual(p.notes('d'), ['d1', 'd2']);
  assert.deepEqual(p.gaps, []);
  const taken = (await Promise.all(alive().map(async (id) =>
    (await metrics(nodes.get(id))).get('lv_broker_sessions_taken_total')))).reduce((a, b) => a + b, 0);
  assert.equal(taken, 1, 'one node took the session');
  await startNode('sn-a');
});

test('nodes killed one after another while pages push and call: every message once and in order, every call run at most once', async () => {
  const names = ['p0', 'p1', 'p2', 'p3', 'p4', 'p5'];
  const ps = [];
  for (const [k, n] of names.entries())
    ps.push(await newPage(n, ['sn-a', 'sn-b', 'sn-c'][k % 3]));   // two on each node
  for (const p of ps)
    await p.value('join', { name: 'room' });
  // small: tests/chaos/nodes.test.mjs does this at full size, on the
  // default loop; this one keeps it on every loop
  const STEPS = 10;
  const results = new Map();   // call key -> its answer
  const steps = new Map();     // page -> how many steps it made
  let killing = true;
  const work = ps.map(async (p) => {
    // at least STEPS, and on while nodes are being killed
    for (let i = 0; i < STEPS || killing; i++) {
      steps.set(p, i + 1);
      const k = `${p.name}.${i}`;
      results.set(`t:${k}`, await p.call('tally', { key: k }));
      results.set(`g:${k}`, await p.call('broadcast', { to: 'room', text: `g:${k}` }));
      results.set(`d:${k}`, await p.call('note_id', { to_conn: p.conn, text: `d:${k}` }));
    }
  });
  const all = Promise.all(work);
  const order = ['sn-b', 'sn-c'];
  let kills = 0;
  for (const id of order) {
    await sleep(ms(150 + Math.random() * 150));
    await killNode(id);
    kills++;
    await sleep(100);
    await startNode(id);
  }
  killing = false;
  await all;
  const ok = (k) => results.get(k).ok;
  const codes = [...results.values()].filter((r) => !r.ok).map((r) => r.error.code);
  for (const c of codes)
    assert.equal(c, 'unavailable', 'a call that failed says it may not have run');
  // every reliable message once, in order, on every page
  const sent = [...results.keys()].filter((k) => k.startsWith('g:') && ok(k)).map((k) => k);
  await until(() => ps.every((p) => sent.every((k) => p.notes('g:').includes(k))), ms(5000),
    'every group push on every page').catch((e) => {
    for (const p of ps)
      console.log(`# ${p.name}: missing ${sent.filter((k) => !p.notes('g:').includes(k))}; ` +
        `resyncs ${JSON.stringify(p.got.filter((m) => m.t === 'resync'))}; resumes ${p.resumes.length}`);
    throw e;
  });
  const first = ps[0].notes('g:');
  for (const p of ps) {
    assert.deepEqual(p.gaps, [], `${p.name}: no gap in its numbers`);
    assert.deepEqual(p.got.filter((m) => m.t === 'resync'), [], `${p.name}: nothing missed`);
    const g = p.notes('g:');
    assert.equal(new Set(g).size, g.length, `${p.name}: no group push twice`);
    assert.deepEqual(g, first, `${p.name}: the group's pushes in one order on every page`);
    for (const n of names) {
      const mine = g.filter((t) => t.startsWith(`g:${n}.`)).map((t) => Number(t.split('.')[1]));
      assert.deepEqual(mine, [...mine].sort((a, b) => a - b), `${p.name}: ${n}'s pushes in order`);
    }
    const d = p.notes('d:');
    const want = [...Array(steps.get(p)).keys()].map((i) => `d:${p.name}.${i}`);
    assert.deepEqual(d.filter((t) => !want.includes(t)), [], `${p.name}: only its own notes`);
    assert.equal(new Set(d).size, d.length, `${p.name}: no direct push twice`);
    assert.deepEqual(d, want.filter((t) => d.includes(t)), `${p.name}: its notes in order`);
    for (const t of want)
      if (ok(t))
        assert.ok(d.includes(t), `${p.name}: ${t} arrived`);
  }
  // every call run at most once; those answered ok exactly once
  const runs = tallies();
  for (const p of ps)
    for (let i = 0; i < steps.get(p); i++) {
      const k = `${p.name}.${i}`;
      const n = runs.get(k) || 0;
      assert.ok(n <= 1, `tally ${k} ran ${n} times`);
      if (ok(`t:${k}`))
        assert.equal(n, 1, `tally ${k} answered ok ran once`);
    }
  const moved = ps.reduce((a, p) => a + p.resumes.length, 0);
  assert.ok(moved >= 2, `sessions moved (${kills} kills, ${moved} resumes)`);
  console.log(`# ${kills} kills, ${moved} resumes elsewhere, ${codes.length} calls answered unavailable`);
});

test('a node frozen while its session moved cannot write for it when it wakes (fencing), and lets it go', async () => {
  const p = await newPage('fenced', 'sn-a');
  const a = nodes.get('sn-a');
  await p.value('ticks', { ms: 20, times: 100 });
  await until(() => p.notes('tick').length >= 3, ms(3000), 'ticks from sn-a');
  a.proc.kill('SIGSTOP');
  try {
    cluster.choose = ['sn-b'];
    p.c.terminate();
    await until(() => p.resumes.length === 1, ms(5000), 'the page to resume on sn-b');
    cluster.choose = null;
    const key = `lv:s:${p.session}`;
    const before = await redis.command('HMGET', key, 'node', 'fence', 'out');
    assert.equal(before[0], 'sn-b');
    assert.equal(before[1], '2', 'the take incremented the fencing token');
    const ticks = p.notes('tick');
    a.proc.kill('SIGCONT');
    // It wakes to its timer's next tick and to the notice that sn-b took
    // the session. libuv runs its timers first: the tick's write to the
    // record is refused (fenced). libwebsockets' poll loop reads the
    // notice first and lets the session go before any write.
    await until(async () => (await metrics(a)).get('lv_broker_sessions_lost_total') === 1, ms(3000),
      'sn-a to let the session go');
    const m = await metrics(a);
    if (process.env.LV_TEST_LOOP === 'uv')
      assert.ok(m.get('lv_broker_fenced_total') >= 1, 'sn-a\'s writes for the moved session were refused');
    await sleep(200);
    assert.deepEqual(await redis.command('HMGET', key, 'node', 'fence', 'out'), before,
      'the record is as sn-b left it');
    assert.equal(await redis.command('GET', `lv:conn:${p.conn}`), 'sn-b');
    assert.deepEqual(p.notes('tick'), ticks, 'nothing more from sn-a');
    assert.deepEqual(p.gaps, []);
    // and the session goes on, on sn-b
    await p.value('note_id', { to_conn: p.conn, text: 'after' });
    await until(() => p.notes('after').length === 1, ms(3000), 'a push on sn-b');
  } finally {
    a.proc.kill('SIGCONT');
    cluster.choose = null;
  }
});

test('a node that stops (SIGTERM) leaves its sessions to resume on another node', async () => {
  const p = await newPage('drained', 'sn-c');
  await p.value('join', { name: 'drain' });
  await p.value('note_id', { to_conn: p.conn, text: 'before' });
  const c = nodes.get('sn-c');
  nodes.set('sn-c', null);
  assert.deepEqual(await c.stop(), { code: 0, signal: null });
  await until(() => p.resumes.length === 1, ms(5000), 'the page to resume elsewhere');
  await p.value('note_id', { to_conn: p.conn, text: 'after' });
  await until(() => p.notes('after').length === 1, ms(3000), 'a push after the resume');
  assert.deepEqual(p.notes('before'), ['before']);
  assert.deepEqual(p.gaps, []);
  await startNode('sn-c');
});

test('a call its node was running when it was killed is answered unavailable on the next node, not run again', async () => {
  const p = await newPage('midcall', 'sn-b');
  const pending = p.call('later', { ms: 3000, value: 7 });
  await sleep(300);   // the call has arrived and runs (a thread answers in 3 s)
  await killNode('sn-b');
  const t0 = Date.now();
  const r = await pending;
  assert.equal(r.ok, false, `answered ${JSON.stringify(r)}`);
  assert.equal(r.error.code, 'unavailable');
  assert.match(r.error.message, /may or may not have run/);
  assert.ok(Date.now() - t0 < 2500, 'answered by the next node at once, not by a second run');
  assert.equal(p.resumes.length, 1);
  await startNode('sn-b');
});

test('who a page is goes with its session: signed in on one node, still so on the next; another identity cannot resume it', async () => {
  const p = await newPage('ann', 'sn-a');
  await p.value('login', { name: 'ann', role: 'admin' });
  assert.equal(await p.value('whoami', {}), 'ann');
  const q = await newPage('root', 'sn-a', { token: 'admin' });   // identity root from the upgrade
  await killNode('sn-a');
  await until(() => p.resumes.length === 1 && q.resumes.length === 1, ms(5000), 'both to resume elsewhere');
  assert.equal(await p.value('whoami', {}), 'ann');
  assert.equal((await p.call('admin_only', {})).ok, true, 'its role too');
  assert.equal(await q.value('whoami', {}), 'root');
  // the same token from a page that is someone else: not resumed
  cluster.choose = alive();
  const thief = await Client.open({ wsUrl: proxy.wsUrl, schema, app: 'app' },
    { query: { token: 'user' }, resume: { session: q.session, last: q.last } });
  assert.equal(thief.welcome.resumed, false);
  assert.equal(thief.welcome.resync, 'unknown');
  assert.notEqual(thief.welcome.session, q.session);
  await thief.close();
  cluster.choose = null;
  assert.equal(await q.value('whoami', {}), 'root', 'the owner keeps its session');
  await startNode('sn-a');
});

test('a session whose record in Redis is not valid is refused on the node that takes it: the page starts anew, the node serves on', async () => {
  const p = await newPage('spoilt', 'sn-a');
  await p.value('join', { name: 'spoilt' });
  p.stopped = true;
  p.c.terminate();   // gone without a goodbye: the session waits to be resumed
  await p.c.closed;
  const key = `lv:s:${p.session}`;
  assert.equal(await redisCommand(redis.socket, ['EXISTS', key]), 1, 'the record is in Redis');
  await redisCommand(redis.socket, ['HSET', key, 'id', 'not an id']);
  const before = (await metrics(nodes.get('sn-b'))).get('lv_broker_sessions_refused_total');
  assert.equal(before, 0);
  cluster.choose = ['sn-b'];
  const c = await Client.open({ wsUrl: proxy.wsUrl, schema, app: 'app' },
    { resume: { session: p.session, last: p.last } });
  cluster.choose = null;
  assert.equal(c.welcome.resumed, false, `welcome ${JSON.stringify(c.welcome)}`);
  assert.equal(c.welcome.resync, 'unknown');
  assert.notEqual(c.welcome.session, p.session);
  assert.equal((await metrics(nodes.get('sn-b'))).get('lv_broker_sessions_refused_total'), 1);
  await until(async () => await redisCommand(redis.socket, ['EXISTS', key]) === 0, ms(3000),
    'the refused record to go');
  assert.match(nodes.get('sn-b').stderr + nodes.get('sn-b').stdout, /record in Redis is not valid/);
  const q = await newPage('after-spoilt', 'sn-b');
  await q.value('join', { name: 'spoilt' });
  await c.close();
});

test('a page whose node lost its Redis links and reconnected resumes on another node when that node dies', async () => {
  const p = await newPage('relinked', 'sn-a');
  await p.value('join', { name: 'relink' });
  await p.value('note_id', { to_conn: p.conn, text: 'before' });
  const a = nodes.get('sn-a');
  const before = (await metrics(a)).get('lv_broker_reconnects_total');
  await redis.command('CLIENT', 'KILL', 'TYPE', 'pubsub');
  await until(async () => (await metrics(a)).get('lv_broker_reconnects_total') > before &&
    (await metrics(a)).get('lv_broker_connected') === 1, ms(5000), 'sn-a back on Redis');
  await until(async () => (await metrics(a)).get('lv_broker_sessions_relinked_total') >= 1,
    ms(5000), 'its record written again');
  await p.value('note_id', { to_conn: p.conn, text: 'between' });
  await killNode('sn-a');
  await until(() => p.resumes.length === 1, ms(5000), 'the page to resume elsewhere');
  await p.value('note_id', { to_conn: p.conn, text: 'after' });
  await until(() => p.notes('after').length === 1, ms(3000), 'a push after the resume');
  assert.deepEqual(p.notes(''), ['before', 'between', 'after']);
  assert.deepEqual(p.gaps, []);
  await startNode('sn-a');
});

test('calls on their way to Redis when its links are cut run once, after the record is written again', async () => {
  const p = await newPage('cut', 'sn-b');
  await p.value('join', { name: 'cut' });
  const b = nodes.get('sn-b');
  const relinked = (await metrics(b)).get('lv_broker_sessions_relinked_total');
  const N = 40;
  const calls = [];
  for (let i = 0; i < N; i++)
    calls.push(p.call('tally', { key: `cut.${i}` }, ms(10000)));
  await redis.command('CLIENT', 'KILL', 'TYPE', 'normal');   // every node's command link
  const answers = await Promise.all(calls);
  for (const [i, r] of answers.entries())
    assert.equal(r.ok, true, `cut.${i} answered ${JSON.stringify(r)}`);
  await until(async () => (await metrics(b)).get('lv_broker_sessions_relinked_total') > relinked,
    ms(5000), 'its record written again');
  const runs = tallies();
  for (let i = 0; i < N; i++)
    assert.equal(runs.get(`cut.${i}`), 1, `cut.${i} ran once`);
  assert.equal((await metrics(b)).get('lv_broker_sessions_unkept_total'), 0, 'no session went local');
  await until(async () => (await Promise.all(alive().map(async (id) =>
    (await metrics(nodes.get(id))).get('lv_broker_connected')))).every((v) => v === 1), ms(5000),
    'every node back on Redis');
  // the record has it all: the next node resumes it whole
  await p.value('note_id', { to_conn: p.conn, text: 'kept' });
  await killNode('sn-b');
  await until(() => p.resumes.length === 1, ms(5000), 'the page to resume elsewhere');
  assert.equal(p.resumes.at(-1).resumed, true);
  await p.value('note_id', { to_conn: p.conn, text: 'after' });
  await until(() => p.notes('after').length === 1, ms(3000), 'a push after the resume');
  assert.deepEqual(p.notes('kept'), ['kept']);
  assert.deepEqual(p.gaps, []);
  assert.equal(tallies().get('cut.5'), 1, 'nothing ran again on the next node');
  await startNode('sn-b');
});

// Last: Redis comes back empty (a new epoch), which every group resyncs for.
test('Redis away for longer than the grace: the session stays on its node, what its page sent meanwhile runs there once; a page resuming meanwhile is told to try again', async () => {
  const p = await newPage('grace', 'sn-c');
  const c = nodes.get('sn-c');
  await redis.kill();
  const t0 = Date.now();
  const r = await p.call('tally', { key: 'grace.1' }, ms(15000));
  assert.equal(r.ok, true, `answered ${JSON.stringify(r)}`);
  assert.ok(Date.now() - t0 >= 4000, 'held for the grace before it ran here');
  assert.equal(tallies().get('grace.1'), 1);
  assert.ok((await metrics(c)).get('lv_broker_sessions_unkept_total') >= 1, 'the session went local');
  assert.match(c.stderr + c.stdout, /Redis was not back in time/);
  // a page that resumes on a node without Redis is told to try again
  // (its record may be there once Redis is), not given a new session
  cluster.choose = ['sn-a'];
  const t = await Client.open({ wsUrl: proxy.wsUrl, schema, app: 'app' }, { hello: false });
  cluster.choose = null;
  t.send({ t: 'hello', app: 'app', schema, resume: { session: '0'.repeat(32), last: 0 } });
  const info = await within(t.closed, ms(3000), 'the close');
  assert.equal(info.code, 1013, `closed ${JSON.stringify(info)}`);
  assert.equal(t.all.filter((m) => m.t === 'welcome').length, 0, 'no new session');
  await redis.start();
  await until(async () => (await metrics(c)).get('lv_broker_connected') === 1, ms(10000),
    'sn-c back on Redis');
  assert.equal((await p.call('tally', { key: 'grace.2' })).ok, true, 'it serves on');
  assert.equal(tallies().get('grace.2'), 1);
  await p.value('note_id', { to_conn: p.conn, text: 'still' });
  await until(() => p.notes('still').length === 1, ms(3000), 'a push after');
});
