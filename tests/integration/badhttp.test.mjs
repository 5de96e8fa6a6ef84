// badhttp.test.mjs - bytes that are not a proper HTTP request, straight on
// the socket: the server may answer 4xx or hang up, but it must go on
// serving everyone else. A case that brings the server down gets a new
// one for the next case.
import assert from 'node:assert/strict';
import net from 'node:net';
import { after, describe, test } from 'node:test';
import { Client, ms, rpc, sleep, startServer, within } from './helpers.mjs';

let server;
async function live() {
  if (!server || server.exit)
    // This file is about bytes, not the per-address limits (edge.test.mjs):
    // its silent sockets and the checks after them share one address.
    server = await startServer({ LV_TEST_MAX_HANDSHAKES_PER_ADDR: '1000' });
  return server;
}
after(async () => { await server?.stop().catch(() => {}); });

/** Writes data on a fresh socket, waits a moment, hangs up; what came back. */
async function send(s, data, { wait = 150, keepOpen = false } = {}) {
  const sock = net.connect(s.port, '127.0.0.1');
  let got = '';
  sock.setEncoding('latin1');
  sock.on('data', (d) => { got += d; });
  sock.on('error', () => {});
  await within(new Promise((resolve) => sock.on('connect', resolve)), ms(3000), 'connect');
  sock.write(data);
  await sleep(ms(wait));
  if (!keepOpen)
    sock.destroy();
  await sleep(ms(100));
  return { got, sock };
}

async function stillServes(s) {
  assert.equal(s.exit, null, `the server died: ${JSON.stringify(s.exit)}`);
  assert.equal((await rpc(s, 'add', { a: 1 })).status, 200);
  const c = await Client.open(s);
  assert.equal(await c.value('ping', {}), 'pong');
  await c.close();
}


describe('connections that end before a whole request', () => {
  test('connect and hang up at once (a port check, an unused browser preconnect)', async () => {
    const s = await live();
    await send(s, '', { wait: 0 });
    await stillServes(s);
  });

  test('connections that send nothing do not hold up the others, nor hurt when they go', async () => {
    const s = await live();
    const socks = [];
    for (let i = 0; i < 20; i++)
      socks.push((await send(s, '', { wait: 0, keepOpen: true })).sock);
    await stillServes(s);
    for (const k of socks)
      k.destroy();
    await sleep(ms(200));
    await stillServes(s);
  });

  for (const [what, data] of [
    ['a line that is not HTTP', 'hello\r\n\r\n'],
    ['an unknown method', 'FOO / HTTP/1.1\r\nHost: x\r\n\r\n'],
    ['a URI without its slash', 'GET nope HTTP/1.1\r\nHost: x\r\n\r\n'],
    ['the HTTP/2 preface', 'PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n'],
    ['a TLS ClientHello on the plain port', Buffer.from([0x16, 3, 1, 0, 5, 104, 101, 108, 108, 111])],
    ['a header over the header space', `GET / HTTP/1.1\r\nX: ${'a'.repeat(10000)}\r\n\r\n`],
    ['half a request line, then hanging up', 'GET / HT'],
    ['empty lines', '\r\n\r\n\r\n'],
  ]) {
    test(what, async () => {
      const s = await live();
      await send(s, data);
      await stillServes(s);
    });
  }
});

describe('odd but acceptable requests', () => {
  for (const [what, data, expect] of [
    ['HTTP/1.0 without Host', 'GET /style.css HTTP/1.0\r\n\r\n', /^HTTP\/1\.[01] 200/],
    ['HTTP/1.1 without Host', 'GET /style.css HTTP/1.1\r\n\r\n', /^HTTP\/1\.1 200/],
    ['a POST with a short body, then hanging up',
      'POST /lv/rpc/add HTTP/1.1\r\nHost: x\r\nContent-Length: 100\r\n\r\n{"a":1}', null],
    ['a POST without a length', 'POST /lv/rpc/add HTTP/1.1\r\nHost: x\r\n\r\n{"a":1}', null],
    ['a chunked POST', 'POST /lv/rpc/add HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n' +
      '7\r\n{"a":1}\r\n0\r\n\r\n', null],
    ['an upgrade without a key', 'GET /lv/ws HTTP/1.1\r\nHost: x\r\nUpgrade: websocket\r\n' +
      'Connection: Upgrade\r\n\r\n', null],
    ['an upgrade on another path', 'GET /other HTTP/1.1\r\nHost: x\r\nUpgrade: websocket\r\n' +
      'Connection: Upgrade\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n' +
      'Sec-WebSocket-Version: 13\r\n\r\n', null],
  ]) {
    test(what, async () => {
      const s = await live();
      const { got } = await send(s, data);
      if (expect)
        assert.match(got, expect);
      await stillServes(s);
    });
  }
});
