// models.test.mjs - models over the wire (docs/models.md): a Todo table
// bound as "todos" on models_server (models_main.c), in a real SQLite
// file: its operations, their refusals, live queries kept apart by key, a
// second process writing straight into the file, a resumed page given
// every model message once, and a session's live queries going with it.
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { after, afterEach, before, describe, test } from 'node:test';
import { Client, ROOT, closeAll, metric, metrics, ms, sleep, startServer, until } from './helpers.mjs';

const BIN = path.join(ROOT, 'build', 'tests', 'integration', 'models_server');
const DIR = path.join(ROOT, 'build', 'tests', 'integration', 'models');
const POLL_MS = 50;

function freshStore(name) {
  fs.mkdirSync(DIR, { recursive: true });
  const file = path.join(DIR, `${name}-${process.pid}.db`);
  for (const f of [file, `${file}-wal`, `${file}-shm`])
    fs.rmSync(f, { force: true });
  return file;
}

async function serve(name, env = {}) {
  const store = freshStore(name);
  const server = await startServer({ LV_TEST_STORE: store, LV_TEST_POLL_MS: String(POLL_MS), ...env },
    { bin: BIN });
  server.store = store;
  return server;
}

let server;
let clients = [];
const open = async (opts, on = server) => {
  const c = await Client.open(on, opts);
  clients.push(c);
  return c;
};
const fails = async (c, fn, args) => {
  const r = await c.call(fn, args);
  assert.equal(r.ok, false, `${fn} ${JSON.stringify(args)} succeeded: ${JSON.stringify(r.value)}`);
  return r.error;
};
const todo = (title, rank, done = false) => ({ title, rank, done });
const isModel = (key) => (m) => m.t === 'model' && m.key === key;

before(async () => { server = await serve('main'); });
afterEach(async () => { await closeAll(clients); clients = []; });
after(async () => { await server?.stop(); });

