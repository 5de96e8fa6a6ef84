// protocol.test.mjs - the opening (hello, welcome, upgrade) and every kind
// of bad input a page can send: the server answers each with a clear
// error or a close, and goes on serving.
import assert from 'node:assert/strict';
import { after, afterEach, before, describe, test } from 'node:test';
import { Client, closeAll, metrics, metric, ms, sleep, startServer } from './helpers.mjs';

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

/** The connection still answers calls. */
async function alive(c) {
  assert.equal(await c.value('ping', {}), 'pong');
}

describe('hello and welcome', () => {
  test('the server assigns the connection id and says its heartbeat', async () => {
    const a = await open();
    const b = await open();
    assert.equal(a.welcome.t, 'welcome');
    assert.match(a.welcome.conn, /^c[0-9a-f]+$/);
    assert.notEqual(a.welcome.conn, b.welcome.conn);
    assert.equal(a.welcome.heartbeat, ms(300));   // scaled under valgrind
    await alive(a);
  });

  test('an id the page sends in its hello is ignored', async () => {
    const c = await open({ hello: false });
    c.send({ t: 'hello', app: 'app', schema: server.schema, conn: 'mine', id: 'mine',
      session: 'mine' });
    const w = await c.next((m) => m.t === 'welcome');
    assert.notEqual(w.conn, 'mine');
    assert.match(w.conn, /^c[0-9a-f]+$/);
    // the connect handler greets the page by the id the server chose
    const g = await c.next((m) => m.t === 'push' && m.fn === 'greeted');
    assert.equal(g.args.id, w.conn);
  });

  test('a stale schema is told to upgrade and closed with 4426', async () => {
    const c = await open({ hello: false });
    c.send({ t: 'hello', app: 'app', schema: '0000000000000000' });
    const up = await c.next((m) => m.t === 'upgrade');
    assert.equal(up.schema, server.schema);
    const closed = await c.waitClose();
    assert.equal(closed.code, 4426);
    assert.ok(closed.reason.length > 0);
    assert.ok(!c.all.some((m) => m.t === 'welcome'));
  });

  test('a hello without a schema is told to upgrade too', async () => {
    const c = await open({ hello: false });
    c.send({ t: 'hello', app: 'app' });
    await c.next((m) => m.t === 'upgrade');
    assert.equal((await c.waitClose()).code, 4426);
  });

  test('a hello for another app closes with 4400', async () => {
    const c = await open({ hello: false });
    c.send({ t: 'hello', app: 'chat', schema: server.schema });
    const closed = await c.waitClose();
    assert.equal(closed.code, 4400);
  });

  test('a second hello is an error, and the connection carries on', async () => {
    const c = await open();
    c.send({ t: 'hello', app: 'app', schema: server.schema });
    const e = await c.next((m) => m.t === 'error');
    assert.equal(e.error.code, 'invalid_argument');
    await alive(c);
  });

  for (const [what, text] of [
    ['a call', JSON.stringify({ t: 'call', id: 1, fn: 'ping', args: {} })],
    ['a send', JSON.stringify({ t: 'send', fn: 'tap', args: { n: 1 } })],
    ['a ping', JSON.stringify({ t: 'ping' })],
    ['malformed JSON', '{"t":"hello",'],
    ['a JSON list', '[1,2,3]'],
    ['an object without "t"', '{"hello":true}'],
  ]) {
    test(`${what} before hello closes with 4400`, async () => {
      const c = await open({ hello: false });
      c.send(text);
      const closed = await c.waitClose();
      assert.equal(closed.code, 4400);
      assert.match(closed.reason, /hello first/);
      assert.ok(!c.all.some((m) => m.t === 'ret' || m.t === 'pong'));
    });
  }
});

