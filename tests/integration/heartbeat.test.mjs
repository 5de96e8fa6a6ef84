// heartbeat.test.mjs - keeping the line alive (heartbeat 300 ms here): the
// server pings a page that has been idle for the interval, and closes one
// that stays silent for another.
import assert from 'node:assert/strict';
import { after, afterEach, before, test } from 'node:test';
import { Client, closeAll, ms, sleep, startServer } from './helpers.mjs';

const HB = 300;
let server;
let clients = [];
const open = async (opts) => {
  const c = await Client.open(server, opts);
  clients.push(c);
  return c;
};

before(async () => { server = await startServer({ LV_TEST_HEARTBEAT_MS: String(HB) }); });
afterEach(async () => { await closeAll(clients); clients = []; });
after(async () => { await server?.stop(); });

test('an idle page is pinged after the interval, not before', async () => {
  const c = await open({ autoPong: false });
  // the server counts from the hello it received, which we sent at helloAt
  await c.next((m) => m.t === 'ping', ms(HB * 4), 'a ping');
  const waited = Date.now() - c.helloAt;
  assert.ok(waited >= HB * 0.9, `pinged after ${waited} ms`);
  assert.ok(waited < ms(HB * 3), `pinged after ${waited} ms`);
});

test('a page that answers pings stays open, and is pinged again', async () => {
  const c = await open({ autoPong: true });
  await sleep(ms(HB * 5));
  assert.equal(c.closeInfo, null);
  const pings = c.all.filter((m) => m.t === 'ping').length;
  assert.ok(pings >= 2, `${pings} pings`);
  assert.equal(await c.value('ping', {}), 'pong');
});

test('a page that keeps talking is never pinged', async () => {
  const c = await open({ autoPong: false });
  const end = Date.now() + HB * 4;
  while (Date.now() < end) {
    await c.value('ping', {});
    await sleep(HB / 5);
  }
  assert.equal(c.all.filter((m) => m.t === 'ping').length, 0);
  assert.equal(c.closeInfo, null);
});

test('a silent page is pinged, then closed', async () => {
  const c = await open({ autoPong: false });
  await c.next((m) => m.t === 'ping', ms(HB * 4));
  const closed = await c.waitClose(ms(HB * 6));
  const took = Date.now() - c.helloAt;
  assert.equal(closed.code, 1001);
  assert.match(closed.reason, /silent/);
  assert.ok(took >= HB * 1.8, `closed after ${took} ms`);
});

test('a connection that never says hello is closed too', async () => {
  const c = await open({ hello: false, autoPong: false });
  const closed = await c.waitClose(ms(HB * 8));
  assert.ok(closed.code === 1001 || closed.code === 4400, `code ${closed.code}`);
  assert.equal(c.all.filter((m) => m.t === 'ping').length, 0);
});

test('others are served while a silent page is dropped', async () => {
  const silent = await open({ autoPong: false });
  const busy = await open();
  const closing = silent.waitClose(ms(HB * 8));
  for (let i = 0; i < 10; i++) {
    assert.equal(await busy.value('ping', {}), 'pong');
    await sleep(HB / 3);
  }
  assert.equal((await closing).code, 1001);
  assert.equal(busy.closeInfo, null);
});
