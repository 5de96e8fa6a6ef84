// sync.test.mjs - a deferred call answered before its handler returns.
// lv.h allows NAME_reply() from any thread once lv_call_defer() has been
// called, so the loop's own thread, inside the handler, is allowed too
// (a cache hit, a client.rpc that fails at once). This file has its own
// server because the runtime crashes on it today.
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { Client, startServer } from './helpers.mjs';

let server;
before(async () => { server = await startServer(); });
after(async () => { await server?.stop().catch(() => {}); });

test('a deferred call answered inside its handler', async () => {
  const c = await Client.open(server);
  try {
    const r = await c.call('later', { ms: 0, value: 5, how: 'sync' });
    assert.equal(r.ok, true, JSON.stringify(r.error));
    assert.equal(r.value, 5);
    assert.equal(await c.value('ping', {}), 'pong');
  } finally {
    await c.close();
  }
  assert.equal(server.exit, null, `the server died: ${JSON.stringify(server.exit)}`);
});
