// push.test.mjs - the server speaking first: pushes to one page, a group
// or every page (from the loop and from another thread), groups, the
// lifecycle and custom server events, custom page events, and client.rpc
// (the server awaiting one page's answer).
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

const notes = (c, text) => c.all.filter((m) => m.t === 'push' && m.fn === 'note' &&
  (text === undefined || m.args.text === text));

describe('lifecycle events', () => {
  test('start ran once; connect greets each page with its own id', async () => {
    const a = await open();
    const g = await a.next((m) => m.t === 'push' && m.fn === 'greeted');
    assert.equal(g.args.id, a.welcome.conn);
    const s = await a.value('stats', {});
    assert.equal(s.starts, 1);
    assert.ok(s.connects >= 1);
  });

  test('disconnect runs when a page goes, and may push to the others', async () => {
    const w = await open();
    assert.equal(await w.value('join', { name: 'watchers' }), 1);
    const before = (await w.value('stats', {})).disconnects;
    const x = await open();
    await x.close();
    const gone = await w.next((m) => m.t === 'push' && m.fn === 'gone');
    assert.equal(gone.args.id, x.welcome.conn);
    assert.equal((await w.value('stats', {})).disconnects, before + 1);
    // (a page that drops without a close may come back: its session waits,
    // see "Sessions" in docs/protocol.md, so no test of when that ends here)
  });

  test('a connection that never said hello is no page: no connect, no disconnect', async () => {
    const w = await open();
    const s0 = await w.value('stats', {});
    const raw = await Client.open(server, { hello: false });
    await sleep(50);
    await raw.close();
    await sleep(50);
    const s1 = await w.value('stats', {});
    assert.equal(s1.connects, s0.connects);
    assert.equal(s1.disconnects, s0.disconnects);
  });
});

