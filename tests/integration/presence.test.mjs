// presence.test.mjs - who is in a group across nodes (lv_group_members) and
// the join and leave events (lv_presence_watch), on three nodes sharing a
// real Redis: members on every node listed with their ids and identities,
// joins and leaves raised on every node with members and pushed once by
// their origin, a node killed with SIGKILL gone from the lists and told
// as leaves "node died" within the bound, one stopped cleanly told as
// "disconnected" by a live node, a node restarted under its id clearing
// its previous run, Redis lost and back empty, junk in Redis passed over; and on the local
// broker the same API from one node's tables. The loop is the suite's
// (LV_TEST_LOOP).
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { Client, closeAll, metrics, ms, sleep, startServer, until } from './helpers.mjs';
import { redisCommand, startRedis } from './redis.mjs';

const SWEEP_MS = 1000;
let redis;
let env;
const nodes = {};
let clients = [];

const open = async (server, token) => {
  const c = await Client.open(server, token ? { query: { token } } : {});
  clients.push(c);
  return c;
};
const connected = async (server) => (await metrics(server)).get('lv_broker_connected') === 1;
const start = async (id, extra = {}) => {
  const s = await startServer({ ...env, LV_TEST_NODE_ID: id, ...extra });
  await until(() => connected(s), ms(5000), `${id} to reach Redis`);
  nodes[id] = s;
  return s;
};
const isPresence = (room, kind, who) => (m) => m.t === 'push' && m.fn === 'presence' &&
  m.args.room === room && m.args.kind === kind && m.args.who === who;
const presences = (c, room, kind, who) => c.all.filter(isPresence(room, kind, who)).length;
const byConn = (list) => Object.fromEntries(list.map((m) => [m.conn, m]));

before(async () => {
  redis = await startRedis();
  env = { LV_TEST_BROKER: `unix:${redis.socket}`, LV_TEST_PRESENCE_SWEEP_MS: String(SWEEP_MS) };
  await Promise.all([start('node-a'), start('node-b'), start('node-c')]);
});

after(async () => {
  await closeAll(clients);
  const exits = await Promise.allSettled(Object.values(nodes).map((s) => s.stop()));
  await redis?.stop();
  for (const e of exits) {
    const v = e.value;
    assert.ok(v && (v.code === 0 || v.signal === 'SIGKILL'), `a node exits cleanly: ${JSON.stringify(v)}`);
  }
});

test('members across nodes, with ids, identities and where they are', async () => {
  const { 'node-a': a, 'node-b': b } = nodes;
  const pa = await open(a, 'admin');     // identity "root"
  const pa2 = await open(a, 'admin');    // the same identity again: two members
  const pb = await open(b, 'user');      // identity "u"
  const pb2 = await open(b);             // anonymous
  for (const p of [pa, pa2, pb, pb2])
    await p.value('join', { name: 'p-list' });

  await until(async () => (await pa.value('members', { name: 'p-list' })).length === 4 &&
    (await pb.value('members', { name: 'p-list' })).length === 4, ms(3000), 'four members on both');
  const fromA = byConn(await pa.value('members', { name: 'p-list' }));
  assert.deepEqual(fromA[pa.welcome.conn], { conn: pa.welcome.conn, identity: 'root', here: true });
  assert.deepEqual(fromA[pa2.welcome.conn], { conn: pa2.welcome.conn, identity: 'root', here: true });
  assert.deepEqual(fromA[pb.welcome.conn], { conn: pb.welcome.conn, identity: 'u', here: false });
  assert.deepEqual(fromA[pb2.welcome.conn], { conn: pb2.welcome.conn, here: false });
  const fromB = byConn(await pb.value('members', { name: 'p-list' }));
  assert.equal(fromB[pb.welcome.conn].here, true);
  assert.equal(fromB[pa.welcome.conn].here, false);
  assert.equal(fromB[pa.welcome.conn].identity, 'root');

  // a node with no member in the group lists them too, and the group
  const pc = await open(nodes['node-c']);
  assert.equal((await pc.value('members', { name: 'p-list' })).length, 4);
  assert.deepEqual(await pc.value('members', { name: 'p-nobody' }), []);
  assert.ok((await pc.value('group_list')).includes('p-list'));
  await pb2.value('join', { name: 'p-only-b' });
  await until(async () => (await pa.value('group_list')).includes('p-only-b'), ms(3000),
    'a group of B\'s in A\'s list');
  await pb2.value('leave', { name: 'p-only-b' });
  await until(async () => !(await pa.value('group_list')).includes('p-only-b'), ms(3000),
    'gone with its last member');

  // a leave, and a page that goes: both gone from every node's list
  await pb.value('leave', { name: 'p-list' });
  await pa2.close();
  await until(async () => {
    const l = byConn(await pc.value('members', { name: 'p-list' }));
    return Object.keys(l).length === 2 && l[pa.welcome.conn] && l[pb2.welcome.conn];
  }, ms(3000), 'the two left');

  // names presence does not take
  const bad = await pa.call('members', { name: 'lv.all' });
  assert.equal(bad.ok, false);
  assert.equal(bad.error.code, 'invalid_argument');
  await closeAll([pa, pb, pb2, pc]);
});

