// sessions.test.mjs - sessions, sequence numbers, acks and resume
// (docs/protocol.md, "Sessions, sequence numbers and resume"): nothing
// reliable lost or doubled across a dropped socket.
import assert from 'node:assert/strict';
import { after, afterEach, before, describe, test } from 'node:test';
import { Client, closeAll, metrics, metric, ms, sleep, startServer, until } from './helpers.mjs';

let server;
let clients = [];
const open = async (opts, on = server) => {
  const c = await Client.open(on, opts);
  clients.push(c);
  return c;
};

before(async () => { server = await startServer({ LV_TEST_RESUME_MS: '60000' }); });
afterEach(async () => { await closeAll(clients); clients = []; });
after(async () => { await server?.stop(); });

/** Drops c's socket without a close frame, and waits for the server to see it. */
async function drop(c, on = server) {
  const m0 = await metrics(on);
  c.terminate();
  await c.closed;
  await until(async () => metric(await metrics(on), 'lv_sessions_detached') >
    metric(m0, 'lv_sessions_detached'), ms(3000), 'the server to see the drop');
}

/** Opens a page that resumes c's session. */
function resume(c, opts = {}, on = server) {
  return open({ numbered: true, ...opts,
    resume: { session: c.welcome.session, last: c.lastSeq } }, on);
}

describe('numbering', () => {
  test('the welcome opens a session of its own', async () => {
    const a = await open();
    const b = await open();
    assert.match(a.welcome.session, /^[0-9a-f]{32}$/);
    assert.notEqual(a.welcome.session, b.welcome.session);
    assert.equal(a.welcome.resumed, false);
    assert.equal(a.welcome.last, 0);
    assert.equal(a.welcome.seq, undefined);
  });

  test('reliable messages to the page count up from 1; volatile and control ones carry none', async () => {
    const c = await open();
    await c.value('join', { name: 'numbered' });
    await c.value('commands', {});
    await c.call('cmd_fail', {});
    await c.value('tick', { n: 1, to: null });
    await c.value('broadcast', { to: 'numbered', text: 'n' });
    await c.value('flood', { to: null, n: 2, size: 1, vol: true });
    c.send({ t: 'send', fn: 'tap', args: { n: -1 } });
    await c.next((m) => m.t === 'error');
    c.send({ t: 'ping' });
    await c.next((m) => m.t === 'pong');
    const ask = c.call('ask_me', { question: 'q' });
    const cc = await c.next((m) => m.t === 'ccall');
    c.send({ t: 'cret', id: cc.id, ok: true, value: 1 });
    await ask;
    const numbered = c.all.filter((m) => m.seq !== undefined && m.t !== 'ack');
    assert.deepEqual(numbered.map((m) => m.seq), numbered.map((_, i) => i + 1));
    for (const kind of ['ret', 'push', 'event', 'error', 'ccall'])
      assert.ok(numbered.some((m) => m.t === kind), `no numbered ${kind}`);
    for (const m of c.all.filter((x) => ['welcome', 'pong'].includes(x.t) || x.fn === 'blob_v'))
      assert.equal(m.seq, undefined, JSON.stringify(m));
  });

  test('the server acknowledges the page\'s numbered messages', async () => {
    const c = await open({ numbered: true });
    await c.value('ping', {});
    c.send({ t: 'send', fn: 'tap', args: { n: 1 } });
    await c.value('ping', {});
    const ack = await until(() => c.all.filter((m) => m.t === 'ack').map((m) => m.seq)
      .find((s) => s === 3), ms(2000), 'an ack of 3');
    assert.equal(ack, 3);
  });

  test('a repeated seq is dropped and counted, not run again', async () => {
    const c = await open();
    const m0 = await metrics(server);
    const s0 = (await c.value('stats', {})).taps;
    c.send({ t: 'send', fn: 'tap', args: { n: 1 }, seq: 1 });
    c.send({ t: 'send', fn: 'tap', args: { n: 1 }, seq: 1 });
    c.send({ t: 'call', id: 50, fn: 'ping', args: {}, seq: 2 });
    c.send({ t: 'call', id: 51, fn: 'ping', args: {}, seq: 2 });
    await c.next((m) => m.t === 'ret' && m.id === 50);
    await sleep(ms(100));
    assert.equal(c.all.filter((m) => m.t === 'ret' && m.id === 51).length, 0);
    assert.equal((await c.value('stats', {})).taps, s0 + 1);
    const m1 = await metrics(server);
    assert.equal(metric(m1, 'lv_duplicates_total'), metric(m0, 'lv_duplicates_total') + 2);
  });

  test('a gap in the page\'s numbers closes with 4400', async () => {
    const c = await open();
    c.send({ t: 'call', id: 1, fn: 'ping', args: {}, seq: 1 });
    c.send({ t: 'call', id: 2, fn: 'ping', args: {}, seq: 3 });
    const closed = await c.waitClose();
    assert.equal(closed.code, 4400);
    assert.match(closed.reason, /gap/);
  });

  for (const seq of [0, -1, 'one', 1.5]) {
    test(`a seq that is not a positive integer (${JSON.stringify(seq)}) closes with 4400`, async () => {
      const c = await open();
      c.send({ t: 'call', id: 1, fn: 'ping', args: {}, seq });
      assert.equal((await c.waitClose()).code, 4400);
    });
  }
});

