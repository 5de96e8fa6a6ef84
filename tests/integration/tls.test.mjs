// tls.test.mjs - the server with a certificate made for the test (openssl
// req -x509): wss:// and https:// work, and plain text on its port does not.
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { after, before, test } from 'node:test';
import { Client, metrics, metric, ms, request, rpc, startServer, within } from './helpers.mjs';

let dir;
let server;

before(async () => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'lv-tls-'));
  const cert = path.join(dir, 'cert.pem');
  const key = path.join(dir, 'key.pem');
  execFileSync('openssl', ['req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1',
    '-nodes', '-keyout', key, '-out', cert, '-days', '1', '-subj', '/CN=localhost',
    '-addext', 'subjectAltName=IP:127.0.0.1,DNS:localhost'], { stdio: 'ignore', timeout: 20000 });
  server = await startServer({ LV_TEST_TLS_CERT: cert, LV_TEST_TLS_KEY: key });
});

after(async () => {
  await server?.stop();
  if (dir)
    fs.rmSync(dir, { recursive: true, force: true });
});

test('wss://: hello, calls, pushes', async () => {
  assert.match(server.wsUrl, /^wss:/);
  const c = await Client.open(server);
  try {
    assert.match(c.welcome.conn, /^c/);
    assert.equal(await c.value('ping', {}), 'pong');
    assert.equal(await c.value('later', { ms: 50, value: 1.5 }), 1.5);
    await c.value('broadcast', { to: null, text: 'over tls' });
    await c.next((m) => m.t === 'push' && m.fn === 'note');
    // a large answer crosses several TLS records
    const name = 'z'.repeat(50 * 1024);
    const v = await c.value('echo_item', { item: { id: 1, name, ratio: 0, on: false, tags: [],
      counts: {}, color: 'green', raw: '', extra: null } });
    assert.equal(v.name, name);
  } finally {
    await c.close();
  }
});

test('https://: rpc, metrics, static files', async () => {
  const r = await rpc(server, 'add', { a: 20, b: 22 });
  assert.equal(r.status, 200);
  assert.deepEqual(r.json, { ok: true, value: 42 });
  const m = await metrics(server);
  assert.ok(metric(m, 'lv_connections_total') >= 1);
  const page = await request(server, 'GET', '/');
  assert.equal(page.status, 200);
  assert.match(page.body, /INDEX-PAGE/);
});

test('plain HTTP on the TLS port gets no page', async () => {
  const sock = net.connect(server.port, '127.0.0.1');
  let got = '';
  sock.setEncoding('latin1');
  sock.on('data', (d) => { got += d; });
  sock.on('error', () => {});
  await within(new Promise((resolve) => sock.on('connect', resolve)), ms(3000), 'connect');
  sock.write('GET / HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n');
  await within(new Promise((resolve) => sock.on('close', resolve)), ms(15000), 'the server to hang up');
  assert.doesNotMatch(got, /INDEX-PAGE/);
  // and the server is fine
  assert.equal((await rpc(server, 'add', { a: 1 })).status, 200);
});

test('a malformed TLS handshake does not take the server down', async () => {
  const own = await startServer({ LV_TEST_TLS_CERT: path.join(dir, 'cert.pem'),
    LV_TEST_TLS_KEY: path.join(dir, 'key.pem') });
  try {
    const sock = net.connect(own.port, '127.0.0.1');
    sock.on('error', () => {});
    await within(new Promise((resolve) => sock.on('connect', resolve)), ms(3000), 'connect');
    // a handshake record whose body is not a ClientHello
    sock.write(Buffer.from([0x16, 0x03, 0x01, 0x00, 0x05, 0x68, 0x65, 0x6c, 0x6c, 0x6f]));
    // The server carries on while that socket sits there (it is not hung
    // up on at once: a stalled handshake is only ended by lws's own timers).
    await new Promise((resolve) => setTimeout(resolve, ms(300)));
    assert.equal(own.exit, null, `the server died: ${JSON.stringify(own.exit)}`);
    assert.equal((await rpc(own, 'add', { a: 1 })).status, 200);
    sock.destroy();
  } finally {
    await own.stop().catch(() => {});
  }
});

