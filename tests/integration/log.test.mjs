// log.test.mjs - the server's log: with log_format LV_LOG_JSON every line
// on standard error is one JSON object (a UTC timestamp with
// milliseconds, a level, the message), libwebsockets' lines included; with
// a log callback every message goes to it and nothing lv writes reaches
// standard error itself. On each loop (poll, libuv, libev).
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { Client, ms, startServer, until } from './helpers.mjs';

const RFC3339_MS = /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/;

/** Starts a server, makes it log (an upgrade it refuses, a result it
 * cannot encode, the stop), stops it, and returns its stderr lines. */
async function logOf(env) {
  const server = await startServer({ LV_LOG: '4', ...env });
  const c = await Client.open(server);
  await assert.rejects(Client.open(server, { path: '/not/the/ws' }), /HTTP 404/);
  await c.call('nan', {});
  await until(() => /NaN/.test(server.stderr), ms(3000), 'the NaN line');
  assert.deepEqual(await server.stop(), { code: 0, signal: null });
  return server.stderr.split('\n').filter((l) => l !== '');
}

for (const loop of ['poll', 'uv', 'ev']) {
  describe(`the log (${loop} loop)`, () => {
    test('LV_LOG_JSON: one JSON object per line, lws\' lines included', async () => {
      const lines = await logOf({ LV_TEST_LOOP: loop, LV_TEST_LOG_FORMAT: 'json' });
      assert.ok(lines.length >= 4, lines.join('\n'));
      const entries = lines.map((l) => {
        let e;
        assert.doesNotThrow(() => { e = JSON.parse(l); }, `not JSON: ${l}`);
        return e;
      });
      for (const e of entries) {
        assert.deepEqual(Object.keys(e), ['ts', 'level', 'msg']);
        assert.match(e.ts, RFC3339_MS);
        assert.ok(Math.abs(Date.parse(e.ts) - Date.now()) < 60000, `ts ${e.ts} is now`);
        assert.ok(['error', 'warn', 'info', 'debug'].includes(e.level), e.level);
        assert.equal(typeof e.msg, 'string');
      }
      const msgs = entries.map((e) => `${e.level} ${e.msg}`);
      assert.ok(msgs.some((m) => /^info lws: /.test(m)), `libwebsockets' notices:\n${msgs.join('\n')}`);
      assert.ok(msgs.some((m) => /^info refused an upgrade: 404/.test(m)), msgs.join('\n'));
      assert.ok(msgs.some((m) => /^error nan: result: NaN/.test(m)), msgs.join('\n'));
      assert.ok(msgs.some((m) => /^info stopping: flushing \d+ connections/.test(m)), msgs.join('\n'));
    });

    test('a log callback gets every message, and lv writes none itself', async () => {
      const lines = await logOf({ LV_TEST_LOOP: loop, LV_TEST_LOG_CALLBACK: '1' });
      for (const l of lines)
        assert.match(l, /^app-log (error|warn|info|debug): /, 'every line through the callback');
      assert.ok(lines.some((l) => /^app-log info: lws: /.test(l)), lines.join('\n'));
      assert.ok(lines.some((l) => l === 'app-log info: refused an upgrade: 404 no WebSocket here'),
        lines.join('\n'));
      assert.ok(lines.some((l) => /^app-log error: nan: result: NaN/.test(l)), lines.join('\n'));
    });
  });
}

test('the text format is as before: "lv: LEVEL: message"', async () => {
  const lines = await logOf({});
  for (const l of lines)
    assert.match(l, /^lv: (error|warn|info|debug): /, l);
  assert.ok(lines.some((l) => l === 'lv: info: refused an upgrade: 404 no WebSocket here'),
    lines.join('\n'));
});