describe('malformed messages after hello', () => {
  test('malformed JSON is answered with an error and the line stays open', async () => {
    const c = await open();
    for (const text of ['{"t":"call",', 'not json', '{"t":"call","id":1,"fn":"ping",}',
      '{"t":"call","t":"call"}', '"\\ud800"', '']) {
      c.send(text);
      const e = await c.next((m) => m.t === 'error', ms(3000), `the error for ${JSON.stringify(text)}`);
      assert.equal(e.error.code, 'invalid_argument', text);
      assert.equal(typeof e.error.message, 'string');
    }
    await alive(c);
  });

  test('JSON that is not an object is an error', async () => {
    const c = await open();
    for (const text of ['[1,2]', '[]', '"text"', '42', 'null', 'true']) {
      c.send(text);
      const e = await c.next((m) => m.t === 'error', ms(3000), `the error for ${text}`);
      assert.equal(e.error.code, 'invalid_argument', text);
    }
    await alive(c);
  });

  test('an object without a "t" string is an error', async () => {
    const c = await open();
    for (const msg of [{}, { t: 5 }, { t: null }, { type: 'call' }]) {
      c.send(msg);
      const e = await c.next((m) => m.t === 'error');
      assert.equal(e.error.code, 'invalid_argument');
      assert.match(e.error.message, /"t"/);
    }
    await alive(c);
  });

  test('an unknown message type is an error naming "t"', async () => {
    const c = await open();
    c.send({ t: 'bogus', id: 1 });
    const e = await c.next((m) => m.t === 'error');
    assert.equal(e.error.code, 'invalid_argument');
    assert.equal(e.error.path, 't');
    assert.match(e.error.message, /bogus/);
    await alive(c);
  });

  test('a call needs a positive integer id', async () => {
    const c = await open();
    for (const id of [undefined, 0, -1, 'seven', 1.5, null, 9007199254740992]) {
      const msg = { t: 'call', fn: 'ping', args: {} };
      if (id !== undefined)
        msg.id = id;
      c.send(msg);
      const e = await c.next((m) => m.t === 'error', ms(3000), `the error for id ${id}`);
      assert.equal(e.error.code, 'invalid_argument', String(id));
      assert.equal(e.error.path, 'id');
    }
    // the largest id a page can hold is echoed
    c.send({ t: 'call', id: 9007199254740991, fn: 'ping', args: {} });
    const r = await c.next((m) => m.t === 'ret');
    assert.equal(r.id, 9007199254740991);
    assert.equal(r.value, 'pong');
  });

  test('a call without "fn" or with args that are not an object', async () => {
    const c = await open();
    let r = await c.call(undefined, {});
    assert.equal(r.ok, false);
    assert.equal(r.error.code, 'invalid_argument');
    assert.equal(r.error.path, 'fn');
    for (const args of [[1], 'x', 3, true, null]) {
      r = await c.call('ping', args);
      assert.equal(r.error.code, 'invalid_argument', JSON.stringify(args));
      assert.equal(r.error.path, 'args');
    }
    // absent args are no args
    c.send({ t: 'call', id: 500, fn: 'ping' });
    r = await c.next((m) => m.t === 'ret' && m.id === 500);
    assert.equal(r.value, 'pong');
  });

  test('a call to an unknown endpoint is not_found', async () => {
    const c = await open();
    const r = await c.call('no_such_thing', {});
    assert.equal(r.ok, false);
    assert.equal(r.error.code, 'not_found');
    assert.match(r.error.message, /^no_such_thing/);
  });

  for (const fn of ['connected', 'disconnected', 'started', 'stopped', 'poked', 'note', 'ask',
    'ticked', 'ready', 'greeted']) {
    test(`a page cannot run ${fn} (not a page-callable endpoint): not_found`, async () => {
      const c = await open();
      const before = (await c.value('stats', {}));
      const r = await c.call(fn, fn === 'poked' ? { by: 'page' } : {});
      assert.equal(r.ok, false);
      assert.equal(r.error.code, 'not_found');
      c.send({ t: 'send', fn, args: {} });
      const e = await c.next((m) => m.t === 'error');
      assert.equal(e.error.code, 'not_found');
      assert.equal(e.fn, fn);
      const afterStats = await c.value('stats', {});
      assert.equal(afterStats.starts, before.starts);
      assert.equal(afterStats.pokes, before.pokes);
      assert.equal(afterStats.disconnects, before.disconnects);
    });
  }

  test('a realtime endpoint must be sent and an rpc called', async () => {
    const c = await open();
    const r = await c.call('tap', { n: 1 });
    assert.equal(r.error.code, 'invalid_argument');
    c.send({ t: 'send', fn: 'ping', args: {} });
    const e = await c.next((m) => m.t === 'error');
    assert.equal(e.fn, 'ping');
    assert.equal(e.error.code, 'invalid_argument');
  });

  test('a cret the server did not ask for is an error naming "id"', async () => {
    const c = await open();
    c.send({ t: 'cret', id: 12345, ok: true, value: 1 });
    const e = await c.next((m) => m.t === 'error');
    assert.equal(e.error.code, 'invalid_argument');
    assert.equal(e.error.path, 'id');
    await alive(c);
  });

  test('the page may ping: the server pongs', async () => {
    const c = await open();
    c.send({ t: 'ping' });
    await c.next((m) => m.t === 'pong');
    c.send({ t: 'pong' });   // an unasked pong is just activity
    await alive(c);
  });
});

