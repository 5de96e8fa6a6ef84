// restart.test.mjs - the server process goes away mid-stream and a new one
// comes up on the same port: the session cannot be resumed, so lv.js must
// say so (a `resync` event, reason "unknown", never a silent hole), fail
// the calls whose answers died with the old process, and carry on in a
// new session: later sends, calls and pushes work.
import assert from 'node:assert/strict';
import { afterEach, test } from 'node:test';

import { lvClient, opened, prng, seedOf, sleep, startServer, until, within } from './helpers.mjs';

const SEED = seedOf(0x2e57a27);
let servers = [];
let conns = [];
afterEach(async () => {
  for (const c of conns.splice(0))
    c.close();
  for (const s of servers.splice(0))
    await s.stop('SIGKILL');
});

async function start(env) {
  const s = await startServer(env);
  servers.push(s);
  return s;
}

/** A page on server whose down(n) pushes land in `downs`. */
async function page(server, rng) {
  const conn = lvClient(server.wsUrl, rng);
  conns.push(conn);
  conn.downs = [];
  conn.register({ down: (n) => conn.downs.push(n) });
  conn.resyncs = [];
  conn.on('resync', (d) => conn.resyncs.push(d));
  conn.open();
  await opened(conn);
  return conn;
}

/** Resolves with the next resync event of conn. */
function nextResync(conn, timeout = 15000) {
  return within(new Promise((resolve) => {
    const off = conn.on('resync', (d) => {
      off();
      resolve(d);
    });
  }), timeout, 'a resync event');
}

/** After the restart: sends, calls and pushes work on the new session. */
async function carriesOn(conn) {
  await opened(conn);
  await conn.call('reset', {});
  for (let n = 0; n < 100; n++)
    assert.equal(conn.send('up', { n }), true);
  assert.equal(await conn.call('count', { n: 0 }), 1);
  assert.equal(await conn.call('count', { n: 1, defer_ms: 20 }), 4);
  const r = await conn.call('report', {});
  assert.equal(r.ups, 100);
  assert.equal(r.up_next, 100);
  assert.equal(r.up_dups + r.up_gaps, 0);
  assert.equal(r.counts, 2);
  assert.equal(r.count_dups + r.count_gaps, 0);
  conn.downs = [];
  await conn.call('start_down', { total: 50, chunk: 10, every_ms: 1 });
  await until(() => conn.downs.length >= 50, 10000, 'the pushes of the new session');
  await sleep(50);
  assert.deepEqual(conn.downs, Array.from({ length: 50 }, (_, i) => i));
}

for (const [how, signal] of [['killed (SIGKILL)', 'SIGKILL'], ['stopped (SIGTERM)', 'SIGTERM']]) {
  test(`a server ${how} mid-stream and started again on the same port: resync "unknown", ` +
       'then the page carries on', { timeout: 60000 }, async () => {
    console.log(`# seed ${SEED}`);
    const rng = prng(SEED);
    const first = await start();
    const conn = await page(first, rng);
    const session = conn.session;
    await conn.call('reset', {});
    // a stream both ways
    await conn.call('start_down', { total: 1000000, chunk: 5, every_ms: 5 });
    let sending = true;
    let sent = 0;
    const pump = (async () => {
      while (sending) {
        for (let k = 0; k < 10; k++)
          conn.send('up', { n: sent++ });
        await sleep(5);
      }
    })();
    await until(() => conn.downs.length > 200 && sent > 200, 10000, 'the stream to flow');
    // a call the old process will never answer (SIGTERM waits for its
    // thread, so that one answers sooner)
    const lostCall = conn.call('count', { n: 1000000, defer_ms: signal === 'SIGKILL' ? 10000 : 1500 })
      .then((v) => ({ v }), (e) => ({ e }));
    await sleep(30);
    const resynced = nextResync(conn);
    await first.stop(signal);
    const second = await start({ LV_TEST_PORT: String(first.port) });
    assert.equal(second.port, first.port);

    const ev = await resynced;
    assert.equal(ev.reason, 'unknown');
    assert.equal(typeof ev.lost, 'number');
    assert.notEqual(conn.session, session, 'the page still holds the dead session');
    const lost = await within(lostCall, 5000, 'the lost call to settle');
    if (signal === 'SIGKILL') {
      // its answer died with the process: the call fails, it does not hang
      assert.equal(lost.e?.code, 'unavailable', JSON.stringify(lost));
    } else {
      // a stopping server flushes what it has; the answer may have made it
      assert.ok(lost.v === 3000001 || lost.e?.code === 'unavailable', JSON.stringify(lost));
    }
    sending = false;
    await pump;
    assert.equal(conn.resyncs.length, 1, 'one restart, one resync');
    await carriesOn(conn);
  });
}
