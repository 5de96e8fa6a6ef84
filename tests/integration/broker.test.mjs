// broker.test.mjs - two nodes sharing groups and pushes through a real
// Redis (the broker option): a group push from one node reaches the
// members on both once each, group_size counts both, a page that leaves
// hears no more, a push by connection id crosses nodes, a push to every
// page reaches both; with Redis killed the handler's push fails with
// unavailable and the pages stay; with it back the nodes reconnect and
// deliver again. The loop is the suite's (LV_TEST_LOOP).
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { Client, closeAll, metrics, ms, sleep, startServer, until } from './helpers.mjs';
import { startRedis } from './redis.mjs';

let redis;
let a;
let b;
let clients = [];

const open = async (server) => {
  const c = await Client.open(server);
  clients.push(c);
  return c;
};

const isNote = (text) => (m) => m.t === 'push' && m.fn === 'note' && m.args.text === text;
const notes = (c, text) => c.all.filter(isNote(text)).length;
const connected = async (server) => (await metrics(server)).get('lv_broker_connected') === 1;

before(async () => {
  redis = await startRedis();
  const env = { LV_TEST_BROKER: `unix:${redis.socket}` };
  a = await startServer({ ...env, LV_TEST_NODE_ID: 'node-a' });
  b = await startServer({ ...env, LV_TEST_NODE_ID: 'node-b' });
  await until(async () => await connected(a) && await connected(b), ms(5000),
    'both nodes to reach Redis');
});

after(async () => {
  await closeAll(clients);
  // each by its own pid, whatever happened before
  const exits = await Promise.allSettled([a?.stop(), b?.stop()]);
  await redis?.stop();
  for (const e of exits)
    assert.deepEqual(e.value, { code: 0, signal: null }, 'a node exits cleanly');
});

test('metrics name the broker and the node', async () => {
  const m = await metrics(a);
  assert.equal(m.get('lv_broker_info{broker="redis",node="node-a"}'), 1);
  assert.equal(m.get('lv_broker_connected'), 1);
});

test('a group across two nodes: push, size, leave, by id, everyone, Redis lost and back', async () => {
  const pa = await open(a);
  const pb = await open(b);
  assert.equal(await pa.value('join', { name: 'room' }), 1);
  await pb.value('join', { name: 'room' });

  // group_size counts both nodes' members, on both (within a heartbeat)
  await until(async () => await pa.value('group_size', { name: 'room' }) === 2 &&
    await pb.value('group_size', { name: 'room' }) === 2, ms(3000), 'room to count 2 on both nodes');

  // a handler on A pushes to the group: both pages, once each
  const before = (await metrics(a)).get('lv_broker_published_total');
  assert.equal(await pa.value('broadcast', { to: 'room', text: 'hello' }), 2);
  await pa.next(isNote('hello'), ms(3000), 'the note on A');
  await pb.next(isNote('hello'), ms(3000), 'the note on B, from A');
  assert.equal((await metrics(a)).get('lv_broker_published_total'), before + 1);
  assert.ok((await metrics(b)).get('lv_broker_received_total') >= 1);

  // to the page on the other node by its connection id, and to one here
  await pa.value('note_id', { to_conn: pb.welcome.conn, text: 'direct' });
  await pb.next(isNote('direct'), ms(3000), 'the direct note on B');
  await pb.value('note_id', { to_conn: pb.welcome.conn, text: 'self' });
  await pb.next(isNote('self'), ms(3000), 'the note by id on its own node');

  // every page, on every node
  await pb.value('broadcast', { text: 'all' });
  await pa.next(isNote('all'), ms(3000), 'the note to every page on A');
  await pb.next(isNote('all'), ms(3000), 'the note to every page on B');
  await until(async () => await pa.value('group_size', {}) === 2, ms(3000), 'two pages in all');

  // B's page leaves: it hears no more of room, A's still does
  assert.equal(await pb.value('leave', { name: 'room' }), 1);
  await until(async () => await pa.value('group_size', { name: 'room' }) === 1, ms(3000),
    'room to count 1 on A');
  await pa.value('broadcast', { to: 'room', text: 'after-leave' });
  await pa.next(isNote('after-leave'), ms(3000), 'the note after the leave on A');
  // a member is counted elsewhere once its node hears the group
  await pb.value('join', { name: 'other' });
  await until(async () => await pa.value('group_size', { name: 'other' }) === 1, ms(3000),
    'other to count B\'s page on A');
  await pa.value('broadcast', { to: 'other', text: 'marker' });
  await pb.next(isNote('marker'), ms(3000), 'a later note on B');
  assert.equal(notes(pb, 'after-leave'), 0, 'B left room: nothing of it after');

  // once each, nothing twice
  await sleep(ms(200));
  for (const [c, text] of [[pa, 'hello'], [pb, 'hello'], [pb, 'direct'], [pb, 'self'],
    [pa, 'all'], [pb, 'all'], [pa, 'after-leave'], [pb, 'marker']])
    assert.equal(notes(c, text), 1, `${text} once on ${c === pa ? 'A' : 'B'}`);

  // Redis dies: pushes fail with unavailable where the handler sees them,
  // the pages stay connected
  await redis.kill();
  await until(async () => !await connected(a) && !await connected(b), ms(5000),
    'both nodes to see Redis gone');
  const r = await pa.call('broadcast', { to: 'room', text: 'lost' });
  assert.equal(r.ok, false);
  assert.equal(r.error.code, 'unavailable');
  const r2 = await pa.call('note_id', { to_conn: pb.welcome.conn, text: 'lost' });
  assert.equal(r2.ok, false);
  assert.equal(r2.error.code, 'unavailable');
  assert.ok((await metrics(a)).get('lv_broker_unavailable_total') >= 2);
  assert.equal(await pa.value('ping', {}), 'pong');
  assert.equal(await pb.value('ping', {}), 'pong');
  assert.equal(pa.closeInfo, null);
  assert.equal(pb.closeInfo, null);
  assert.equal(notes(pa, 'lost') + notes(pb, 'lost'), 0, 'a refused push went nowhere');

  // Redis is back (empty): the nodes reconnect by themselves, register
  // their members again and deliver across again
  await redis.start();
  await until(async () => await connected(a) && await connected(b), ms(10000),
    'both nodes to reconnect');
  assert.ok((await metrics(a)).get('lv_broker_reconnects_total') >= 1);
  await until(async () => await pb.value('group_size', { name: 'room' }) === 1 &&
    await pa.value('group_size', { name: 'other' }) === 1, ms(3000), 'the members registered again');
  await pa.value('broadcast', { to: 'other', text: 'back' });
  await pb.next(isNote('back'), ms(3000), 'a note across nodes after the reconnect');
  await pb.value('broadcast', { to: 'room', text: 'back-room' });
  await pa.next(isNote('back-room'), ms(3000), 'a note from B to room on A after the reconnect');
  await sleep(ms(100));
  assert.equal(notes(pb, 'back'), 1);
  assert.equal(notes(pa, 'back-room'), 1);
});