describe('resume', () => {
  test('what was sent while the socket was down is replayed, once, in order', async () => {
    const a = await open({ numbered: true });
    const b = await open();
    await a.value('join', { name: 'rs' });
    await a.value('broadcast', { to: 'rs', text: 'before' });
    await a.next((m) => m.t === 'push' && m.args?.text === 'before');
    await sleep(20);   // let the ack go
    await drop(a);
    // the page is still in its groups while its session waits
    assert.equal(await b.value('group_size', { name: 'rs' }), 1);
    await b.value('broadcast', { to: 'rs', text: 'away 1' });
    await b.value('broadcast', { to: 'rs', text: 'away 2' });
    const a2 = await resume(a);
    assert.equal(a2.welcome.resumed, true);
    assert.equal(a2.welcome.session, a.welcome.session);
    assert.equal(a2.welcome.last, a.outSeq);
    const n1 = await a2.next((m) => m.t === 'push' && m.args?.text === 'away 1');
    const n2 = await a2.next((m) => m.t === 'push' && m.args?.text === 'away 2');
    assert.equal(n1.seq, a.lastSeq + 1);
    assert.equal(n2.seq, a.lastSeq + 2);
    // nothing already processed comes again
    await sleep(ms(100));
    assert.ok(!a2.all.some((m) => m.seq !== undefined && m.seq <= a.lastSeq && m.t !== 'ack'));
    // and the session goes on
    await b.value('broadcast', { to: 'rs', text: 'after' });
    const n3 = await a2.next((m) => m.t === 'push' && m.args?.text === 'after');
    assert.equal(n3.seq, a.lastSeq + 3);
    assert.equal(a2.all.filter((m) => m.args?.text === 'after').length, 1);
  });

  test('a call in flight when the socket dropped is answered once, on the new one', async () => {
    const a = await open({ numbered: true });
    await a.value('ping', {});
    a.send({ t: 'call', id: 77, fn: 'later', args: { ms: ms(400), value: 7 } });
    await sleep(50);
    await drop(a);
    const a2 = await resume(a);
    assert.equal(a2.welcome.resumed, true);
    // the server has the call: the page must not send it again
    assert.equal(a2.welcome.last, a.outSeq);
    const r = await a2.next((m) => m.t === 'ret' && m.id === 77, ms(3000));
    assert.equal(r.value, 7);
    await sleep(ms(100));
    assert.equal(a2.all.filter((m) => m.t === 'ret' && m.id === 77).length, 1);
  });

  test('a call resent after a resume is not run twice', async () => {
    const a = await open({ numbered: true });
    const s0 = (await a.value('stats', {})).taps;
    a.send({ t: 'send', fn: 'tap', args: { n: 1 } });
    await a.value('ping', {});
    await drop(a);
    const a2 = await resume(a, { numbered: false });
    // a page unsure of what arrived resends from its own last unacked
    a2.send({ t: 'send', fn: 'tap', args: { n: 1 }, seq: a.outSeq - 1 });
    a2.send({ t: 'call', id: 9, fn: 'stats', args: {}, seq: a.outSeq + 1 });
    const st = await a2.next((m) => m.t === 'ret' && m.id === 9);
    assert.equal(st.value.taps, s0 + 1);
  });

  test('an unknown session: a new one, with resync "unknown"', async () => {
    const c = await open({ resume: { session: '0123456789abcdef0123456789abcdef', last: 3 } });
    assert.equal(c.welcome.resumed, false);
    assert.equal(c.welcome.resync, 'unknown');
    assert.notEqual(c.welcome.session, '0123456789abcdef0123456789abcdef');
    assert.equal(await c.value('ping', {}), 'pong');
  });

  test('a page that says goodbye (1000) ends its session', async () => {
    const w = await open();
    await w.value('join', { name: 'watchers' });
    const a = await open();
    await a.value('join', { name: 'bye' });
    await a.close();
    const gone = await w.next((m) => m.t === 'push' && m.fn === 'gone');
    assert.equal(gone.args.id, a.welcome.conn);
    assert.equal(await w.value('group_size', { name: 'bye' }), 0);
    const a2 = await resume(a);
    assert.equal(a2.welcome.resumed, false);
    assert.equal(a2.welcome.resync, 'unknown');
  });

  test('a session cannot be taken over by another identity', async () => {
    const a = await open({ query: { token: 'admin' } });
    await drop(a);
    const thief = await resume(a, { query: { token: 'user' } });
    assert.equal(thief.welcome.resumed, false);
    assert.equal(await thief.value('whoami', {}), 'u');
    const anon = await resume(a);
    assert.equal(anon.welcome.resumed, false);
    const owner = await resume(a, { query: { token: 'admin' } });
    assert.equal(owner.welcome.resumed, true);
    assert.equal(await owner.value('whoami', {}), 'root');
  });

  test('a page signed in by a login rpc resumes signed in; another identity cannot take it', async () => {
    const a = await open({ numbered: true });
    await a.value('login', { name: 'ann', role: 'admin' });
    await drop(a);
    const thief = await resume(a, { query: { token: 'user' } });
    assert.equal(thief.welcome.resumed, false);
    const a2 = await resume(a);
    assert.equal(a2.welcome.resumed, true);
    a2.outSeq = a.outSeq;   // the page numbers on from where it was
    assert.equal(await a2.value('whoami', {}), 'ann');
    assert.equal(await a2.value('admin_only', {}), 'ann');
  });

  test('a page that claims more than was sent is resynced', async () => {
    const a = await open();
    await a.value('ping', {});
    await drop(a);
    const a2 = await open({ resume: { session: a.welcome.session, last: a.lastSeq + 100 } });
    assert.equal(a2.welcome.resumed, false);
    assert.equal(a2.welcome.resync, 'overflow');
  });
});