test('join and leave events: raised on every node with members, pushed once by the origin', async () => {
  const { 'node-a': a, 'node-b': b, 'node-c': c } = nodes;
  const pb = await open(b, 'user');
  await pb.value('join', { name: 'p-ev' });
  const pa = await open(a, 'admin');
  await pa.value('join', { name: 'p-ev' });

  // B's page hears A's page join, once, with its identity
  const j = await pb.next(isPresence('p-ev', 'joined', pa.welcome.conn), ms(3000), 'the join on B');
  assert.equal(j.args.identity, 'root');
  // and A's page hears it too (the push is to the whole group)
  await pa.next(isPresence('p-ev', 'joined', pa.welcome.conn), ms(3000), 'the join on A');

  // each node's handler: A made it (origin, here), B heard it (there)
  const line = `joined p-ev ${pa.welcome.conn} root`;
  await until(async () => (await pb.value('presence_log')).includes(`${line} there -`) &&
    (await pa.value('presence_log')).includes(`${line} here origin`), ms(3000), 'both logs');
  // C has no member in p-ev: its handler is not told
  const pc = await open(c);
  assert.ok(!(await pc.value('presence_log')).some((l) => l.includes(' p-ev ')));

  // a leave: "left"; a page that goes: "disconnected"
  const pa2 = await open(a);
  await pa2.value('join', { name: 'p-ev' });
  await pb.next(isPresence('p-ev', 'joined', pa2.welcome.conn), ms(3000), 'the second join');
  const l = await pa.value('leave', { name: 'p-ev' });
  assert.equal(typeof l, 'number');
  const left = await pb.next(isPresence('p-ev', 'left', pa.welcome.conn), ms(3000), 'left');
  assert.equal(left.args.identity, 'root');
  await pa2.close();
  const gone = await pb.next(isPresence('p-ev', 'disconnected', pa2.welcome.conn), ms(3000),
    'disconnected');
  assert.equal(gone.args.identity, undefined);
  // A raised both as their origin, of a member here (its session over)
  await until(async () => {
    const log = await pa.value('presence_log');
    return log.includes(`left p-ev ${pa.welcome.conn} root here origin`) &&
      log.includes(`disconnected p-ev ${pa2.welcome.conn} - here origin`);
  }, ms(3000), 'the leaves in A\'s log');
  // joining twice is one join; leaving twice one leave
  await pb.value('join', { name: 'p-ev' });
  await sleep(ms(300));
  for (const [kind, who] of [['joined', pa.welcome.conn], ['left', pa.welcome.conn],
    ['disconnected', pa2.welcome.conn], ['joined', pb.welcome.conn]])
    assert.equal(presences(pb, 'p-ev', kind, who), 1, `one ${kind} of ${who}`);
  await closeAll([pa, pb, pc]);
});

test('a node killed: its members gone and told as leaves "node died" within the bound', async () => {
  const { 'node-b': b } = nodes;
  const d = await start('node-d');
  const pd = await open(d, 'admin');
  const pd2 = await open(d);
  const pb = await open(b);
  for (const p of [pb, pd, pd2])
    await p.value('join', { name: 'p-kill' });
  await until(async () => (await pb.value('members', { name: 'p-kill' })).length === 3,
    ms(3000), 'three members');
  await pb.next(isPresence('p-kill', 'joined', pd2.welcome.conn), ms(3000), 'the joins on B');

  const t0 = Date.now();
  d.proc.kill('SIGKILL');
  await d.exited;
  // the listing drops it as soon as its key expires (5 s TTL), the events
  // come with the next sweep: well within 15 s
  await pb.next(isPresence('p-kill', 'node died', pd.welcome.conn), ms(15000), 'node died on B');
  await pb.next(isPresence('p-kill', 'node died', pd2.welcome.conn), ms(3000), 'the second');
  const took = Date.now() - t0;
  assert.ok(took < ms(15000), `within 15 s (${took} ms)`);
  assert.ok(took >= 4000, `not before its key expired (${took} ms)`);
  assert.deepEqual((await pb.value('members', { name: 'p-kill' })).map((m) => m.conn),
    [pb.welcome.conn]);
  // once each, though three nodes sweep
  await sleep(ms(2 * SWEEP_MS));
  assert.equal(presences(pb, 'p-kill', 'node died', pd.welcome.conn), 1);
  const logs = await Promise.all(['node-a', 'node-b', 'node-c'].map(async (id) => {
    const c = await open(nodes[id]);
    const v = await c.value('presence_log');
    await c.close();
    return v.filter((x) => x.startsWith(`died p-kill ${pd.welcome.conn} root there`));
  }));
  assert.equal(logs.flat().filter((x) => x.endsWith('origin')).length, 1, 'one origin');
  assert.equal(logs[1].length, 1, 'B, with a member, was told');
  assert.equal(await redisCommand(redis.socket, ['SISMEMBER', 'lv:pnodes', 'node-d']), 0);
  delete nodes['node-d'];
  await pb.close();
});

