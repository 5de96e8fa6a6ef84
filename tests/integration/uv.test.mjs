// uv.test.mjs - lv on a libuv loop the program owns (uv_main.c): pages
// are served while the program's own timer ticks and its own socket
// answers; lv's timers, work posted from a thread or from the program's
// callbacks, and pushes from those callbacks work on that loop; and on
// SIGTERM, handled by the program, lv stops, closes what it holds, and
// uv_run returns with no handle left, for stop and for free alike.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import net from 'node:net';
import { after, afterEach, before, describe, test } from 'node:test';
import { Client, ROOT, UV_SERVER, closeAll, ms, rpc, sleep, startServer, until, within } from './helpers.mjs';

/** A connection to the program's own line server. */
class Lines {
  static open(port) {
    return new Promise((resolve, reject) => {
      const sock = net.connect({ host: '127.0.0.1', port }, () => resolve(new Lines(sock)));
      sock.once('error', reject);
    });
  }

  constructor(sock) {
    this.sock = sock;
    this.buf = '';
    this.lines = [];
    this.waiters = [];
    sock.setEncoding('utf8');
    sock.on('error', () => {});
    sock.on('data', (d) => {
      this.buf += d;
      let i;
      while ((i = this.buf.indexOf('\n')) >= 0) {
        const line = this.buf.slice(0, i);
        this.buf = this.buf.slice(i + 1);
        const w = this.waiters.findIndex((x) => x.pred(line));
        if (w >= 0)
          this.waiters.splice(w, 1)[0].resolve(line);
        else
          this.lines.push(line);
      }
    });
    this.ended = new Promise((resolve) => sock.on('close', resolve));
  }

  /** The next line that matches pred (one that came already included). */
  next(pred, t = ms(3000), what = 'a line') {
    const i = this.lines.findIndex(pred);
    if (i >= 0)
      return Promise.resolve(this.lines.splice(i, 1)[0]);
    return within(new Promise((resolve) => this.waiters.push({ pred, resolve })), t, what);
  }

  async ask(line, pred, what) {
    this.sock.write(line + '\n');
    return this.next(pred, ms(3000), what || line);
  }

  async ticks() {
    const l = await this.ask('ticks', (x) => x.startsWith('ticks '));
    return Number(l.split(' ')[1]);
  }

  close() {
    this.sock.destroy();
  }
}

const echoPort = (server) => Number(/^echo (\d+)$/m.exec(server.stdout)[1]);