describe('groups and broadcast', () => {
  test('a push by connection id reaches that page; an id no page has is refused', async () => {
    const a = await open();
    const b = await open();
    await a.value('note_id', { to_conn: b.welcome.conn, text: 'by-id' });
    await b.next((m) => m.t === 'push' && m.fn === 'note' && m.args.text === 'by-id');
    const r = await a.call('note_id', { to_conn: 'c0000', text: 'nobody' });
    assert.equal(r.ok, false);
    assert.equal(r.error.code, 'unavailable');   /* LV_ECLOSED's wire name */
    assert.match(r.error.message, /connection closed/);
    await sleep(50);
    assert.equal(notes(a, 'by-id').length + notes(a, 'nobody').length + notes(b, 'nobody').length, 0);
  });

  test('a push to a group reaches each member exactly once, and no one else', async () => {
    const [a, b, c] = [await open(), await open(), await open()];
    assert.equal(await a.value('join', { name: 'g' }), 1);
    assert.equal(await b.value('join', { name: 'g' }), 2);
    // join is idempotent
    assert.equal(await a.value('join', { name: 'g' }), 2);
    assert.equal(await a.value('join', { name: 'g' }), 2);
    assert.equal(await c.value('broadcast', { to: 'g', text: 'hi g' }), 2);
    const na = await a.next((m) => m.t === 'push' && m.fn === 'note');
    assert.deepEqual(na.args, { text: 'hi g', to: 'g' });
    await b.next((m) => m.t === 'push' && m.fn === 'note');
    await sleep(ms(150));
    assert.equal(notes(a, 'hi g').length, 1);
    assert.equal(notes(b, 'hi g').length, 1);
    assert.equal(notes(c).length, 0);
  });

  test('a push to every page reaches each exactly once', async () => {
    const cs = [await open(), await open(), await open(), await open()];
    await cs[0].value('join', { name: 'x' });
    await cs[1].value('join', { name: 'x' });
    // every page: these four, and any other the server still holds
    const pages = await cs[2].value('group_size', { name: null });
    assert.ok(pages >= 4, `${pages} pages`);
    assert.equal(await cs[2].value('broadcast', { to: null, text: 'all' }), pages);
    for (const c of cs)
      await c.next((m) => m.t === 'push' && m.fn === 'note');
    await sleep(ms(150));
    for (const c of cs) {
      const got = notes(c, 'all');
      assert.equal(got.length, 1);
      assert.deepEqual(got[0].args, { text: 'all' });
    }
  });

  test('leave drops membership; leaving twice or a group never joined is fine', async () => {
    const [a, b] = [await open(), await open()];
    await a.value('join', { name: 'room' });
    await b.value('join', { name: 'room' });
    assert.equal(await a.value('leave', { name: 'room' }), 1);
    assert.equal(await a.value('leave', { name: 'room' }), 1);
    assert.equal(await a.value('leave', { name: 'never' }), 0);
    await a.value('broadcast', { to: 'room', text: 'after leave' });
    await b.next((m) => m.t === 'push' && m.fn === 'note');
    await sleep(ms(150));
    assert.equal(notes(a).length, 0);
    // and back in
    assert.equal(await a.value('join', { name: 'room' }), 2);
  });

  test('a page that goes leaves its groups', async () => {
    const [a, b, c] = [await open(), await open(), await open()];
    for (const x of [a, b])
      for (const g of ['one', 'two'])
        await x.value('join', { name: g });
    assert.equal(await c.value('group_size', { name: 'one' }), 2);
    await b.close();
    await until(async () => (await c.value('group_size', { name: 'one' })) === 1, ms(2000), 'b to leave');
    assert.equal(await c.value('group_size', { name: 'two' }), 1);
    await a.close();
    await until(async () => (await c.value('group_size', { name: 'two' })) === 0, ms(2000), 'a to leave');
    assert.equal(await c.value('broadcast', { to: 'one', text: 'empty' }), 0);
  });

  test('many groups and many members', async () => {
    const cs = [];
    for (let i = 0; i < 6; i++)
      cs.push(await open());
    // 40 groups: the table grows (and drops empty groups as it does)
    for (let g = 0; g < 40; g++)
      await cs[g % 6].value('join', { name: `grp${g}` });
    for (let g = 0; g < 40; g += 2)
      await cs[g % 6].value('leave', { name: `grp${g}` });
    for (let g = 40; g < 80; g++)
      await cs[g % 6].value('join', { name: `grp${g}` });
    for (let g = 0; g < 80; g++)
      assert.equal(await cs[0].value('group_size', { name: `grp${g}` }), g < 40 && g % 2 === 0 ? 0 : 1, `grp${g}`);
    await cs[0].value('broadcast', { to: 'grp41', text: 'to 41' });
    await cs[41 % 6].next((m) => m.t === 'push' && m.fn === 'note');
  });

  test('reserved and invalid group names are refused', async () => {
    const a = await open();
    for (const name of ['lv.all', 'lv.x', '', 'x'.repeat(300)]) {
      const r = await a.call('join', { name });
      assert.equal(r.ok, false, name);
      assert.equal(r.error.code, 'invalid_argument', name);
    }
    assert.equal((await a.call('leave', { name: 'lv.all' })).error.code, 'invalid_argument');
    // lv.all is every page
    const pages = await a.value('group_size', { name: null });
    assert.ok(pages >= 1);
    assert.equal(await a.value('group_size', { name: 'lv.all' }), pages);
  });

  test('a push to the caller alone', async () => {
    const [a, b] = [await open(), await open()];
    assert.equal(await a.value('flood', { to: null, n: 3, size: 5, vol: false }), 0);
    assert.equal(await a.value('flood', { to: null, n: 2, size: 0, vol: true }), 0);
    await until(() => a.all.filter((m) => m.t === 'push' && m.fn.startsWith('blob')).length === 5,
      ms(2000), 'the five pushes');
    assert.deepEqual(a.all.filter((m) => m.fn === 'blob').map((m) => m.args),
      [0, 1, 2].map((i) => ({ i, data: 'xxxxx' })));
    assert.deepEqual(a.all.filter((m) => m.fn === 'blob_v').map((m) => m.args),
      [0, 1].map((i) => ({ i, data: '' })));
    await sleep(ms(100));
    assert.equal(b.all.filter((m) => m.t === 'push' && m.fn.startsWith('blob')).length, 0);
  });

  test('pushes from another thread reach the group', async () => {
    const [a, b] = [await open(), await open()];
    await a.value('join', { name: 'th' });
    const t0 = Date.now();
    assert.equal(await b.value('broadcast', { to: 'th', text: 'later', ms: 100 }), 1);
    const n = await a.next((m) => m.t === 'push' && m.fn === 'note');
    assert.equal(n.args.text, 'later');
    assert.ok(Date.now() - t0 >= 90);
    await b.value('broadcast', { to: null, text: 'later all', ms: 50 });
    await a.next((m) => m.t === 'push' && m.args?.text === 'later all');
    await b.next((m) => m.t === 'push' && m.args?.text === 'later all');
  });
});