describe('operations', () => {
  test('create, retrieve, list, update and delete, with versions', async () => {
    const c = await open();
    const a = await c.value('todos.create', { row: { ...todo('milk', 2), note: 'two' } });
    assert.equal(typeof a.id, 'number');
    assert.equal(a.rev, 1);
    assert.deepEqual(await c.value('todos.retrieve', { id: a.id }), a);
    const b = await c.value('todos.create', { row: todo('bread', 1) });
    assert.equal(b.note, null, 'an optional field left out is null');
    const page = await c.value('todos.list', { where: { id: { in: [a.id, b.id] } }, order: ['rank'] });
    assert.deepEqual(page, { page: 1, limit: 100, count: 2, rows: [b, a] });
    const second = await c.value('todos.list', { where: { id: { in: [a.id, b.id] } }, order: ['-rank'],
      page: 2, limit: 1 });
    assert.deepEqual(second, { page: 2, limit: 1, count: 2, rows: [b] });
    const a2 = await c.value('todos.update', { row: { ...a, done: true } });
    assert.equal(a2.rev, 2);
    assert.equal(a2.done, true);
    // the version read before the update is stale now
    const stale = await fails(c, 'todos.update', { row: { ...a, title: 'late' } });
    assert.equal(stale.code, 'aborted');
    assert.match(stale.message, /^todos\.update: /);
    assert.equal((await fails(c, 'todos.delete', { id: a.id, version: 1 })).code, 'aborted');
    // a negative version is refused, not taken for none given
    assert.match((await fails(c, 'todos.update', { row: { ...a2, title: 'late', rev: -1 } })).message,
      /row: Todo\.rev must be 0 or more/);
    assert.match((await fails(c, 'todos.delete', { id: a.id, version: -1 })).message,
      /version must be 0 or more/);
    assert.deepEqual(await c.value('todos.retrieve', { id: a.id }), a2);
    assert.equal(await c.value('todos.delete', { id: a.id, version: 2 }), null);
    assert.equal((await fails(c, 'todos.retrieve', { id: a.id })).code, 'not_found');
    assert.equal((await fails(c, 'todos.delete', { id: a.id, version: 2 })).code, 'not_found');
  });

  test('bad arguments are invalid_argument, naming the argument', async () => {
    const c = await open();
    const cases = [
      ['todos.list', { where: { colour: 'red' } }, /where: Todo has no field 'colour'/],
      ['todos.list', { where: { note: 'x' } }, /where: Todo\.note may not be filtered on/],
      ['todos.list', { order: ['done'] }, /order: Todo\.done may not be ordered by/],
      ['todos.list', { limit: 101 }, /limit must be an integer from 0 to 100/],
      ['todos.list', { where: { rank: 'high' } }, /where\.rank is compared with a value not of its type/],
      ['todos.list', { where: { title: { contains: '\u0000' } } }, /where: a string holding NUL/],
      ['todos.create', { row: { title: 5, rank: 1, done: false } }, /row: Todo\.title must be a string/],
      ['todos.create', { row: { title: 'x', rank: 1, done: false, rev: 3 } }, /row: a new Todo has no rev/],
      ['todos.update', { row: { title: 'x', rank: 1, done: false, rev: 1 } }, /row: Todo\.id is missing/],
      ['todos.retrieve', { id: 'one' }, /id: the key of Todo \(id\) must be an integer/],
      ['todos.subscribe', { key: '', where: {} }, /key: from 1 to 128 bytes/],
    ];
    for (const [fn, args, why] of cases) {
      const e = await fails(c, fn, args);
      assert.equal(e.code, 'invalid_argument', `${fn} ${JSON.stringify(args)}: ${JSON.stringify(e)}`);
      assert.match(e.message, why);
    }
    // what the codec refuses first: a missing id, a field of the wrong type
    const missing = await fails(c, 'todos.retrieve', {});
    assert.equal(missing.code, 'invalid_argument');
    assert.equal(missing.path, 'id');
    const wrong = await fails(c, 'todos.list', { page: 'two' });
    assert.equal(wrong.code, 'invalid_argument');
    assert.equal(wrong.path, 'page');
    // and the server goes on serving
    assert.equal((await c.value('todos.list', { limit: 1 })).limit, 1);
  });

  test('the row policy: rows it refuses are not found and not listed', async () => {
    const admin = await open({ query: { token: 'admin' } });
    const anon = await open();
    const s = await admin.value('todos.create', { row: todo('secret plan', 7) });
    assert.equal((await fails(anon, 'todos.create', { row: todo('secret two', 7) })).code,
      'permission_denied');
    assert.equal((await fails(anon, 'todos.retrieve', { id: s.id })).code, 'not_found');
    assert.equal((await fails(anon, 'todos.update', { row: { ...s, done: true } })).code, 'not_found');
    assert.equal((await fails(anon, 'todos.delete', { id: s.id, version: 1 })).code, 'not_found');
    const q = { where: { rank: 7 } };
    const seen = await anon.value('todos.list', q);
    assert.equal(seen.count, 0, JSON.stringify(seen));
    assert.deepEqual((await admin.value('todos.list', q)).rows, [s]);
    const live = await anon.value('todos.subscribe', { key: 'p', ...q });
    assert.deepEqual(live.rows, []);
    // a window's count is of the rows the query matches, before the policy
    assert.equal(live.count, 1);
    await admin.value('todos.update', { row: { ...s, done: true } });
    await admin.value('todos.create', { row: todo('open plan', 7) });
    const m = await anon.next(isModel('p'), ms(3000), 'the visible insert');
    assert.deepEqual(m.ev.map((e) => [e.k, e.row.title]), [['insert', 'open plan']]);
    assert.equal(m.count, 2);
  });

  test('a handler writing through lv_model_*: one batch for its writes', async () => {
    const c = await open();
    const first = await c.value('todos.subscribe', { key: 'b', where: { title: { contains: 'bulk' } },
      order: ['rank'] });
    assert.equal(first.count, 0);
    assert.equal(await c.value('bulk', { n: 3 }), 3);
    const m = await c.next(isModel('b'), ms(3000), 'the bulk batch');
    assert.deepEqual(m.ev.map((e) => [e.k, e.row.title, e.i]),
      [['insert', 'bulk first', 0], ['insert', 'bulk 1', 1], ['insert', 'bulk 2', 2]]);
    assert.equal(m.count, 3);
    await sleep(ms(200));
    assert.equal(c.all.filter(isModel('b')).length, 1, 'one message for the handler\'s writes');
  });
});

