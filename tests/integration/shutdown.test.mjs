// shutdown.test.mjs - stopping cleanly: on SIGTERM or SIGINT the server
// tells every page it is going away (1001), runs its stop handler, and
// exits 0 within its shutdown time.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { Client, ms, rpc, sleep, startServer, within } from './helpers.mjs';

test('SIGTERM: pages get 1001, the stop handler runs, the exit is 0', async () => {
  const server = await startServer({ LV_TEST_SHUTDOWN_MS: '2000' });
  try {
    const a = await Client.open(server);
    const b = await Client.open(server, { query: { token: 'admin' } });
    await b.value('join', { name: 'g' });
    // a call in flight on another thread, and a question to a page
    const pending = a.call('later', { ms: 200, value: 1 }, ms(5000)).catch((e) => e);
    const asked = b.call('ask_me', { question: 'still there?' }, ms(5000)).catch((e) => e);
    await b.next((m) => m.t === 'ccall');
    const t0 = Date.now();
    process.kill(server.pid, 'SIGTERM');
    const [ca, cb] = await Promise.all([a.waitClose(ms(3000)), b.waitClose(ms(3000))]);
    for (const c of [ca, cb]) {
      assert.equal(c.code, 1001);
      assert.match(c.reason, /going away/);
    }
    const exit = await within(server.exited, ms(4000) + 2000, 'the exit');
    const took = Date.now() - t0;
    assert.deepEqual(exit, { code: 0, signal: null });
    assert.ok(took < ms(3000), `exited after ${took} ms`);
    assert.match(server.stdout, /^stopped$/m);
    await pending;
    await asked;
  } finally {
    await server.stop().catch(() => {});
  }
});

test('SIGINT with no pages: a quick clean exit', async () => {
  const server = await startServer();
  try {
    assert.equal((await rpc(server, 'add', { a: 1 })).status, 200);
    process.kill(server.pid, 'SIGINT');
    const exit = await within(server.exited, ms(3000), 'the exit');
    assert.deepEqual(exit, { code: 0, signal: null });
    assert.match(server.stdout, /^stopped$/m);
  } finally {
    await server.stop().catch(() => {});
  }
});

test('a page that does not answer the close still lets the server go in time', async () => {
  const server = await startServer({ LV_TEST_SHUTDOWN_MS: '500' });
  try {
    const c = await Client.open(server);
    c.ws._socket.pause();   // it reads nothing, so it never sees the close
    const t0 = Date.now();
    process.kill(server.pid, 'SIGTERM');
    const exit = await within(server.exited, ms(5000), 'the exit');
    assert.equal(exit.code, 0);
    assert.ok(Date.now() - t0 < ms(3000));
    c.ws._socket.resume();
    c.terminate();
  } finally {
    await server.stop().catch(() => {});
  }
});

test('the server refuses new pages while it stops', async () => {
  const server = await startServer({ LV_TEST_SHUTDOWN_MS: '1500' });
  try {
    const c = await Client.open(server);
    c.ws._socket.pause();   // keeps the server in its flush phase
    await sleep(20);
    process.kill(server.pid, 'SIGTERM');
    await sleep(100);
    if (!server.exit)
      await assert.rejects(Client.open(server), undefined, 'a page got in while stopping');
    c.ws._socket.resume();
    c.terminate();
    const exit = await within(server.exited, ms(5000), 'the exit');
    assert.equal(exit.code, 0);
  } finally {
    await server.stop().catch(() => {});
  }
});
