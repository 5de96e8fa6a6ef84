// models_pg.test.mjs - models_server (models_main.c) on PostgreSQL, a
// server of the test's own (postgres.mjs), on each loop (poll, libuv,
// libev) whatever LV_TEST_LOOP says: a write by psql reaches a subscriber through the
// store's LISTEN wake-up, watched on the loop, long before the poll
// interval (set far longer than any wait here); after its LISTEN
// connection, or every connection it has, is cut, the server connects
// again and the next write is as quick.
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

for (const loop of ['poll', 'uv', 'ev']) {
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