describe('live queries', () => {
  test('two live queries on one page stay apart by key; a key subscribed again is replaced', async () => {
    const c = await open();
    const w = await c.value('todos.create', { row: todo('walk', 50) });
    const open1 = await c.value('todos.subscribe', { key: 'open', where: { done: false, rank: { ge: 50, lt: 100 } },
      order: ['rank'] });
    const done1 = await c.value('todos.subscribe', { key: 'done', where: { done: true, rank: { ge: 50, lt: 100 } } });
    assert.deepEqual(open1.rows, [w]);
    assert.equal(done1.count, 0);
    const w2 = await c.value('todos.update', { row: { ...w, done: true } });
    const a = await c.next(isModel('open'), ms(3000), 'open: the delete');
    const b = await c.next(isModel('done'), ms(3000), 'done: the insert');
    assert.equal(a.name, 'todos');
    assert.deepEqual(a.ev, [{ k: 'delete', row: w, i: 0 }]);
    assert.equal(a.count, 0);
    assert.deepEqual(b.ev, [{ k: 'insert', row: w2, i: 0 }]);
    assert.equal(b.count, 1);
    // an update inside a window, and a move
    const x = await c.value('todos.create', { row: todo('x', 60) });
    await c.next(isModel('open'), ms(3000), 'open: x');
    const y = await c.value('todos.create', { row: todo('y', 70) });
    await c.next(isModel('open'), ms(3000), 'open: y');
    await c.value('todos.update', { row: { ...y, rank: 55 } });
    const mv = await c.next(isModel('open'), ms(3000), 'open: the move');
    assert.deepEqual(mv.ev.map((e) => [e.k, e.i, e.from]), [['move', 0, 1], ['update', 0, undefined]]);
    assert.equal(mv.ev[1].row.rank, 55);
    // the same key again: the old query is gone
    const again = await c.value('todos.subscribe', { key: 'open', where: { rank: 60 } });
    assert.deepEqual(again.rows, [x]);
    await c.value('todos.update', { row: { ...y, rank: 56, rev: 2 } });
    await c.value('todos.update', { row: { ...x, title: 'x2' } });
    const r = await c.next(isModel('open'), ms(3000), 'open: x2');
    assert.deepEqual(r.ev.map((e) => [e.k, e.row.title]), [['update', 'x2']]);
    await sleep(ms(150));
    assert.equal(c.inbox.filter(isModel('open')).length, 0, 'nothing from the replaced query');
    // unsubscribed: no more
    assert.equal(await c.value('todos.unsubscribe', { key: 'done' }), null);
    await c.value('todos.update', { row: { ...w2, title: 'walked' } });
    await sleep(ms(200));
    assert.equal(c.inbox.filter(isModel('done')).length, 0);
  });

  test('a write by another process reaches subscribers within the poll interval', async () => {
    const c = await open();
    await c.value('todos.subscribe', { key: 'ext', where: { rank: 900 } });
    const t0 = Date.now();
    execFileSync('sqlite3', [server.store,
      "INSERT INTO todos (title, done, rank, note, rev) VALUES ('from outside', 0, 900, NULL, 1)"]);
    const m = await c.next(isModel('ext'), ms(2000), 'the outside write');
    const took = Date.now() - t0;
    assert.deepEqual(m.ev.map((e) => [e.k, e.row.title, e.row.done]), [['insert', 'from outside', false]]);
    assert.ok(took < ms(POLL_MS * 6 + 300), `arrived after ${took} ms`);
  });

  test('past the bound, subscribe is resource_exhausted', async () => {
    const c = await open();
    for (let i = 0; i < 64; i++)
      await c.value('todos.subscribe', { key: `k${i}`, where: { rank: 5000 + (i % 3) } });
    const m = await metrics(server);
    assert.ok(metric(m, 'lv_model_live_queries') >= 64);
    assert.ok(metric(m, 'lv_model_queries') < metric(m, 'lv_model_live_queries'), 'equal queries once');
    assert.equal((await fails(c, 'todos.subscribe', { key: 'k64' })).code, 'resource_exhausted');
    await c.value('todos.subscribe', { key: 'k3', where: { rank: 1 } });   // a replacement is not one more
  });
});

