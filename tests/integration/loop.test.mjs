// loop.test.mjs - work on the loop and identity after the upgrade: timers
// (repeating, stopping themselves, stopped before they fire), work posted
// from another thread (in order, never inline), and lv_conn_set_auth from
// a login rpc.
import assert from 'node:assert/strict';
import { after, afterEach, before, describe, test } from 'node:test';
import { Client, closeAll, ms, sleep, startServer, until } from './helpers.mjs';

let server;
let clients = [];
const open = async (opts) => {
  const c = await Client.open(server, opts);
  clients.push(c);
  return c;
};

before(async () => { server = await startServer(); });
afterEach(async () => { await closeAll(clients); clients = []; });
after(async () => { await server?.stop(); });

const notes = (c, prefix) => c.all
  .filter((m) => m.t === 'push' && m.fn === 'note' && m.args.text.startsWith(prefix))
  .map((m) => m.args.text);

describe('timers', () => {
  test('a repeating timer fires every period and stops itself after the last', async () => {
    const c = await open();
    const t0 = Date.now();
    await c.value('ticks', { ms: 40, times: 4 });
    await until(async () => notes(c, 'tick ').length === 4, ms(3000), 'four ticks');
    const elapsed = Date.now() - t0;
    assert.deepEqual(notes(c, 'tick '), ['tick 1', 'tick 2', 'tick 3', 'tick 4']);
    assert.ok(elapsed >= 4 * 40 - 5, `four periods of 40 ms took ${elapsed} ms`);
    await sleep(ms(200));   /* stopped: no fifth */
    assert.equal(notes(c, 'tick ').length, 4);
  });

  test('a timer stopped before it fires never calls its function', async () => {
    const c = await open();
    await c.value('tick_cancelled', { ms: 20 });
    await sleep(ms(200));
    assert.deepEqual(notes(c, 'the stopped timer'), []);
    assert.equal(await c.value('ping', {}), 'pong');
  });

  test('timers of a page that left do not take the server down', async () => {
    const c = await open();
    await c.value('ticks', { ms: 30, times: 5 });
    await c.close();
    await sleep(ms(250));
    const d = await open();
    assert.equal(await d.value('ping', {}), 'pong');
  });

  test('bad arguments are refused with a reason', async () => {
    const c = await open();
    const r = await c.call('ticks', { ms: 0, times: 1 });
    assert.equal(r.error.code, 'invalid_argument');
  });
});

describe('work posted to the loop', () => {
  test('from another thread: every piece runs, in the order posted', async () => {
    const c = await open();
    const inline = await c.value('posted', { n: 50 });
    assert.equal(inline, false, 'work posted from the loop ran inside lv_server_post');
    await until(async () => notes(c, 'posted ').length === 50, ms(3000), 'fifty posts');
    assert.deepEqual(notes(c, 'posted '), Array.from({ length: 50 }, (_, i) => `posted ${i + 1}`));
  });
});

describe('identity after the upgrade', () => {
  test('a login rpc signs the page in without a reload, and out again', async () => {
    const c = await open();
    assert.equal((await c.call('whoami', {})).error.code, 'unauthenticated');
    await c.value('login', { name: 'ann', role: '' });
    assert.equal(await c.value('whoami', {}), 'ann');
    assert.equal((await c.call('admin_only', {})).error.code, 'permission_denied');
    await c.value('login', { name: 'root', role: 'admin' });
    assert.equal(await c.value('admin_only', {}), 'root');
    await c.value('login', { name: '', role: '' });
    assert.equal((await c.call('whoami', {})).error.code, 'unauthenticated');
    assert.equal((await c.call('admin_only', {})).error.code, 'unauthenticated');
  });

  test('the identity is the page\'s own: another page stays anonymous', async () => {
    const a = await open();
    const b = await open();
    await a.value('login', { name: 'ann', role: 'admin' });
    assert.equal(await a.value('whoami', {}), 'ann');
    assert.equal((await b.call('whoami', {})).error.code, 'unauthenticated');
  });
});
