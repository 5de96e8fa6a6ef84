// rcall.test.mjs - client.rpc to a page by its connection id, wherever it
// is connected (NAME_call_id): a handler on node A asks a page on node B
// through a real Redis and gets its answer, its error, its timeout; an id
// no node holds, a page on the asking node itself, the page's node killed
// while the question waits, junk on a node's channel; and one node alone.
// The loop is the suite's (LV_TEST_LOOP).
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { Client, closeAll, metrics, ms, startServer, until } from './helpers.mjs';
import { startRedis } from './redis.mjs';

let redis;
let a;
let b;
let clients = [];
const servers = [];

const open = async (server) => {
  const c = await Client.open(server);
  clients.push(c);
  return c;
};

const node = async (id) => {
  const s = await startServer({ LV_TEST_BROKER: `unix:${redis.socket}`, LV_TEST_NODE_ID: id });
  servers.push(s);
  await until(async () => (await metrics(s)).get('lv_broker_connected') === 1, ms(5000),
    `${id} to reach Redis`);
  return s;
};

/* A asks the page with connection id `id`; resolves with ask_id's answer. */
const askId = (caller, id, question, timeout = ms(10000)) =>
  caller.call('ask_id', { id, question }, timeout);

before(async () => {
  redis = await startRedis();
  a = await node('rc-a');
  b = await node('rc-b');
});

after(async () => {
  await closeAll(clients);
  const exits = await Promise.allSettled(servers.filter((s) => !s.killed).map((s) => s.stop()));
  await redis?.stop();
  for (const e of exits)
    assert.deepEqual(e.value, { code: 0, signal: null }, 'a node exits cleanly');
});

test('a handler on one node asks a page on another and gets its answer', async () => {
  const caller = await open(a);
  const page = await open(b);
  const ret = askId(caller, page.welcome.conn, 'how many?');
  const cc = await page.next((m) => m.t === 'ccall', ms(5000), 'the question on B');
  assert.equal(cc.fn, 'ask');
  assert.deepEqual(cc.args, { question: 'how many?' });
  page.send({ t: 'cret', id: cc.id, ok: true, value: 42 });
  const r = await ret;
  assert.equal(r.ok, true);
  assert.equal(r.value, 'ok:42');
  // several at once, answered out of order, each to its own caller
  const rets = [1, 2, 3].map((n) => askId(caller, page.welcome.conn, `q${n}`));
  const qs = [];
  for (let n = 1; n <= 3; n++)
    qs.push(await page.next((m) => m.t === 'ccall' && m.args.question === `q${n}`, ms(5000), `q${n}`));
  for (const q of qs.reverse())
    page.send({ t: 'cret', id: q.id, ok: true, value: Number(q.args.question.slice(1)) * 10 });
  assert.deepEqual((await Promise.all(rets)).map((r) => r.value), ['ok:10', 'ok:20', 'ok:30']);
});

test("the page's error, a wrong answer and its silence reach the caller on the other node", async () => {
  const caller = await open(a);
  const page = await open(b);
  let ret = askId(caller, page.welcome.conn, 'no');
  let cc = await page.next((m) => m.t === 'ccall', ms(5000), 'the question');
  page.send({ t: 'cret', id: cc.id, ok: false, error: { code: 'permission_denied', message: 'no' } });
  assert.equal((await ret).value, 'error:permission_denied');
  // a value that does not fit ask's int result
  ret = askId(caller, page.welcome.conn, 'text?');
  cc = await page.next((m) => m.t === 'ccall', ms(5000), 'the question');
  page.send({ t: 'cret', id: cc.id, ok: true, value: 'seven' });
  assert.equal((await ret).value, 'error:invalid_argument');
  // no answer: B's own deadline (ask's 500 ms), not A's 2 s later one
  const t0 = Date.now();
  ret = askId(caller, page.welcome.conn, 'silence');
  await page.next((m) => m.t === 'ccall', ms(5000), 'the question');
  assert.equal((await ret).value, 'error:deadline_exceeded');
  assert.ok(Date.now() - t0 < ms(2400), `told after ${Date.now() - t0} ms`);
});

test('an id no node holds is unavailable; a page on the asking node is asked directly', async () => {
  const caller = await open(a);
  assert.equal((await askId(caller, 'cnobody', 'anyone?')).value, 'error:unavailable');
  const here = await open(a);
  const ret = askId(caller, here.welcome.conn, 'local?');
  const cc = await here.next((m) => m.t === 'ccall', ms(5000), 'the question on A');
  here.send({ t: 'cret', id: cc.id, ok: true, value: 7 });
  assert.equal((await ret).value, 'ok:7');
});

test('junk on a node channel is dropped, and the node goes on answering', async () => {
  const caller = await open(a);
  const page = await open(b);
  for (const junk of ['Q', 'Qrc-x\n', 'Qrc-x\nc1\n', `Qrc-x\n${page.welcome.conn}\nx\n{}`,
    `Qrc-x\n${page.welcome.conn}\n5\nnot json`, `Qrc-x\n${page.welcome.conn}\n5\n{"fn":"nope","args":{}}`,
    'A', 'Arc-x\n', 'Arc-x\n99\n{}', 'Arc-x\nx\n{}', 'Arc-x\n1\n[1,2]'])
    await redis.command('PUBLISH', 'lv:n:rc-b', junk);
  for (const junk of ['A', 'Arc-x\n', 'Arc-x\n99999\n{}', 'Arc-x\nx\n{}'])
    await redis.command('PUBLISH', 'lv:n:rc-a', junk);
  const ret = askId(caller, page.welcome.conn, 'still?');
  const cc = await page.next((m) => m.t === 'ccall' && m.args.question === 'still?', ms(5000), 'the question');
  page.send({ t: 'cret', id: cc.id, ok: true, value: 1 });
  assert.equal((await ret).value, 'ok:1');
});

test("the page's node killed while the question waits: the caller is told when the time is up", async () => {
  const c = await node('rc-c');
  const caller = await open(a);
  const page = await open(c);
  const t0 = Date.now();
  const ret = askId(caller, page.welcome.conn, 'going?');
  await page.next((m) => m.t === 'ccall', ms(5000), 'the question on C');
  c.killed = true;
  await c.stop('SIGKILL');
  assert.equal((await ret).value, 'error:deadline_exceeded');
  const waited = Date.now() - t0;
  assert.ok(waited >= 2400, `told after ${waited} ms: the endpoint's 500 ms and 2 s more`);
});

test('one node alone: a page of its own by id, and an unknown id refused at once', async () => {
  const alone = await startServer({});
  servers.push(alone);
  const caller = await open(alone);
  const page = await open(alone);
  const ret = askId(caller, page.welcome.conn, 'here?');
  const cc = await page.next((m) => m.t === 'ccall', ms(5000), 'the question');
  page.send({ t: 'cret', id: cc.id, ok: true, value: 3 });
  assert.equal((await ret).value, 'ok:3');
  const r = await askId(caller, 'cnobody', 'anyone?');
  assert.equal(r.ok, false);
  assert.equal(r.error.code, 'unavailable');
  assert.match(r.error.message, /cannot ask the page: connection closed/);
});
