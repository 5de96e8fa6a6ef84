// http.test.mjs - everything on the server's port that is not the
// WebSocket: HTTP rpc (POST /lv/rpc/NAME), the runtime's and the app's
// scripts, static files (and attempts to get out of their folder), the
// metrics page, and the Origin allow-list.
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { after, afterEach, before, describe, test } from 'node:test';
import { Client, STATIC_DIR, closeAll, metrics, metric, ms, request, rpc, startServer, until } from './helpers.mjs';

let server;
let clients = [];

before(async () => { server = await startServer(); });
afterEach(async () => { await closeAll(clients); clients = []; });
after(async () => { await server?.stop(); });

const SECRET = 'TOP-SECRET';

describe('HTTP rpc', () => {
  test('POST /lv/rpc/add answers 200 with the value', async () => {
    const r = await rpc(server, 'add', { a: 2, b: 3 });
    assert.equal(r.status, 200);
    assert.match(r.headers['content-type'], /^application\/json/);
    assert.deepEqual(r.json, { ok: true, value: 5 });
    assert.deepEqual((await rpc(server, 'add', { a: 2 })).json, { ok: true, value: 3 });
  });

  test('bad arguments: 400 with the path', async () => {
    for (const [body, pathName] of [[{ a: 'x' }, 'a'], [{}, 'a'], [{ a: 1, zz: 2 }, 'zz'],
      [{ a: 1.5 }, 'a']]) {
      const r = await rpc(server, 'add', body);
      assert.equal(r.status, 400, JSON.stringify(body));
      assert.equal(r.json.ok, false);
      assert.equal(r.json.error.code, 'invalid_argument');
      assert.equal(r.json.error.path, pathName);
      assert.match(r.json.error.message, /^add: /);
    }
  });

  test('a body that is not a JSON object: 400', async () => {
    for (const body of ['{"a":', '[1,2]', '"x"', 'null', 'a=1&b=2']) {
      const r = await rpc(server, 'add', body);
      assert.equal(r.status, 400, body);
      assert.equal(r.json.error.code, 'invalid_argument', body);
    }
    // an empty body is no arguments
    const r = await rpc(server, 'add', '');
    assert.equal(r.status, 400);
    assert.equal(r.json.error.path, 'a');
  });

  test('endpoints not marked http, or not there: 404', async () => {
    for (const name of ['ping', 'tap', 'note', 'connected', 'nope', '', 'add/x']) {
      const r = await rpc(server, name, {});
      assert.equal(r.status, 404, name);
      assert.equal(r.json.error.code, 'not_found');
    }
    const g = await request(server, 'GET', '/lv/rpc/add');
    assert.equal(g.status, 405);
    assert.equal(g.headers.allow, 'POST');
    const r = await request(server, 'POST', '/elsewhere', { body: '{}' });
    assert.equal(r.status, 405);
    assert.equal(r.headers.allow, 'GET, HEAD');
  });

  test('auth: 401 anonymous, 403 without the role or refused, 200 for the admin', async () => {
    let r = await rpc(server, 'admin_only', {});
    assert.equal(r.status, 401);
    assert.equal(r.json.error.code, 'unauthenticated');
    r = await rpc(server, 'admin_only', {}, { query: '?token=user' });
    assert.equal(r.status, 403);
    assert.equal(r.json.error.code, 'permission_denied');
    r = await rpc(server, 'admin_only', {}, { query: '?token=deny' });
    assert.equal(r.status, 403);
    assert.equal(r.json.error.code, 'permission_denied');
    r = await rpc(server, 'admin_only', {}, { query: '?token=admin' });
    assert.equal(r.status, 200);
    assert.deepEqual(r.json, { ok: true, value: 'root' });
    r = await rpc(server, 'admin_only', {}, { headers: { cookie: 'token=admin' } });
    assert.equal(r.status, 200);
  });

  test('a body over max_message: 413', async () => {
    const r = await rpc(server, 'add', JSON.stringify({ a: 1, pad: 'x'.repeat(80 * 1024) }));
    assert.equal(r.status, 413);
    assert.equal(r.json.error.code, 'resource_exhausted');
    // and the server carries on
    assert.equal((await rpc(server, 'add', { a: 1 })).status, 200);
  });

  test('an endpoint\'s own max applies over HTTP too', async () => {
    const r = await rpc(server, 'small', { text: 'x'.repeat(3000) });
    assert.ok([413, 429].includes(r.status), `status ${r.status}`);
    assert.equal(r.json.error.code, 'resource_exhausted');
  });

  test('every error code has its status', async () => {
    const table = {
      invalid_argument: 400, not_found: 404, unauthenticated: 401, permission_denied: 403,
      resource_exhausted: 429, deadline_exceeded: 504, unavailable: 503, internal: 500,
      upgrade_required: 426,
    };
    for (const [code, status] of Object.entries(table)) {
      for (const bare of [false, true]) {
        const r = await rpc(server, 'fail', { code, bare });
        assert.equal(r.status, status, `${code} bare=${bare}`);
        assert.equal(r.json.ok, false);
        assert.equal(r.json.error.code, code);
        assert.match(r.json.error.message, /^fail: /);
      }
    }
    const r = await rpc(server, 'fail', { code: 'ok', bare: true });
    assert.equal(r.status, 200);
    assert.deepEqual(r.json, { ok: true, value: null });
  });

  test('a handler returning a status that is not one (positive): 500', async () => {
    const r = await rpc(server, 'fail', { code: 'positive', bare: true });
    assert.equal(r.status, 500);
    assert.equal(r.json.error.code, 'internal');
  });

  test('NaN: 500 internal', async () => {
    const r = await rpc(server, 'nan', {});
    assert.equal(r.status, 500);
    assert.equal(r.json.error.code, 'internal');
  });

  test('deferred answers from another thread, over HTTP', async () => {
    let r = await rpc(server, 'later', { ms: 100, value: 1.25 });
    assert.equal(r.status, 200);
    assert.deepEqual(r.json, { ok: true, value: 1.25 });
    r = await rpc(server, 'later', { ms: 50, value: 2, how: 'fail' });
    assert.equal(r.status, 404);
    assert.equal(r.json.error.message, 'later: nothing at 2');
    r = await rpc(server, 'later', { ms: 50, value: 2, how: 'nan' });
    assert.equal(r.status, 500);
    // many at once, answered as they finish
    const all = await Promise.all([300, 100, 200, 0].map((t, i) =>
      rpc(server, 'later', { ms: t, value: i })));
    assert.deepEqual(all.map((x) => x.json.value), [0, 1, 2, 3]);
  });

  test('a client that leaves before a deferred HTTP answer does not upset the server', async () => {
    await assert.rejects(request(server, 'POST', '/lv/rpc/later', {
      body: JSON.stringify({ ms: 300, value: 1 }), timeout: 50,
      headers: { 'content-type': 'application/json' } }));
    await new Promise((r) => setTimeout(r, 400));
    assert.equal((await rpc(server, 'add', { a: 1 })).status, 200);
  });

  test('keep-alive: several requests on one connection', async () => {
    const http = await import('node:http');
    const agent = new http.Agent({ keepAlive: true, maxSockets: 1 });
    try {
      for (let i = 0; i < 5; i++) {
        const body = JSON.stringify({ a: i });
        const r = await new Promise((resolve, reject) => {
          const req = http.request({ host: '127.0.0.1', port: server.port, method: 'POST',
            path: '/lv/rpc/add', agent, headers: { 'content-length': Buffer.byteLength(body),
              'content-type': 'application/json' } },
          (res) => {
            let data = '';
            res.on('data', (d) => { data += d; });
            res.on('end', () => resolve({ status: res.statusCode, body: data }));
          });
          req.setTimeout(ms(3000), () => req.destroy(new Error('timeout')));
          req.on('error', reject);
          req.end(body);
        });
        assert.equal(r.status, 200);
        assert.equal(JSON.parse(r.body).value, i + 1);
      }
    } finally {
      agent.destroy();
    }
  });
});