describe('frames', () => {
  test('a binary frame closes with 4400', async () => {
    const c = await open();
    c.ws.send(Buffer.from('{"t":"ping"}'), { binary: true });
    const closed = await c.waitClose();
    assert.equal(closed.code, 4400);
    assert.match(closed.reason, /binary/);
  });

  test('a message over max_message (64 KiB here) closes with 1009', async () => {
    const c = await open();
    c.send({ t: 'call', id: 1, fn: 'small', args: { text: 'x'.repeat(70 * 1024) } });
    const closed = await c.waitClose();
    assert.equal(closed.code, 1009);
    assert.ok(!c.all.some((m) => m.t === 'ret'));
  });

  test('an oversized message in fragments closes with 1009 too', async () => {
    const c = await open();
    const part = 'x'.repeat(30 * 1024);
    c.ws.send('{"t":"call","id":1,"fn":"small","args":{"text":"', { fin: false });
    c.ws.send(part, { fin: false });
    c.ws.send(part, { fin: false });
    c.ws.send(part, { fin: false });
    c.ws.send('"}}', { fin: true });
    assert.equal((await c.waitClose()).code, 1009);
  });

  test('a message in fragments is put together', async () => {
    const c = await open();
    const text = JSON.stringify({ t: 'call', id: 77, fn: 'echo_item', args: { item: {
      id: 1, name: 'é'.repeat(3000), ratio: 0.5, on: true, tags: [], counts: {}, color: 'red',
      raw: '', extra: null } } });
    const cut = [0, 10, 2000, 4001, 4500, text.length];
    for (let k = 0; k + 1 < cut.length; k++)
      c.ws.send(Buffer.from(text).subarray(Buffer.byteLength(text.slice(0, cut[k])),
        Buffer.byteLength(text.slice(0, cut[k + 1]))), { fin: k + 2 === cut.length, binary: false });
    const r = await c.next((m) => m.t === 'ret' && m.id === 77);
    assert.equal(r.ok, true, JSON.stringify(r.error));
    assert.equal(r.value.name, 'é'.repeat(3000));
  });

  test('a text frame that is not UTF-8 is refused (1007) and the server carries on', async () => {
    const c = await open();
    c.ws.send(Buffer.from([0x7b, 0x22, 0x74, 0x22, 0x3a, 0x22, 0xff, 0xfe, 0x22, 0x7d]), { binary: false });
    const closed = await c.waitClose();
    assert.equal(closed.code, 1007);
    const d = await open();
    await alive(d);
  });

  test('deep nesting: past the reader\'s limit is malformed, past the decoder\'s is a path', async () => {
    const c = await open();
    // 20000 levels: past the 1024 the reader checks any JSON to
    c.send('{"t":"call","id":1,"fn":"ping","args":{"x":' + '['.repeat(20000) + ']'.repeat(20000) + '}}');
    const e = await c.next((m) => m.t === 'error' || m.t === 'ret', ms(5000));
    assert.equal(e.t, 'error');
    assert.equal(e.error.code, 'invalid_argument');
    assert.match(e.error.message, /^malformed JSON at byte \d+: nested too deeply$/);
    // a json argument may nest up to that limit
    const deep = JSON.parse('['.repeat(500) + ']'.repeat(500));
    const r0 = await c.call('echo_item', { item: { id: 1, name: '', ratio: 0, on: false, tags: [],
      counts: {}, color: 'red', raw: '', extra: deep } });
    assert.equal(r0.ok, true, JSON.stringify(r0.error));
    assert.deepEqual(r0.value.extra, deep);
    // a typed tree past the decoder's 32 levels is refused with a path
    let tree = { label: 'leaf' };
    for (let i = 0; i < 40; i++)
      tree = { label: `n${i}`, kids: [tree] };
    const r = await c.call('depth', { t: tree });
    assert.equal(r.ok, false);
    assert.equal(r.error.code, 'invalid_argument');
    assert.match(r.error.path, /^t(\.kids\[0\])+/);
    assert.match(r.error.message, /deeper/);
    // and a tree within it is fine
    tree = { label: 'leaf' };
    for (let i = 0; i < 9; i++)
      tree = { label: `n${i}`, kids: [tree, { label: 'x' }] };
    assert.equal(await c.value('depth', { t: tree }), 10);
  });

  test('the server counts what came in', async () => {
    const c = await open();
    const m0 = await metrics(server);
    for (let i = 0; i < 5; i++)
      await c.value('ping', {});
    const m1 = await metrics(server);
    assert.ok(metric(m1, 'lv_messages_in_total') >= metric(m0, 'lv_messages_in_total') + 5);
    assert.equal(metric(m1, 'lv_calls_total{endpoint="ping"}'),
      metric(m0, 'lv_calls_total{endpoint="ping"}') + 5);
  });
});

test('after all of this the server still serves a new page', async () => {
  await sleep(10);
  const c = await open();
  await alive(c);
});
