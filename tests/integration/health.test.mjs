// health.test.mjs - the Redis broker's link in /lv/metrics: the round trip of the heartbeat's command, pub/sub's lag and the pushes Redis has not answered, plausible on loopback and growing while redis-server is stopped (SIGSTOP, its pid); absent on the local broker.
//
// The loop is the suite's (LV_TEST_LOOP).
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { Client, closeAll, metrics, ms, sleep, startServer, until } from './helpers.mjs';
import { startRedis } from './redis.mjs';

let redis;
let a;
let clients = [];
const servers = [];

const HEALTH = ['lv_broker_rtt_seconds', 'lv_broker_lag_seconds', 'lv_broker_outbox_pushes',
  'lv_broker_outbox_oldest_seconds'];

before(async () => {
  redis = await startRedis();
  a = await startServer({ LV_TEST_BROKER: `unix:${redis.socket}`, LV_TEST_NODE_ID: 'hl-a' });
  servers.push(a);
});

after(async () => {
  await closeAll(clients);
  const exits = await Promise.allSettled(servers.map((s) => s.stop()));
  await redis?.stop();
  for (const e of exits)
    assert.deepEqual(e.value, { code: 0, signal: null }, 'a node exits cleanly');
});

test('the round trip and the lag are measured: above 0, under a second on loopback', async () => {
  const m = await until(async () => {
    const m = await metrics(a);
    return m.get('lv_broker_connected') === 1 && m.has('lv_broker_rtt_seconds') &&
      m.has('lv_broker_lag_seconds') && m;
  }, ms(5000), 'the first probe measured');
  for (const name of HEALTH) {
    assert.match(m.text, new RegExp(`^# HELP ${name} \\S.*$`, 'm'), `${name} has help`);
    assert.match(m.text, new RegExp(`^# TYPE ${name} gauge$`, 'm'), `${name} is a gauge`);
  }
  for (const name of ['lv_broker_rtt_seconds', 'lv_broker_lag_seconds']) {
    const v = m.get(name);
    assert.ok(v > 0 && v < ms(1000) / 1000, `${name} = ${v}`);
  }
  assert.equal(m.get('lv_broker_outbox_pushes'), 0);
  assert.equal(m.get('lv_broker_outbox_oldest_seconds'), 0);
  // measured again with each heartbeat, not once
  const first = m.get('lv_broker_lag_seconds');
  await until(async () => (await metrics(a)).get('lv_broker_lag_seconds') !== first, ms(5000),
    'a later probe measured');
});

test('redis-server stopped: the round trip, the lag and the oldest unanswered push grow; back to normal once it goes on', async () => {
  const c = await Client.open(a);
  clients.push(c);
  await until(async () => (await metrics(a)).has('lv_broker_lag_seconds'), ms(5000), 'measured');
  // a reliable group push from another thread 200 ms on, once Redis is
  // stopped: it waits for Redis' answer (the call itself is recorded in
  // Redis before it runs, so it is answered first)
  assert.equal((await c.call('broadcast', { to: 'room', text: 'held', ms: 200 })).ok, true);
  process.kill(redis.pid, 'SIGSTOP');
  let m;
  try {
    // the next heartbeat's probe goes within a second; 1.2 s later it has waited over 1 s
    await sleep(2200);
    m = await metrics(a);
  } finally {
    process.kill(redis.pid, 'SIGCONT');
  }
  assert.ok(m.get('lv_broker_rtt_seconds') >= 1, `rtt ${m.get('lv_broker_rtt_seconds')}`);
  assert.ok(m.get('lv_broker_lag_seconds') >= 1, `lag ${m.get('lv_broker_lag_seconds')}`);
  assert.ok(m.get('lv_broker_outbox_pushes') >= 1, 'the push waits');
  assert.ok(m.get('lv_broker_outbox_oldest_seconds') >= 1.5,
    `oldest ${m.get('lv_broker_outbox_oldest_seconds')}`);
  await until(async () => {
    const m = await metrics(a);
    return m.get('lv_broker_connected') === 1 && m.get('lv_broker_rtt_seconds') < 1 &&
      m.get('lv_broker_lag_seconds') < 1 && m.get('lv_broker_outbox_pushes') === 0 &&
      m.get('lv_broker_outbox_oldest_seconds') === 0;
  }, ms(15000), 'the link healthy again');
});

test('on the local broker there is no link to show', async () => {
  const s = await startServer({});
  servers.push(s);
  const m = await metrics(s);
  for (const name of HEALTH)
    assert.equal(m.has(name), false, `${name} absent`);
  assert.ok(m.has('lv_broker_connected'));
});
