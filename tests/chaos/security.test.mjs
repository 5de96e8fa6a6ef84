// security.test.mjs - hostile input the other suites do not cover yet,
// against the chaos server (docs/security.md lists every input class and
// the test that shows what happens): forged resume tokens and `last`
// values, replayed and forged acks, spoofed server messages, the per
// connection rate limit, bad input inside a message, and handshakes and
// bodies that arrive a byte at a time. Tests that show a gap in liblv are
// kept and marked `todo` with the reason.
import assert from 'node:assert/strict';
import net from 'node:net';
import { after, before, describe, test } from 'node:test';

import { metric, metrics, Raw, sleep, startServer, until, within } from './helpers.mjs';

let server;
before(async () => {
  server = await startServer({ LV_TEST_MAX_ITEMS: '1000', LV_TEST_MAX_STRING: '2000' });
});
after(async () => { await server?.stop(); });

const open = (opts) => Raw.open(server, opts);

/** Drops r's socket without a close frame; waits for the server to see it. */
async function drop(r) {
  const before = metric(await metrics(server), 'lv_sessions_detached');
  r.terminate();
  await r.closed;
  await until(async () => metric(await metrics(server), 'lv_sessions_detached') > before,
    3000, 'the server to see the drop');
}

/** The numbered messages r got, but acks. */
const numbered = (r) => r.all.filter((m) => Number.isInteger(m.seq) && m.t !== 'ack');

/** Resolves when r has `n` down pushes. */
const downs = (r, n) => until(() => r.all.filter((m) => m.t === 'push' && m.fn === 'down').length >= n,
  3000, `${n} pushes`);

async function post(name, body, headers = { 'content-type': 'application/json' }) {
  const r = await fetch(`${server.httpUrl}/lv/rpc/${name}`, { method: 'POST', body, headers });
  const text = await r.text();
  let json;
  try {
    json = JSON.parse(text);
  } catch {
    json = undefined;
  }
  return { status: r.status, json, text };
}

describe('forged resume tokens', () => {
  test('a guessed, truncated, extended or malformed token resumes nothing and leaves the session be',
    async () => {
      const victim = await open({ autoAck: false });   // so that its answer waits for it
      const token = victim.welcome.session;
      await victim.call('measure', { text: 'secret' });
      await drop(victim);
      const m0 = await metrics(server);
      const flip = (t, i) => t.slice(0, i) + (t[i] === '0' ? '1' : '0') + t.slice(i + 1);
      const forged = [
        '0'.repeat(32), 'f'.repeat(32), flip(token, 0), flip(token, 31), token.slice(0, 31),
        `${token}0`, token.toUpperCase(), ` ${token}`, 'g'.repeat(32), 'x'.repeat(50000),
        12345, null, true, [token], { session: token },
      ];
      for (const session of forged) {
        const f = await open({ resume: { session, last: 0 } });
        const what = JSON.stringify(session).slice(0, 60);
        assert.equal(f.welcome.resumed, false, what);
        assert.equal(f.welcome.resync, 'unknown', what);
        assert.notEqual(f.welcome.session, token, what);
        assert.equal(numbered(f).length, 0, `${what}: something was replayed`);
        await f.close();
      }
      // a NUL in the token: jansson refuses the hello, and the socket is closed
      const nul = await open({ hello: false });
      nul.send({ t: 'hello', app: 'chaos', schema: server.schema,
        resume: { session: `${token.slice(0, 16)}\u0000${token.slice(17)}`, last: 0 } });
      assert.equal((await nul.waitClose()).code, 4400);
      // a resume that is not an object is no resume at all
      for (const resume of [token, [token, 0], 7]) {
        const f = await open({ resume });
        assert.equal(f.welcome.resumed, false);
        assert.equal(f.welcome.resync, undefined);
        await f.close();
      }
      const m1 = await metrics(server);
      assert.equal(metric(m1, 'lv_resumed_total'), metric(m0, 'lv_resumed_total'));
      assert.equal(metric(m1, 'lv_sessions_detached'), metric(m0, 'lv_sessions_detached'),
        'a forged token ended or took the waiting session');
      // the page that owns the session still resumes it
      const back = await open({ resume: { session: token, last: 0 } });
      assert.equal(back.welcome.resumed, true);
      assert.equal(back.welcome.session, token);
      const ret = await back.next((m) => m.t === 'ret');
      assert.equal(ret.value, 6, 'the answer the page missed is replayed to it');
      await back.close();
    });

  test('an empty token is unknown, not "expired"', async () => {
    const f = await open({ resume: { session: '', last: 0 } });
    assert.equal(f.welcome.resumed, false);
    assert.equal(f.welcome.resync, 'unknown');
    await f.close();
  });

  test('the right token with a `last` that is not a count of what was sent: resync "overflow"',
    async () => {
      const owner = await open();
      await owner.call('measure', { text: 'a' });
      for (const last of [-1, 1.5, '1', null, 2 ** 53, 2]) {
        const f = await open({ resume: { session: owner.welcome.session, last } });
        assert.equal(f.welcome.resumed, false, JSON.stringify(last));
        assert.equal(f.welcome.resync, 'overflow', JSON.stringify(last));
        assert.notEqual(f.welcome.session, owner.welcome.session);
        await f.close();
      }
      // the owner, still connected, is not disturbed
      assert.equal(owner.closeInfo, null);
      assert.equal((await owner.call('measure', { text: 'abc' })).value, 3);
      await owner.close();
    });
});

