// ev.test.mjs - the libev loop (LV_LOOP_EV) against the poll loop: on ev
// the server waits in epoll (an eventpoll descriptor of its own), on poll
// it has none; it is the default loop where libwebsockets' libev plugin is
// installed; on ev a page is served, a timer ticks, work posted from a
// thread runs, and SIGTERM stops it cleanly (1001, exit 0).
import assert from 'node:assert/strict';
import fs from 'node:fs';
import { describe, test } from 'node:test';
import { Client, ms, startServer, until } from './helpers.mjs';

/** How many epoll instances the process holds. */
function epolls(pid) {
  let n = 0;
  for (const fd of fs.readdirSync(`/proc/${pid}/fd`)) {
    try {
      if (fs.readlinkSync(`/proc/${pid}/fd/${fd}`) === 'anon_inode:[eventpoll]')
        n++;
    } catch {
      // closed meanwhile
    }
  }
  return n;
}

describe('the libev loop', () => {
  test('LV_TEST_LOOP=ev: epoll underneath; poll: none', async () => {
    for (const [loop, want] of [['ev', true], ['poll', false]]) {
      const server = await startServer({ LV_TEST_LOOP: loop });
      try {
        const c = await Client.open(server);
        assert.equal(await c.value('add', { a: 2, b: 3 }), 5);
        assert.equal(epolls(server.pid) > 0, want, `${loop}: an eventpoll descriptor`);
        await c.close();
      } finally {
        assert.deepEqual(await server.stop(), { code: 0, signal: null });
      }
    }
  });

  test('the default loop is libev where its plugin is installed', async (t) => {
    // Debian puts the plugin in the multiarch library folder
    const plugin = ['', ...fs.readdirSync('/usr/lib')]
      .some((d) => fs.existsSync(`/usr/lib/${d ? `${d}/` : ''}libwebsockets-evlib_ev.so`));
    if (!plugin) {
      t.skip('libwebsockets-evlib-ev is not installed');
      return;
    }
    const server = await startServer({ LV_TEST_LOOP: '' });
    try {
      const c = await Client.open(server);
      assert.equal(await c.value('add', { a: 1, b: 1 }), 2);
      assert.ok(epolls(server.pid) > 0, 'the default loop waits in epoll');
      await c.close();
    } finally {
      assert.deepEqual(await server.stop(), { code: 0, signal: null });
    }
  });

  test('timers, posted work and the stop on ev', async () => {
    const server = await startServer({ LV_TEST_LOOP: 'ev' });
    const c = await Client.open(server);
    await c.value('ticks', { ms: 30, times: 3 });
    const notes = (prefix) => c.all
      .filter((m) => m.t === 'push' && m.fn === 'note' && m.args.text.startsWith(prefix));
    await until(async () => notes('tick ').length === 3, ms(3000), 'three ticks');
    assert.equal(await c.value('posted', { n: 5 }), false, 'posted work never runs inline');
    await until(async () => notes('posted ').length === 5, ms(3000), 'five pieces of posted work');
    assert.deepEqual(notes('posted ').map((m) => m.args.text), [1, 2, 3, 4, 5].map((i) => `posted ${i}`));
    assert.deepEqual(await server.stop(), { code: 0, signal: null });
    assert.equal((await c.waitClose(ms(3000))).code, 1001);
  });
});