test('a node stopped cleanly: its members told as "disconnected" by a live node, once', async () => {
  const { 'node-b': b } = nodes;
  const f = await start('node-f');
  const pf = await open(f, 'admin');
  const pb = await open(b);
  await pb.value('join', { name: 'p-stop' });
  await pf.value('join', { name: 'p-stop' });
  await pb.next(isPresence('p-stop', 'joined', pf.welcome.conn), ms(3000), 'the join');
  assert.deepEqual(await f.stop(), { code: 0, signal: null });
  delete nodes['node-f'];
  // gone from the list as it stops, and told within a sweep
  await until(async () => JSON.stringify((await pb.value('members', { name: 'p-stop' }))
    .map((m) => m.conn)) === JSON.stringify([pb.welcome.conn]), ms(1000), 'the list without it');
  const d = await pb.next(isPresence('p-stop', 'disconnected', pf.welcome.conn), ms(5000),
    'disconnected, from a live node');
  assert.equal(d.args.identity, 'root');
  await sleep(ms(2 * SWEEP_MS));
  assert.equal(presences(pb, 'p-stop', 'disconnected', pf.welcome.conn), 1);
  assert.ok(!pb.all.some(isPresence('p-stop', 'node died', pf.welcome.conn)));
  await pb.close();
});

test('a node restarted under its id clears its previous run, as leaves', async () => {
  const { 'node-a': a } = nodes;
  const e = await start('node-e');
  const pe = await open(e, 'user');
  const pa = await open(a);
  await pa.value('join', { name: 'p-restart' });
  await pe.value('join', { name: 'p-restart' });
  await pa.next(isPresence('p-restart', 'joined', pe.welcome.conn), ms(3000), 'the join');
  e.proc.kill('SIGKILL');
  await e.exited;
  delete nodes['node-e'];
  // at once, before its key could expire
  const e2 = await start('node-e', { LV_TEST_PRESENCE_SWEEP_MS: '600000' });
  await pa.next(isPresence('p-restart', 'node died', pe.welcome.conn), ms(3000), 'the leave');
  assert.deepEqual((await pa.value('members', { name: 'p-restart' })).map((m) => m.conn),
    [pa.welcome.conn]);
  await pa.close();
  assert.deepEqual(await e2.stop(), { code: 0, signal: null });
  delete nodes['node-e'];
});

test('Redis lost and back empty: the lists right again, the members here joined again', async () => {
  const { 'node-a': a, 'node-b': b } = nodes;
  const pa = await open(a, 'admin');
  const pa2 = await open(a);
  const pb = await open(b);
  for (const p of [pb, pa, pa2])
    await p.value('join', { name: 'p-lost' });
  await pb.next(isPresence('p-lost', 'joined', pa2.welcome.conn), ms(3000), 'the joins');
  await redis.kill();
  // while it is away: a leave (kept, sent when it is back) and the lists
  // say so: this node's members only
  await pa2.value('leave', { name: 'p-lost' });
  const away = await pa.call('members', { name: 'p-lost' });
  assert.equal(away.ok, false);
  assert.equal(away.error.code, 'unavailable');
  await redis.start();
  await until(async () => await connected(a) && await connected(b), ms(10000), 'both back');
  // back without its data: the members still here are registered again,
  // joins A raises as their origin (what the push of one reaches across
  // the reset is the reliable delivery's: in order, or a resync, which
  // the pages get for the reset); the one that left is not
  const count = async (line) => (await pa.value('presence_log')).filter((x) => x === line).length;
  await until(async () => await count(`joined p-lost ${pa.welcome.conn} root here origin`) === 2,
    ms(10000), 'pa joined again on A');
  await until(async () => {
    const l = (await pb.value('members', { name: 'p-lost' })).map((m) => m.conn).sort();
    return JSON.stringify(l) === JSON.stringify([pa.welcome.conn, pb.welcome.conn].sort());
  }, ms(5000), 'the list right again');
  assert.equal(await count(`joined p-lost ${pa2.welcome.conn} - here origin`), 1,
    'the leaver not joined again');
  await closeAll([pa, pa2, pb]);
});