describe('replayed and forged acks', () => {
  test('an ack of more than was sent counts only what was sent: later messages are still replayed',
    async () => {
      const a = await open({ autoAck: false });
      await a.call('reset');                          // ret, seq 1
      a.send({ t: 'ack', seq: 1e12 });                // forged: far past seq 1
      await a.call('start_down', { total: 5, chunk: 5, every_ms: 0 });   // ret seq 2, downs 3..7
      await downs(a, 5);
      assert.deepEqual(numbered(a).map((m) => m.seq), [1, 2, 3, 4, 5, 6, 7]);
      await drop(a);
      // the page processed through seq 4 (down 1): 5..7 must come again
      const b = await open({ resume: { session: a.welcome.session, last: 4 }, autoAck: false });
      assert.equal(b.welcome.resumed, true);
      await downs(b, 3);
      await sleep(50);
      assert.deepEqual(numbered(b).map((m) => [m.seq, m.args?.n]), [[5, 2], [6, 3], [7, 4]]);
      await b.close();
    });

  test('a stale ack, and acks that are not counts, change nothing; the line stays open', async () => {
    const a = await open({ autoAck: false });
    await a.call('reset');
    await a.call('start_down', { total: 5, chunk: 5, every_ms: 0 });
    await downs(a, 5);
    a.send({ t: 'ack', seq: 7 });
    for (const seq of [2, 0, -1, 1.5, '7', null, {}, [7], 1e300])
      a.send({ t: 'ack', seq });
    a.send({ t: 'ack' });
    assert.equal((await a.call('measure', { text: 'ab' })).value, 2);   // seq 8
    assert.equal(a.closeInfo, null);
    a.send({ t: 'ack', seq: 8 });
    await drop(a);
    const b = await open({ resume: { session: a.welcome.session, last: 8 } });
    assert.equal(b.welcome.resumed, true);
    await sleep(50);
    assert.deepEqual(numbered(b), [], 'a stale ack brought acknowledged messages back');
    await b.close();
  });

  test('an ack before hello closes with 4400', async () => {
    const a = await open({ hello: false });
    a.send({ t: 'ack', seq: 1 });
    const c = await a.waitClose();
    assert.equal(c.code, 4400);
    assert.match(c.reason, /hello first/);
  });

  test('a page that resumes from less than it acknowledged is told (resync "overflow"), ' +
       'also when the replay buffer has emptied', async () => {
    const a = await open({ autoAck: false });
    await a.call('reset');
    await a.call('start_down', { total: 5, chunk: 5, every_ms: 0 });
    await downs(a, 5);
    a.send({ t: 'ack', seq: 7 });            // everything: the server lets go of it
    await a.call('measure', { text: '' });   // makes sure the ack was read (ret seq 8)
    a.send({ t: 'ack', seq: 8 });
    await sleep(50);
    await drop(a);
    const b = await open({ resume: { session: a.welcome.session, last: 3 } });
    const replayed = numbered(b).map((m) => m.seq);
    assert.equal(b.welcome.resumed, false,
      `resumed from 3 after acking 8; replayed ${JSON.stringify(replayed)}: 4..8 are gone unsaid`);
    assert.equal(b.welcome.resync, 'overflow');
    await b.close();
  });
});