test('a page that goes leaves its groups on every node', async () => {
  const pa = await open(a);
  const pb = await open(b);
  await pa.value('join', { name: 'brief' });
  await pb.value('join', { name: 'brief' });
  await until(async () => await pa.value('group_size', { name: 'brief' }) === 2, ms(3000),
    'brief to count 2');
  await pb.close();
  await until(async () => await pa.value('group_size', { name: 'brief' }) === 1, ms(3000),
    'brief to count 1 once B\'s page is gone');
});

test('a broker or node id the server cannot use is refused at start, saying why', async () => {
  for (const [env, why] of [
    [{ LV_TEST_BROKER: 'memcached://127.0.0.1:11211' }, /expected "local", redis:\/\/HOST:PORT or unix:/],
    [{ LV_TEST_BROKER: 'redis://127.0.0.1:99999' }, /expected "local"/],
    [{ LV_TEST_BROKER: `unix:${redis.socket}`, LV_TEST_NODE_ID: 'no spaces' }, /node_id "no spaces"/],
  ]) {
    await assert.rejects(startServer(env), (e) => {
      assert.match(e.message, /exited before it listened/);
      assert.match(e.message, why);
      return true;
    });
  }
});

test('a node that stops takes its members and pages out of the counts at once', async () => {
  const c = await startServer({ LV_TEST_BROKER: `unix:${redis.socket}`, LV_TEST_NODE_ID: 'node-c' });
  try {
    await until(() => connected(c), ms(5000), 'node C to reach Redis');
    const pa = await open(a);
    const all = await pa.value('group_size', {});
    const pc = await open(c);
    await pc.value('join', { name: 'leaving' });
    await until(async () => await pa.value('group_size', { name: 'leaving' }) === 1 &&
      await pa.value('group_size', {}) === all + 1, ms(3000), 'A to count C\'s page');
    clients = clients.filter((x) => x !== pc);
    assert.deepEqual(await c.stop(), { code: 0, signal: null });
    // well before C's key would expire (5 s)
    await until(async () => await pa.value('group_size', { name: 'leaving' }) === 0 &&
      await pa.value('group_size', {}) === all, ms(2500), 'A to stop counting C\'s page');
  } finally {
    await c.stop().catch(() => {});
  }
});

test('broker_local_sessions: sessions stay on their node (no record in Redis), resume there, are unknown elsewhere', async () => {
  const env = { LV_TEST_BROKER: `unix:${redis.socket}`, LV_TEST_BROKER_LOCAL_SESSIONS: '1' };
  const x = await startServer({ ...env, LV_TEST_NODE_ID: 'local-x' });
  const y = await startServer({ ...env, LV_TEST_NODE_ID: 'local-y' });
  try {
    await until(async () => await connected(x) && await connected(y), ms(5000), 'both to reach Redis');
    const c = await open(x);
    assert.equal(await c.value('ping', {}), 'pong');
    const session = c.welcome.session;
    assert.equal(await redis.command('EXISTS', `lv:s:${session}`), 0, 'no record in Redis');
    const last = c.lastSeq;
    c.ws.terminate();   // dropped, not closed: the session waits on x
    await until(async () => (await metrics(x)).get('lv_sessions_detached') === 1, ms(3000), 'x to hold it');
    const elsewhere = await Client.open(y, { resume: { session, last } });
    clients.push(elsewhere);
    assert.equal(elsewhere.welcome.resync, 'unknown', 'another node does not know it');
    const home = await Client.open(x, { resume: { session, last } });
    clients.push(home);
    assert.equal(home.welcome.resumed, true, 'its own node resumes it');
    assert.equal(home.welcome.session, session);
  } finally {
    await Promise.allSettled([x.stop(), y.stop()]);
  }
});