describe('scripts', () => {
  test('GET /lv.js is the runtime, as JavaScript', async () => {
    const r = await request(server, 'GET', '/lv.js');
    assert.equal(r.status, 200);
    assert.match(r.headers['content-type'], /^text\/javascript/);
    assert.ok(r.body.length > 0);
    assert.match(r.body, /export/);
  });

  test('GET /app.lv.js is the generated module, as JavaScript, with the schema', async () => {
    const r = await request(server, 'GET', '/app.lv.js');
    assert.equal(r.status, 200);
    assert.match(r.headers['content-type'], /^text\/javascript/);
    assert.equal(Number(r.headers['content-length']), Buffer.byteLength(r.body));
    assert.ok(r.body.includes(server.schema));
    assert.match(r.body, /echo_item/);
  });
});

describe('static files', () => {
  const read = (f) => fs.readFileSync(path.join(STATIC_DIR, f), 'utf8');

  for (const [url, file, type] of [
    ['/', 'index.html', /^text\/html/],
    ['/index.html', 'index.html', /^text\/html/],
    ['/index.html?x=1', 'index.html', /^text\/html/],
    ['/style.css', 'style.css', /^text\/css/],
    ['/alias.css', 'style.css', /^text\/css/],
    ['/data.json', 'data.json', /^application\/json/],
    ['/sub/page.txt', 'sub/page.txt', /^text\/plain/],
    ['/st%79le.css', 'style.css', /^text\/css/],
  ]) {
    test(`GET ${url}`, async () => {
      const r = await request(server, 'GET', url);
      assert.equal(r.status, 200);
      assert.match(r.headers['content-type'], type);
      assert.equal(r.body, read(file));
    });
  }

  test('a file that is not there, a folder, a hidden file: 404', async () => {
    for (const url of ['/nope.html', '/sub', '/sub/', '/.hidden', '/sub/.']) {
      const r = await request(server, 'GET', url);
      assert.equal(r.status, 404, url);
      assert.ok(!r.body.includes('HIDDEN-FILE'), url);
    }
  });

  test('no way out of the folder: .., encoded dots and slashes, a symlink', async () => {
    const attempts = [
      '/../secret.txt', '/sub/../../secret.txt', '/./../secret.txt', '/sub/./../../secret.txt',
      '/%2e%2e/secret.txt', '/%2E%2E/secret.txt', '/.%2e/secret.txt', '/%2e./secret.txt',
      '/..%2fsecret.txt', '/..%2Fsecret.txt', '/%2e%2e%2fsecret.txt', '/sub/..%2f..%2fsecret.txt',
      '/sub/%2e%2e/%2e%2e/secret.txt', '/%252e%252e/secret.txt', '/..%5csecret.txt',
      '/..\\secret.txt', '/%2e%2e%5csecret.txt', '//secret.txt', '/escape.txt',
      '/sub/../escape.txt', '/..%00/secret.txt', '/%00../secret.txt',
      '/../integration/secret.txt', '/../../integration/secret.txt', '/../../../README.md',
      '/../../../Makefile', '//etc/passwd', '/../../../../../../../../etc/passwd',
      '/%2e%2e/%2e%2e/%2e%2e/%2e%2e/%2e%2e/etc/passwd',
    ];
    for (const url of attempts) {
      let r;
      try {
        r = await request(server, 'GET', url);
      } catch {
        continue;   // refused outright is fine too
      }
      assert.ok(!r.body.includes(SECRET), `${url} served the secret`);
      // lws decodes %00 and ends the path there: "/%00../x" is "/", the index
      if (r.status < 400)
        assert.equal(r.body, read('index.html'), `${url} answered ${r.status}`);
      assert.ok(!/root:.*:0:0:/.test(r.body), `${url} served /etc/passwd`);
      assert.ok(!r.body.includes('lv - top-level build'), `${url} served the Makefile`);
    }
    // the server still serves the folder
    assert.equal((await request(server, 'GET', '/style.css')).status, 200);
  });
});