describe('spoofed messages', () => {
  test('messages only the server sends are errors from a page, and change nothing', async () => {
    const a = await open();
    const session = a.welcome.session;
    const types = ['welcome', 'upgrade', 'event', 'push', 'ret', 'ccall', 'cmd', 'error'];
    for (const t of types)
      a.send({ t, session: 'f'.repeat(32), conn: 'cforged', resumed: true, last: 999, id: 1,
        ok: true, value: 1, fn: 'down', name: 'connect', args: { n: 1 }, cmds: [['lv.eval', 'x']],
        schema: 'x' });
    const errors = await until(() => {
      const e = a.all.filter((m) => m.t === 'error');
      return e.length >= types.length && e;
    }, 3000, 'an error for each');
    assert.deepEqual(errors.map((e) => e.error.message), types.map((t) => `unknown message type '${t}'`));
    assert.ok(errors.every((e) => e.error.code === 'invalid_argument' && e.error.path === 't'));
    // still the same session, still served
    assert.equal((await a.call('measure', { text: 'four' })).value, 4);
    await drop(a);
    const b = await open({ resume: { session, last: a.lastSeq } });
    assert.equal(b.welcome.resumed, true);
    await b.close();
  });

  test('unknown fields in a message are ignored; a `conn` field names nobody', async () => {
    const a = await open();
    const b = await open();
    a.send({ t: 'call', id: 1, fn: 'start_down', args: { total: 1 }, seq: 1, conn: b.welcome.conn,
      session: b.welcome.session, to: b.welcome.conn, zzz: [1] });
    await downs(a, 1);
    await sleep(50);
    assert.equal(b.all.filter((m) => m.t === 'push').length, 0, 'the push went to the page named');
    await a.close();
    await b.close();
  });
});

describe('rate limits (rate: 3/s, a token bucket per connection)', () => {
  const limited = async (r, n) => {
    const out = [];
    for (let i = 0; i < n; i++)
      out.push(await r.call('limited'));
    return out;
  };

  test('a burst of three, then resource_exhausted; a token back every third of a second', async () => {
    const a = await open();
    const burst = await limited(a, 5);
    assert.deepEqual(burst.map((r) => r.ok), [true, true, true, false, false]);
    const refused = burst[3].error;
    assert.equal(refused.code, 'resource_exhausted');
    assert.match(refused.message, /^limited: over its rate of 3 per 1000 ms/);
    await sleep(400);
    const again = await limited(a, 2);
    assert.deepEqual(again.map((r) => r.ok), [true, false]);
    // the handler ran only for the calls let through
    assert.equal(again[0].value, burst.filter((r) => r.ok).at(-1).value + 1);
    // refused calls were numbered and processed like any other: no gap
    assert.equal((await a.call('measure', { text: 'ok' })).value, 2);
    assert.equal(a.closeInfo, null);
    await a.close();
  });

  test('another connection has a bucket of its own', async () => {
    const a = await open();
    assert.deepEqual((await limited(a, 4)).map((r) => r.ok), [true, true, true, false]);
    const b = await open();
    assert.deepEqual((await limited(b, 4)).map((r) => r.ok), [true, true, true, false]);
    await a.close();
    await b.close();
  });

  test('reconnecting does not refill it: a resumed session keeps its bucket', async () => {
    const a = await open();
    assert.deepEqual((await limited(a, 4)).map((r) => r.ok), [true, true, true, false]);
    await drop(a);
    const b = await open({ resume: { session: a.welcome.session, last: a.lastSeq } });
    assert.equal(b.welcome.resumed, true);
    b.outSeq = a.outSeq;
    b.nextId = a.nextId;
    const r = await b.call('limited');
    assert.equal(r.ok, false);
    assert.equal(r.error.code, 'resource_exhausted');
    await b.close();
  });

  test('an endpoint also served over HTTP is limited there too', async () => {
    const statuses = [];
    for (let i = 0; i < 6; i++)
      statuses.push((await post('limited_http', '{}')).status);
    assert.ok(statuses.includes(429), `statuses ${statuses}`);
  });
});