describe('expiry', () => {
  let quick;
  const WINDOW = ms(300);
  before(async () => { quick = await startServer({ LV_TEST_RESUME_MS: String(WINDOW) }); });
  after(async () => { await quick?.stop(); });

  test('a session not resumed in time ends: disconnect runs, its groups are left', async () => {
    const w = await open({}, quick);
    await w.value('join', { name: 'watchers' });
    const a = await open({}, quick);
    await a.value('join', { name: 'exp' });
    const t0 = Date.now();
    await drop(a, quick);
    const size = await w.value('group_size', { name: 'exp' });
    if (Date.now() - t0 < WINDOW * 0.8)
      assert.equal(size, 1, 'gone before the window ended');
    const gone = await w.next((m) => m.t === 'push' && m.fn === 'gone', ms(3000));
    assert.equal(gone.args.id, a.welcome.conn);
    assert.equal(await w.value('group_size', { name: 'exp' }), 0);
    const m = await metrics(quick);
    assert.ok(metric(m, 'lv_sessions_expired_total') >= 1);
  });

  test('resuming an expired session says "expired"', async () => {
    const a = await open({}, quick);
    await drop(a, quick);
    await until(async () => metric(await metrics(quick), 'lv_sessions_detached') === 0,
      ms(3000), 'the session to expire');
    const a2 = await resume(a, {}, quick);
    assert.equal(a2.welcome.resumed, false);
    assert.equal(a2.welcome.resync, 'expired');
  });
});
