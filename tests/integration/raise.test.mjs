// raise.test.mjs - custom server events raised on every node (NAME_raise_all): two nodes on one redis-server run the handler once each, junk on lv:all is survived, Redis away refuses it; on the local broker it runs once.
//
// poke_all raises "poke.all" (app.lv); poked_all_seen answers what the
// handler ran with on that node. The loop is the suite's (LV_TEST_LOOP).
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { Client, closeAll, metrics, ms, sleep, startServer, until } from './helpers.mjs';
import { startRedis } from './redis.mjs';

let redis;
let a;
let b;
let clients = [];
const servers = [];

const open = async (server) => {
  const c = await Client.open(server);
  clients.push(c);
  return c;
};

const node = async (id) => {
  const s = await startServer({ LV_TEST_BROKER: `unix:${redis.socket}`, LV_TEST_NODE_ID: id });
  servers.push(s);
  await until(async () => (await metrics(s)).get('lv_broker_connected') === 1, ms(5000),
    `${id} to reach Redis`);
  return s;
};

/* The runs of poked_all on the page's node with `by`, as "BY:N" each. */
const runs = async (c, by) => (await c.value('poked_all_seen', {}))
  .split(';').filter((e) => e.startsWith(`${by}:`));

/* Waits until each page's node ran `by` as `want` (a sorted list of
 * "BY:N": two threads raise in either order), then a while longer, and
 * checks nothing came twice. */
const ranOnce = async (pages, by, want) => {
  await until(async () => {
    for (const c of pages)
      if ((await runs(c, by)).length < want.length)
        return false;
    return true;
  }, ms(5000), `${by} on every node`);
  await sleep(ms(300));
  for (const c of pages)
    assert.deepEqual((await runs(c, by)).sort(), want, `${by} once, with its arguments`);
};

before(async () => {
  redis = await startRedis();
  a = await node('ev-a');
  b = await node('ev-b');
});

after(async () => {
  await closeAll(clients);
  const exits = await Promise.allSettled(servers.filter((s) => !s.killed).map((s) => s.stop()));
  await redis?.stop();
  for (const e of exits)
    assert.deepEqual(e.value, { code: 0, signal: null }, 'a node exits cleanly');
});

test('an event raised on one node runs on both, once each, with its arguments', async () => {
  const pa = await open(a);
  const pb = await open(b);
  const before = (await metrics(a)).get('lv_broker_published_total');
  await pa.value('poke_all', { by: 'handler', n: 1 });
  await ranOnce([pa, pb], 'handler', ['handler:1']);
  assert.ok((await metrics(a)).get('lv_broker_published_total') > before);
  assert.ok((await metrics(b)).get('lv_broker_received_total') >= 1);
});

test('raised from another thread: posted to the loop, and on both nodes once', async () => {
  const pa = await open(a);
  const pb = await open(b);
  await pb.value('poke_all', { by: 'thread', n: 2, thread: true });
  await pb.value('poke_all', { by: 'thread', n: 3, thread: true });
  await ranOnce([pa, pb], 'thread', ['thread:2', 'thread:3']);
});

test('junk on lv:all is logged and dropped; a well-formed event from elsewhere runs', async () => {
  const pa = await open(a);
  const pb = await open(b);
  for (const junk of ['E', 'E\n', 'Eev-x', 'Eev-x\n', 'Eev-x\npoke.all', 'Eev-x\npoke.all\n',
    'Ebad node!\npoke.all\n{"by":"junk","n":1}', 'Eev-x\nno such\n{}',
    'Eev-x\nnope\n{"by":"junk","n":1}', 'Eev-x\npoke.all\nnot json',
    'Eev-x\npoke.all\n{"by":"junk","n":1', 'Eev-x\npoke.all\n[1,2]',
    'Eev-x\npoke.all\n{"by":1,"n":"x"}', 'Eev-x\npoke.all\n{"n":1}', `E${'x'.repeat(65)}\npoke.all\n{}`,
    `Eev-x\n${'p'.repeat(65)}\n{}`])
    await redis.command('PUBLISH', 'lv:all', junk);
  await redis.command('PUBLISH', 'lv:all', 'Eev-x\npoke.all\n{"by":"outside","n":7}');
  await ranOnce([pa, pb], 'outside', ['outside:7']);
  for (const c of [pa, pb])
    assert.deepEqual(await runs(c, 'junk'), [], 'no junk ran');
  assert.equal(await pa.value('ping', {}), 'pong');
  assert.equal(await pb.value('ping', {}), 'pong');
  assert.match(a.stderr, /no handler for/);
  // and a real one still goes round
  await pa.value('poke_all', { by: 'after-junk', n: 4 });
  await ranOnce([pa, pb], 'after-junk', ['after-junk:4']);
});

test('Redis away: raising fails with unavailable on the loop, and runs nowhere', async () => {
  const pa = await open(a);
  const pb = await open(b);
  await redis.kill();
  await until(async () => (await metrics(a)).get('lv_broker_connected') === 0, ms(5000),
    'A to see Redis gone');
  const r = await pa.call('poke_all', { by: 'lost', n: 5 });
  assert.equal(r.ok, false);
  assert.equal(r.error.code, 'unavailable');
  await pa.value('poke_all', { by: 'lost-thread', n: 6, thread: true });
  await sleep(ms(300));
  for (const c of [pa, pb]) {
    assert.deepEqual(await runs(c, 'lost'), []);
    assert.deepEqual(await runs(c, 'lost-thread'), []);
  }
  await until(() => /ran nowhere/.test(a.stderr), ms(3000), 'the refused raise from a thread logged');
});

test('on the local broker it runs once, on this node', async () => {
  const s = await startServer({});
  servers.push(s);
  const c = await open(s);
  await c.value('poke_all', { by: 'local', n: 8 });
  assert.deepEqual(await runs(c, 'local'), ['local:8'], 'ran at once, inside the call');
  await c.value('poke_all', { by: 'local-thread', n: 9, thread: true });
  await ranOnce([c], 'local-thread', ['local-thread:9']);
});