describe('bad input inside a message', () => {
  test('an escaped lone surrogate is malformed JSON: answered, not run; its seq is not used up',
    async () => {
      const a = await open();
      a.send('{"t":"call","id":1,"fn":"measure","args":{"text":"\\ud800"},"seq":1}');
      const e = await a.next((m) => m.t === 'error');
      assert.equal(e.error.code, 'invalid_argument');
      assert.match(e.error.message, /^malformed JSON at byte 50: invalid \\u escape$/);
      assert.equal(a.closeInfo, null);
      // the number was not taken by the message the server could not read
      a.send({ t: 'call', id: 2, fn: 'measure', args: { text: 'ok' }, seq: 1 });
      assert.equal((await a.next((m) => m.t === 'ret' && m.id === 2)).value, 2);
      await a.close();
    });

  test('the decoder\'s limits name the argument: items and string length (WebSocket and HTTP)',
    async () => {
      const a = await open();
      const cases = [
        [{ text: '', items: Array(1001).fill(1) }, 'items', /list longer than 1000 items/],
        [{ text: 'x'.repeat(2001) }, 'text', /string longer than 2000 bytes/],
        [{ text: 'é'.repeat(1001) }, 'text', /string longer than 2000 bytes/],
      ];
      for (const [args, path, message] of cases) {
        const r = await a.call('measure', args);
        assert.equal(r.ok, false);
        assert.equal(r.error.code, 'invalid_argument');
        assert.equal(r.error.path, path);
        assert.match(r.error.message, message);
        const h = await post('measure', JSON.stringify(args));
        assert.equal(h.status, 400);
        assert.equal(h.json.error.path, path);
      }
      // at the limits: accepted
      assert.equal((await a.call('measure', { text: 'x'.repeat(2000), items: Array(1000).fill(0) })).value,
        3000);
      await a.close();
    });

  test('an HTTP body that is not UTF-8, or escapes a lone surrogate: 400, and the server goes on',
    async () => {
      const bad = Buffer.concat([Buffer.from('{"text":"'), Buffer.from([0xc3, 0x28, 0xff]), Buffer.from('"}')]);
      for (const body of [bad, '{"text":"\\udc00"}']) {
        const r = await post('measure', body);
        assert.equal(r.status, 400);
        assert.equal(r.json.error.code, 'invalid_argument');
      }
      assert.equal((await post('measure', '{"text":"fine"}')).json.value, 4);
    });

  test('an HTTP rpc whose body is not declared as JSON (a cross-site "simple" request) is refused', async () => {
    const r = await post('measure', '{"text":"csrf"}', { 'content-type': 'text/plain' });
    assert.equal(r.status, 415);
  });
});