describe('custom events', () => {
  test('client.on("tick"): to the caller, a group, every page', async () => {
    const [a, b, c] = [await open(), await open(), await open()];
    await a.value('tick', { n: 1, to: null });
    const e = await a.next((m) => m.t === 'event');
    assert.equal(e.name, 'tick');
    assert.deepEqual(e.args, { n: 1 });
    await b.value('join', { name: 'tg' });
    await a.value('tick', { n: 2, to: 'tg' });
    assert.equal((await b.next((m) => m.t === 'event')).args.n, 2);
    await a.value('tick', { n: 3, to: '*' });
    for (const x of [a, b, c])
      assert.equal((await x.next((m) => m.t === 'event' && m.args.n === 3)).name, 'tick');
    await sleep(ms(100));
    assert.equal(c.all.filter((m) => m.t === 'event').length, 1);
  });

  test('server.on("poke") raised from a handler runs at once', async () => {
    const a = await open();
    const s0 = await a.value('stats', {});
    await a.value('poke', { by: 'handler' });
    const s1 = await a.value('stats', {});
    assert.equal(s1.pokes, s0.pokes + 1);
    assert.equal(s1.last_poke, 'handler');
  });

  test('server.on("poke") raised from another thread runs on the loop', async () => {
    const a = await open();
    const s0 = await a.value('stats', {});
    await a.value('poke', { by: 'thread', thread: true });
    const s1 = await until(async () => {
      const s = await a.value('stats', {});
      return s.pokes === s0.pokes + 1 && s;
    }, ms(2000), 'the poke');
    assert.equal(s1.last_poke, 'thread');
  });
});

describe('client.rpc', () => {
  /** Starts ask_me and resolves with [the ret promise, the ccall]. */
  async function ask(c, question = 'how many?') {
    const ret = c.call('ask_me', { question }, ms(5000));
    const cc = await c.next((m) => m.t === 'ccall');
    return [ret, cc];
  }

  test('the page answers: the server gets the value', async () => {
    const c = await open();
    const [ret, cc] = await ask(c, 'how many?');
    assert.equal(cc.fn, 'ask');
    assert.deepEqual(cc.args, { question: 'how many?' });
    assert.ok(Number.isInteger(cc.id) && cc.id > 0);
    c.send({ t: 'cret', id: cc.id, ok: true, value: 42 });
    assert.equal((await ret).value, 'ok:42');
  });

  test('the page answers with an error: the server gets its code', async () => {
    const c = await open();
    let [ret, cc] = await ask(c);
    c.send({ t: 'cret', id: cc.id, ok: false, error: { code: 'not_found', message: 'no handler' } });
    assert.equal((await ret).value, 'error:not_found');
    [ret, cc] = await ask(c);
    c.send({ t: 'cret', id: cc.id, ok: false, error: { code: 'made_up', message: 'x' } });
    assert.equal((await ret).value, 'error:internal');
    [ret, cc] = await ask(c);
    c.send({ t: 'cret', id: cc.id, ok: false });
    assert.equal((await ret).value, 'error:internal');
  });

  test('an answer of the wrong type is refused and reported to the page', async () => {
    const c = await open();
    let [ret, cc] = await ask(c);
    c.send({ t: 'cret', id: cc.id, ok: true, value: 'forty-two' });
    const e = await c.next((m) => m.t === 'error');
    assert.equal(e.fn, 'ask');
    assert.equal(e.error.code, 'invalid_argument');
    assert.equal(e.error.path, 'value');
    assert.equal((await ret).value, 'error:invalid_argument');
    [ret, cc] = await ask(c);
    c.send({ t: 'cret', id: cc.id, ok: true });
    assert.equal((await ret).value, 'error:invalid_argument');
  });

  test('no answer in time: deadline_exceeded after the endpoint\'s 500 ms', async () => {
    const c = await open();
    const t0 = Date.now();
    const [ret, cc] = await ask(c);
    const r = await ret;
    const took = Date.now() - t0;
    assert.equal(r.value, 'error:deadline_exceeded');
    assert.ok(took >= 450, `answered after ${took} ms`);
    // a late answer is refused
    c.send({ t: 'cret', id: cc.id, ok: true, value: 1 });
    const e = await c.next((m) => m.t === 'error');
    assert.equal(e.error.path, 'id');
  });

  test('two questions at once, answered in reverse order', async () => {
    const c = await open();
    const r1 = c.call('ask_me', { question: 'one' }, ms(5000));
    const r2 = c.call('ask_me', { question: 'two' }, ms(5000));
    const q1 = await c.next((m) => m.t === 'ccall' && m.args.question === 'one');
    const q2 = await c.next((m) => m.t === 'ccall' && m.args.question === 'two');
    assert.notEqual(q1.id, q2.id);
    c.send({ t: 'cret', id: q2.id, ok: true, value: 2 });
    c.send({ t: 'cret', id: q1.id, ok: true, value: 1 });
    assert.equal((await r1).value, 'ok:1');
    assert.equal((await r2).value, 'ok:2');
    // answering twice: the second is refused
    c.send({ t: 'cret', id: q1.id, ok: true, value: 1 });
    assert.equal((await c.next((m) => m.t === 'error')).error.path, 'id');
  });

  test('the page leaves before it answers: the server gets unavailable', async () => {
    const w = await open();
    const before = (await w.value('stats', {})).asks_unavailable;
    const c = await open();
    const [ret] = await ask(c);
    ret.catch(() => {});   // it never comes: the page is gone
    await c.close();
    await until(async () => (await w.value('stats', {})).asks_unavailable === before + 1,
      ms(3000), 'the ask to fail');
  });
});