test('junk in Redis: passed over, the nodes keep serving', async () => {
  const { 'node-a': a, 'node-b': b } = nodes;
  const pa = await open(a);
  await pa.value('join', { name: 'p-junk' });
  const k = 'lv:pm:p-junk';
  for (const [f, v] of [['bad conn!', 'node-x\n=z'], ['c1', 'no newline'], ['c2', 'node-a\n?'],
    ['c3', '\n=empty node'], ['c4', 'node-a\n'], ['c5', 'bad node id\n=x']])
    await redisCommand(redis.socket, ['HSET', k, f, v]);
  await redisCommand(redis.socket, ['SET', 'lv:node:node-x', '1']);
  await redisCommand(redis.socket, ['HSET', k, 'c6', 'node-x\n=ok']);
  const pb = await open(b);
  const l = await pb.value('members', { name: 'p-junk' });
  assert.deepEqual(l.map((m) => m.conn).sort(), [pa.welcome.conn, 'c6'].sort());
  // wrong types where sets and hashes belong, and junk on the channel
  await redisCommand(redis.socket, ['SET', 'lv:pm:p-wrong', 'x']);
  assert.deepEqual(await pb.value('members', { name: 'p-wrong' }), []);
  await redisCommand(redis.socket, ['SADD', 'lv:pnodes', 'dead-junk']);
  await redisCommand(redis.socket, ['SET', 'lv:pn:dead-junk', 'x']);
  await redisCommand(redis.socket, ['SADD', 'lv:pnodes', 'dead-2']);
  await redisCommand(redis.socket, ['SADD', 'lv:pn:dead-2', 'p-junk', '']);
  await redisCommand(redis.socket, ['HSET', k, 'c7', 'dead-2\n=gone']);
  for (const m of ['P', 'Pnode-x\n', 'Pnode-x\nq', 'Pnode-x\njc1', 'Pnode-x\nj!!\nnode-x\n-',
    'Pnode-x\njc8\nnode-x\n=a\u0000b', 'P\n\n\n'])
    await redisCommand(redis.socket, ['PUBLISH', 'lv:g:p-junk', m]);
  // the sweep takes dead-2's entry (a leave "node died"), the rest is passed over
  await pa.next(isPresence('p-junk', 'node died', 'c7'), ms(5000), 'the junk node swept');
  assert.equal(await redisCommand(redis.socket, ['SISMEMBER', 'lv:pnodes', 'dead-junk']), 0);
  assert.equal(presences(pa, 'p-junk', 'joined', 'c1'), 0);
  assert.equal(await pa.value('join', { name: 'p-junk2' }), 1);
  await redisCommand(redis.socket, ['DEL', 'lv:node:node-x', k, 'lv:pm:p-wrong']);
  await closeAll([pa, pb]);
});

test('the local broker: the same API from one node', async () => {
  const s = await startServer({ LV_TEST_BROKER: 'local' });
  try {
    const p1 = await Client.open(s, { query: { token: 'admin' } });
    const p2 = await Client.open(s);
    await p1.value('join', { name: 'p-local' });
    await p2.value('join', { name: 'p-local' });
    await p1.next(isPresence('p-local', 'joined', p2.welcome.conn), ms(3000), 'the join');
    const l = byConn(await p1.value('members', { name: 'p-local' }));
    assert.deepEqual(l[p1.welcome.conn], { conn: p1.welcome.conn, identity: 'root', here: true });
    assert.deepEqual(l[p2.welcome.conn], { conn: p2.welcome.conn, here: true });
    await p1.value('leave', { name: 'p-local' });
    const left = await p2.next(isPresence('p-local', 'left', p1.welcome.conn), ms(3000), 'left');
    assert.equal(left.args.identity, 'root');
    const p3 = await Client.open(s);
    await p3.value('join', { name: 'p-local' });
    await p2.next(isPresence('p-local', 'joined', p3.welcome.conn), ms(3000), 'the third');
    await p3.close();
    await p2.next(isPresence('p-local', 'disconnected', p3.welcome.conn), ms(3000), 'gone');
    assert.ok((await p2.value('presence_log')).includes(
      `left p-local ${p1.welcome.conn} root here origin`));
    assert.deepEqual((await p2.value('members', { name: 'p-local' })).map((m) => m.conn),
      [p2.welcome.conn]);
    assert.deepEqual(await p2.value('group_list'), ['p-local']);
    await closeAll([p1, p2]);
  } finally {
    assert.deepEqual(await s.stop(), { code: 0, signal: null });
  }
});