describe('pages that go and do not come back', () => {
  let full;
  const WINDOW = 1500;
  before(async () => {
    full = await startServer({ LV_TEST_MAX_CONNS: '4', LV_TEST_RESUME_MS: String(WINDOW) });
  });
  after(async () => { await full?.stop(); });

  /** Four pages that said hello and dropped: four sessions waiting. */
  async function fill() {
    const gone = [];
    for (let i = 0; i < 4; i++) {
      const r = await Raw.open(full);
      await r.call('measure', { text: 'x' });
      r.terminate();
      await r.closed;
      gone.push(r);
    }
    await until(async () => metric(await metrics(full), 'lv_sessions_detached') === 4, 3000,
      'four sessions waiting');
    return gone;
  }

  test('their sessions hold no connection slot, and end when the resume window does', async () => {
    await fill();
    const m = await metrics(full);
    assert.equal(metric(m, 'lv_sessions'), 4);
    assert.equal(metric(m, 'lv_queue_messages'), 0, 'acknowledged answers are still held');
    const live = [];
    for (let i = 0; i < 4; i++)
      live.push(await Raw.open(full));   // max_conns is 4: the waiting four do not count
    await assert.rejects(Raw.open(full), /503/, 'a fifth open WebSocket was let in');
    assert.equal((await live[0].call('measure', { text: 'in' })).value, 2);
    for (const r of live)
      await r.close();
    await until(async () => metric(await metrics(full), 'lv_sessions') === 0, WINDOW + 3000,
      'the sessions to expire');
    await until(async () => metric(await metrics(full), 'lv_connections') === 0, 3000, 'the close');
  });

  test('a page whose session waits comes back, however many others wait', async () => {
    const gone = await fill();
    try {
      const back = await Raw.open(full, { resume: { session: gone[0].welcome.session, last: gone[0].lastSeq } });
      assert.equal(back.welcome.resumed, true);
      await back.close();
    } finally {
      await until(async () => metric(await metrics(full), 'lv_sessions') === 0, WINDOW + 3000,
        'the sessions to expire');
    }
  });
});

describe('bytes that arrive slowly', () => {
  /** A socket that writes `head` and then one byte of `drip` every `every` ms. */
  function dripping(head, drip, every) {
    const s = net.connect(server.port, '127.0.0.1');
    const t0 = Date.now();
    let i = 0;
    let timer = null;
    let got = '';
    s.on('data', (d) => { got += d; });
    s.on('error', () => {});
    s.on('connect', () => {
      s.write(head);
      timer = setInterval(() => {
        if (i < drip.length)
          s.write(drip[i++]);
      }, every);
    });
    const closed = new Promise((resolve) => s.on('close', () => {
      clearInterval(timer);
      resolve({ after: Date.now() - t0, dripped: i, got });
    }));
    return { s, closed };
  }

  const upgrade = 'GET /lv/ws HTTP/1.1\r\nHost: 127.0.0.1\r\nUpgrade: websocket\r\n' +
    'Connection: Upgrade\r\nSec-WebSocket-Version: 13\r\n' +
    'Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nX-Pad: ';

  test('an upgrade that drips its headers is cut off by the handshake timeout (10 s), ' +
       'whatever it sends meanwhile; others are served', { timeout: 30000 }, async () => {
    const slow = [
      dripping(upgrade, 'a'.repeat(1000), 200),     // a byte every 200 ms, never done
      dripping(upgrade, 'a'.repeat(1000), 2000),    // a byte every 2 s
      dripping('GET /lv/ws HT', '', 1000),          // half a request line, then silence
    ];
    await sleep(1000);
    const a = await open();
    assert.equal((await a.call('measure', { text: 'served' })).value, 6);
    await a.close();
    for (const { closed } of slow) {
      const c = await within(closed, 20000, 'the slow handshake to be cut off');
      assert.ok(c.after >= 8000 && c.after <= 14000, `closed after ${c.after} ms`);
      assert.equal(c.got, '', 'it got an answer');
    }
  });

  test('an HTTP body that drips a byte every few seconds is cut off in time', {
    timeout: 30000,
  }, async () => {
    const body = `{"text":"${'a'.repeat(500)}"}`;
    const { s, closed } = dripping('POST /lv/rpc/measure HTTP/1.1\r\nHost: x\r\n' +
      `Content-Type: application/json\r\nContent-Length: ${body.length}\r\n\r\n`, [...body], 3000);
    try {
      const c = await within(closed, 16000, 'the slow body to be cut off');
      assert.ok(c.after <= 15000, `closed after ${c.after} ms`);
    } finally {
      s.destroy();
    }
  });
});