describe('sessions', () => {
  let rs;
  before(async () => { rs = await serve('sessions', { LV_TEST_RESUME_MS: String(ms(1500)) }); });
  after(async () => { await rs?.stop(); });

  test('a page that drops and resumes gets every model message exactly once, in order', async () => {
    const a = await open({ numbered: true }, rs);
    const b = await open({}, rs);
    await a.value('todos.subscribe', { key: 'r', where: { rank: 42 } });
    await b.value('todos.create', { row: todo('one', 42) });
    const first = await a.next(isModel('r'), ms(3000), 'the first message');
    await sleep(50);   // its ack goes
    const m0 = await metrics(rs);
    a.terminate();
    await a.closed;
    await until(async () => metric(await metrics(rs), 'lv_sessions_detached') >
      metric(m0, 'lv_sessions_detached'), ms(3000), 'the server to see the drop');
    for (const t of ['two', 'three', 'four'])
      await b.value('todos.create', { row: todo(t, 42) });
    await sleep(POLL_MS * 3);
    const a2 = await open({ numbered: true, resume: { session: a.welcome.session, last: a.lastSeq } }, rs);
    assert.equal(a2.welcome.resumed, true);
    await b.value('todos.create', { row: todo('five', 42) });
    await until(() => a2.all.filter(isModel('r')).flatMap((m) => m.ev).length >= 4, ms(3000),
      'every insert after the drop');
    await sleep(ms(200));
    const after = a2.all.filter(isModel('r'));
    const titles = after.flatMap((m) => m.ev.map((e) => e.row.title));
    assert.deepEqual(titles, ['two', 'three', 'four', 'five']);
    assert.ok(after.every((m) => m.seq > first.seq), 'nothing processed comes again');
    const seqs = after.map((m) => m.seq);
    assert.deepEqual(seqs, [...seqs].sort((x, y) => x - y));
    assert.equal(new Set(seqs).size, seqs.length);
    assert.equal(after.at(-1).count, 5);
  });

  test('the live queries of a session go when it ends, not when its socket drops', async () => {
    const base = metric(await metrics(rs), 'lv_model_live_queries');
    const a = await open({}, rs);
    await a.value('todos.subscribe', { key: 'x', where: { rank: 43 } });
    await a.value('todos.subscribe', { key: 'y', where: { rank: 44 } });
    assert.equal(metric(await metrics(rs), 'lv_model_live_queries'), base + 2);
    a.terminate();
    await a.closed;
    await sleep(ms(300));
    assert.equal(metric(await metrics(rs), 'lv_model_live_queries'), base + 2, 'kept while it may resume');
    await until(async () => metric(await metrics(rs), 'lv_model_live_queries') === base, ms(5000),
      'the expired session to free its live queries');
    const c = await open({}, rs);
    await c.value('todos.subscribe', { key: 'z', where: { rank: 45 } });
    await c.close();   // a clean close ends the session at once
    await until(async () => metric(await metrics(rs), 'lv_model_live_queries') === base, ms(3000),
      'the closed session to free its live queries');
  });
});

describe('start', () => {
  test('a table whose columns are not the model\'s stops the server, naming the table', async () => {
    const store = freshStore('bad');
    execFileSync('sqlite3', [store, 'CREATE TABLE todos (id INTEGER PRIMARY KEY, colour TEXT)']);
    await assert.rejects(startServer({ LV_TEST_STORE: store }, { bin: BIN }),
      (e) => /models: table todos \(model Todo\): /.test(e.message));
  });
});
