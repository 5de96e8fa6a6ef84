// models_pg.test.mjs - models_server (models_main.c) on PostgreSQL, a
// server of the test's own (postgres.mjs), on each loop (poll, libuv,
// libev; LV_TEST_LOOP=uv runs libuv's alone): a write by psql reaches a subscriber through the
// store's LISTEN wake-up, watched on the loop, long before the poll
// interval (set far longer than any wait here); after its LISTEN
// connection, or every connection it has, is cut, the server connects
// again and the next write is as quick. Two servers on one database, as two
// nodes: a write on either reaches the live queries of pages on both.
import assert from 'node:assert/strict';
import path from 'node:path';
import { after, afterEach, before, describe, test } from 'node:test';
import { Client, ROOT, closeAll, ms, sleep, startServer } from './helpers.mjs';
import { startPostgres } from './postgres.mjs';

const BIN = path.join(ROOT, 'build', 'tests', 'integration', 'models_server');
// The poll that backs the wake-up up, and the bound a wake-up must beat.
const POLL_MS = ms(5000);
const QUICK_MS = ms(1000);

const isModel = (key) => (m) => m.t === 'model' && m.key === key;

let pg;
before(async () => { pg = await startPostgres(); });
after(async () => { await pg?.stop(); });

// make test runs this folder on libev and on libuv: each loop once.
const LOOPS = process.env.LV_TEST_LOOP === 'uv' ? ['uv'] : process.env.LV_TEST_LOOP === 'poll' ? ['poll'] :
  ['poll', 'ev'];
for (const loop of LOOPS) {
  describe(`on the ${loop} loop`, () => {
    const db = `lv_models_${loop}`;
    let server;
    let clients = [];
    let rank = 0;
    const open = async () => {
      const c = await Client.open(server);
      clients.push(c);
      return c;
    };

    before(async () => {
      await pg.createDatabase(db);
      server = await startServer({ LV_TEST_STORE: pg.uri(db), LV_TEST_POLL_MS: String(POLL_MS),
        LV_TEST_LOOP: loop }, { bin: BIN });
    });
    afterEach(async () => { await closeAll(clients); clients = []; });
    after(async () => { await server?.stop(); });

    // Subscribes to one rank, then writes rows of it from psql one after
    // another, each as soon as the last arrived: a delivery by the poll
    // would leave the next write a whole interval from the next poll.
    async function outsideWrites(what, n = 3) {
      const c = await open();
      const r = 1000 + ++rank;
      const key = `ext${r}`;
      await c.value('todos.subscribe', { key, where: { rank: r } });
      for (let i = 0; i < n; i++) {
        const title = `${what} ${i}`;
        const t0 = Date.now();
        await pg.psql(db, `INSERT INTO todos (title, done, rank, note, rev) VALUES ('${title}', false, ${r}, NULL, 1)`);
        const m = await c.next(isModel(key), POLL_MS * 2, `the psql write ${title}`);
        const took = Date.now() - t0;
        assert.deepEqual(m.ev.map((e) => [e.k, e.row.title]), [['insert', title]]);
        assert.ok(took < QUICK_MS, `${title}: arrived after ${took} ms (the poll is every ${POLL_MS} ms)`);
      }
    }

    test('a write by psql reaches a subscriber well before the poll interval', async () => {
      await outsideWrites('from psql');
    });

    test('a write through lv on this store reaches the subscriber too', async () => {
      const c = await open();
      await c.value('todos.subscribe', { key: 'own', where: { rank: 7 } });
      const row = await c.value('todos.create', { row: { title: 'own', done: false, rank: 7 } });
      const m = await c.next(isModel('own'), QUICK_MS, 'the page\'s own write');
      assert.deepEqual(m.ev.map((e) => [e.k, e.row.id]), [['insert', row.id]]);
    });

    // Ends the server's connections to db that `which` (SQL) picks, as
    // the database would on a restart or a network cut: how many.
    const cut = async (which) => Number(await pg.psql(db, 'SELECT count(pg_terminate_backend(pid))' +
      ` FROM pg_stat_activity WHERE datname = current_database() AND pid <> pg_backend_pid() AND ${which}`));

    test('its LISTEN connection cut, the server listens again: the next writes are as quick', async () => {
      assert.equal(await cut("query LIKE 'LISTEN lv_change%'"), 1, 'one LISTEN connection was cut');
      await sleep(ms(200));
      await outsideWrites('after the LISTEN cut');
    });

    test('every connection it has cut, the server connects again: the next writes are as quick', async () => {
      assert.equal(await cut('true'), 2, 'the statements and the LISTEN connections were cut');
      await sleep(ms(200));
      await outsideWrites('after every connection was cut');
    });
  });
}