describe('lv on the program\'s loop', () => {
  let server;
  let clients = [];
  let lines;
  const open = async (opts) => {
    const c = await Client.open(server, opts);
    clients.push(c);
    return c;
  };

  // A long heartbeat: lv's own sweep then wakes lws once a second at
  // most, so an lv timer started from the program's callback fires on time
  // only because lv wakes lws for it.
  before(async () => {
    server = await startServer({ LV_TEST_HEARTBEAT_MS: '25000' }, { bin: UV_SERVER });
    lines = await Lines.open(echoPort(server));
  });
  afterEach(async () => { await closeAll(clients); clients = []; });
  after(async () => {
    lines?.close();
    await server?.stop();
  });

  test('pages are served, over the WebSocket and HTTP', async () => {
    const c = await open();
    assert.equal(await c.value('ping', {}), 'pong');
    assert.equal(await c.value('add', { a: 2, b: 3 }), 5);
    const r = await rpc(server, 'add', { a: 40, b: 2 });
    assert.equal(r.status, 200);
    assert.deepEqual(r.json, { ok: true, value: 42 });
  });

  test('the program\'s own socket answers, and its timer ticks, while lv serves', async () => {
    const c = await open();
    assert.equal(await lines.ask('hello', (l) => l === 'hello'), 'hello');
    const t0 = await lines.ticks();
    const start = Date.now();
    // pages keep the loop busy meanwhile
    const calls = [];
    for (let i = 0; i < 100; i++)
      calls.push(c.value('add', { a: i, b: 1 }));
    assert.deepEqual(await Promise.all(calls), Array.from({ length: 100 }, (_, i) => i + 1));
    await sleep(ms(300));
    const t1 = await lines.ticks();
    const elapsed = Date.now() - start;
    // a 10 ms timer: at least a third of its beats, however loaded the machine
    assert.ok(t1 - t0 >= Math.floor(elapsed / 30),
      `${t1 - t0} ticks of 10 ms in ${elapsed} ms`);
  });

  test('lv timers fire on the program\'s loop (started by a handler)', async () => {
    const c = await open();
    await c.value('ticks', { ms: 30, times: 3 });
    await until(async () => c.all.filter((m) => m.t === 'push' && m.fn === 'note' &&
      m.args.text.startsWith('tick ')).length === 3, ms(3000), 'three ticks');
  });

  test('an lv timer started from the program\'s callback fires on time', async () => {
    for (let i = 0; i < 5; i++) {
      const t0 = Date.now();
      await lines.ask('lvtimer 50', (l) => l === 'lvtimer 50 fired');
      const took = Date.now() - t0;
      assert.ok(took >= 45, `fired after ${took} ms`);
      assert.ok(took < ms(400), `a 50 ms timer fired after ${took} ms`);
    }
  });

  test('work posted from another thread, and from the program\'s callback, runs', async () => {
    const c = await open();
    assert.equal(await c.value('posted', { n: 20 }), false);
    await until(async () => c.all.filter((m) => m.t === 'push' && m.fn === 'note' &&
      m.args.text.startsWith('posted ')).length === 20, ms(3000), 'twenty posts');
    assert.equal(await lines.ask('post', (l) => l.startsWith('post')), 'posted');
  });

  test('a push from the program\'s callback reaches the pages', async () => {
    const c = await open();
    assert.equal(await lines.ask('push from the program', (l) => l.startsWith('pushed')),
      'pushed 0');
    const m = await c.next((x) => x.t === 'push' && x.fn === 'note', ms(3000), 'the note');
    assert.equal(m.args.text, 'from the program');
  });
});

describe('stopping on the program\'s loop', () => {
  test('a port in use: lv_server_new fails, and once the loop has run nothing of lv\'s is left', async () => {
    const first = await startServer({}, { bin: UV_SERVER });
    try {
      const r = spawnSync(UV_SERVER, [], {
        cwd: ROOT, env: { ...process.env, LV_TEST_PORT: String(first.port) }, encoding: 'utf8',
        timeout: ms(10000),
      });
      assert.equal(r.status, 1, r.stderr);
      assert.match(r.stderr, /cannot listen on 127\.0\.0\.1:\d+/);
      assert.match(r.stderr, /uv_server: cannot start: input\/output error/);
      assert.match(r.stdout, /^loop closed$/m);
    } finally {
      await first.stop();
    }
  });


  for (const how of ['stop', 'free']) {
    test(`SIGTERM, handled by the program, with lv_server_${how}: uv_run returns, the loop closes, exit 0`, async () => {
      const env = how === 'free' ? { UV_TEST_FREE_AT_SIGNAL: '1' } : {};
      const server = await startServer(env, { bin: UV_SERVER });
      try {
        const c = await Client.open(server);
        assert.equal(await c.value('ping', {}), 'pong');
        const lines = await Lines.open(echoPort(server));
        assert.equal(await lines.ask('hi', (l) => l === 'hi'), 'hi');
        process.kill(server.pid, 'SIGTERM');
        const closed = await c.waitClose(ms(3000));
        // stop flushes and says why; free closes at once
        if (how === 'stop')
          assert.deepEqual(closed, { code: 1001, reason: 'the server is going away' });
        await within(lines.ended, ms(3000), 'the program to close its own socket');
        const exit = await within(server.exited, ms(5000), 'the exit');
        assert.deepEqual(exit, { code: 0, signal: null }, server.stderr);
        assert.match(server.stdout, /^program: signal 15$/m);
        assert.match(server.stdout, /^stopped$/m);   /* the stop handler */
        assert.match(server.stdout, /^uv_run returned$/m);
        assert.match(server.stdout, /^loop closed$/m);
        assert.ok(server.stdout.indexOf('stopped') < server.stdout.indexOf('uv_run returned'));
      } finally {
        await server.stop().catch(() => {});
      }
    });
  }
});