describe('metrics', () => {
  test('Prometheus text whose counters move', async () => {
    const m0 = await metrics(server);
    assert.match(m0.headers['content-type'], /^text\/plain; version=0\.0\.4/);
    assert.match(m0.text, /^# TYPE lv_connections gauge$/m);
    for (const name of ['lv_connections', 'lv_pages', 'lv_connections_total', 'lv_messages_in_total',
      'lv_messages_out_total', 'lv_bytes_in_total', 'lv_bytes_out_total', 'lv_dropped_total',
      'lv_closed_slow_total', 'lv_refused_total', 'lv_queue_messages', 'lv_queue_bytes',
      'lv_broker_info{broker="local",node=""}', 'lv_broker_connected'])
      assert.ok(m0.has(name), name);
    // every line is a comment or NAME{LABELS} NUMBER
    for (const line of m0.text.split('\n').filter(Boolean))
      assert.match(line, /^(# (HELP|TYPE) .*|[a-z_]+(\{[a-z_]+="[^"]*"(,[a-z_]+="[^"]*")*\})? \d+)$/, line);

    const c = await Client.open(server);
    clients.push(c);
    await c.value('ping', {});
    await c.call('nope', {});
    const m1 = await metrics(server);
    assert.equal(metric(m1, 'lv_connections'), metric(m0, 'lv_connections') + 1);
    assert.equal(metric(m1, 'lv_pages'), metric(m0, 'lv_pages') + 1);
    assert.equal(metric(m1, 'lv_connections_total'), metric(m0, 'lv_connections_total') + 1);
    assert.equal(metric(m1, 'lv_calls_total{endpoint="ping"}'), metric(m0, 'lv_calls_total{endpoint="ping"}') + 1);
    assert.equal(metric(m1, 'lv_errors_total{code="not_found"}'), metric(m0, 'lv_errors_total{code="not_found"}') + 1);
    assert.ok(metric(m1, 'lv_messages_in_total') >= metric(m0, 'lv_messages_in_total') + 3);
    assert.ok(metric(m1, 'lv_messages_out_total') >= metric(m0, 'lv_messages_out_total') + 3);
    assert.ok(metric(m1, 'lv_bytes_out_total') > metric(m0, 'lv_bytes_out_total'));
    await c.close();
    clients = [];
    await until(async () => metric(await metrics(server), 'lv_connections') === metric(m0, 'lv_connections'),
      ms(2000), 'the gauge to come back');
  });

  test('HTTP rpc calls are counted per endpoint', async () => {
    const m0 = await metrics(server);
    await rpc(server, 'add', { a: 1 });
    await rpc(server, 'add', { a: 'x' });
    const m1 = await metrics(server);
    assert.equal(metric(m1, 'lv_calls_total{endpoint="add"}'), metric(m0, 'lv_calls_total{endpoint="add"}') + 1);
    assert.equal(metric(m1, 'lv_errors_total{code="invalid_argument"}'),
      metric(m0, 'lv_errors_total{code="invalid_argument"}') + 1);
  });
});

describe('origin allow-list', () => {
  let guarded;
  before(async () => {
    guarded = await startServer({ LV_TEST_ORIGINS: 'http://good.example,https://also.example' });
  });
  after(async () => { await guarded?.stop(); });

  test('an allowed Origin connects', async () => {
    for (const origin of ['http://good.example', 'https://also.example']) {
      const c = await Client.open(guarded, { origin });
      clients.push(c);
      assert.equal(await c.value('ping', {}), 'pong');
    }
  });

  test('a foreign Origin is refused and counted; none (not a browser) connects', async () => {
    const m0 = await metrics(guarded);
    for (const origin of ['http://evil.example', 'http://good.example.evil', 'http://GOOD.example:80',
      'null'])
      await assert.rejects(Client.open(guarded, { origin }), undefined, String(origin));
    const m1 = await metrics(guarded);
    assert.equal(metric(m1, 'lv_refused_total'), metric(m0, 'lv_refused_total') + 4);
    assert.equal(metric(m1, 'lv_connections'), 0);
    const c = await Client.open(guarded);
    clients.push(c);
    assert.equal(await c.value('ping', {}), 'pong');
  });

  test('the allow-list covers HTTP rpc too, not files', async () => {
    let r = await rpc(guarded, 'add', { a: 1 }, { headers: { origin: 'http://evil.example' } });
    assert.equal(r.status, 403);
    assert.equal(r.json.error.code, 'permission_denied');
    r = await rpc(guarded, 'add', { a: 1 }, { headers: { origin: 'http://good.example' } });
    assert.equal(r.status, 200);
    assert.equal(r.headers['access-control-allow-origin'], undefined);
    r = await request(guarded, 'GET', '/lv.js', { headers: { origin: 'http://evil.example' } });
    assert.equal(r.status, 200);
  });
});