// Two servers on one database, as two nodes of one application would be:
// a write through either reaches the live queries of pages on both, each
// change once, and ids never collide.
describe('two nodes on one database', () => {
  const db = 'lv_models_nodes';
  let a;
  let b;
  let clients = [];
  const open = async (server) => {
    const c = await Client.open(server);
    clients.push(c);
    return c;
  };

  before(async () => {
    await pg.createDatabase(db);
    const env = { LV_TEST_STORE: pg.uri(db), LV_TEST_POLL_MS: String(POLL_MS) };
    a = await startServer(env, { bin: BIN });
    b = await startServer(env, { bin: BIN });
  });
  after(async () => {
    await closeAll(clients);
    await a?.stop();
    await b?.stop();
  });

  test('a write on one node reaches a subscriber on the other, well before the poll', async () => {
    const onA = await open(a);
    const onB = await open(b);
    await onA.value('todos.subscribe', { key: 'fromB', where: { rank: 51 } });
    await onB.value('todos.subscribe', { key: 'fromA', where: { rank: 51 } });
    const t0 = Date.now();
    const row = await onB.value('todos.create', { row: { title: 'made on B', done: false, rank: 51 } });
    const seen = await onA.next(isModel('fromB'), POLL_MS * 2, 'B\'s write on A');
    assert.ok(Date.now() - t0 < QUICK_MS, `B's write reached A after ${Date.now() - t0} ms`);
    assert.deepEqual(seen.ev.map((e) => [e.k, e.row.id, e.row.title]), [['insert', row.id, 'made on B']]);
    const own = await onB.next(isModel('fromA'), QUICK_MS, 'B\'s write on B');
    assert.deepEqual(own.ev.map((e) => [e.k, e.row.id]), [['insert', row.id]]);

    await onA.value('todos.update', { row: { ...row, title: 'changed on A', done: true } });
    const back = await onB.next(isModel('fromA'), POLL_MS * 2, 'A\'s update on B');
    assert.deepEqual(back.ev.map((e) => [e.k, e.row.id, e.row.title]), [['update', row.id, 'changed on A']]);
  });

  test('writes on both nodes at once: every page sees each row once, ids distinct', async () => {
    const onA = await open(a);
    const onB = await open(b);
    const seen = { A: [], B: [] };
    await onA.value('todos.subscribe', { key: 'both', where: { rank: 52 } });
    await onB.value('todos.subscribe', { key: 'both', where: { rank: 52 } });
    const N = 20;
    const made = await Promise.all(Array.from({ length: N }, (_, i) =>
      (i % 2 ? onA : onB).value('todos.create', { row: { title: `w${i}`, done: false, rank: 52 } })));
    const ids = made.map((r) => r.id);
    assert.equal(new Set(ids).size, N, 'each create got its own id');
    for (const [name, c] of [['A', onA], ['B', onB]]) {
      while (seen[name].length < N) {
        const m = await c.next(isModel('both'), POLL_MS * 2, `the inserts on ${name}`);
        for (const e of m.ev) {
          assert.equal(e.k, 'insert');
          seen[name].push(e.row.id);
        }
      }
      assert.deepEqual([...seen[name]].sort((x, y) => x - y), [...ids].sort((x, y) => x - y),
        `node ${name}'s page saw each row once`);
    }
  });
});
