// nodes.test.mjs - chaos across three nodes sharing Redis behind a load balancer: 16 pages in shared groups make 10,000 reliable calls while more than 10,000 group and direct pushes come back; nodes are killed (SIGKILL) and restarted, the pub/sub links cut: every push arrives once and in order, every call runs once or is answered `unavailable`, and a dead node's members leave presence within 15 s; then Redis restarted empty: every page is told (resync) and gets the new pushes in order, with no hole.
//
// The test server is tests/integration's app_server (its broker and
// presence handlers); the nodes run on the suite's loop (LV_TEST_LOOP).
// The moments of the kills come from a seed, printed; LV_CHAOS_SEED=N
// replays them (the balancer's picks and the machine's timing are not).
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';

import { metrics, ms, sleep, until, within } from '../integration/helpers.mjs';
import { Cluster } from '../integration/nodes.mjs';
import { prng, seedOf } from './helpers.mjs';

const SEED = seedOf(0x5e55);
const PAGES = 16;
const GROUPS = ['p-c0', 'p-c1', 'p-c2', 'p-c3'];   // "p-": the test server logs their presence
const CALLS = 10000;         // page -> server, at least
const STEPS = Math.ceil(CALLS / PAGES / 3);   // a tally, a group push, a direct push each
const WINDOW = 8;            // calls in flight per page (the server's LV_TEST_MAX_PENDING)
const LEAVERS = 3;           // pages that stay on the last node killed and do not come back
const IDS = ['ch-a', 'ch-b', 'ch-c'];

const cluster = new Cluster();
const rng = prng(SEED);
const pages = [];
const leavers = [];

/* What a page has taken, checked as it comes: the group pushes by
 * group (in the order taken) and the last number from each sender, its
 * own direct pushes' numbers, the resyncs, and anything out of order. */
function watch(p) {
  p.seen = { byGroup: new Map(), fromSender: new Map(), direct: [], resyncs: [], wrong: [] };
  return (m) => {
    const seen = p.seen;
    if (m.t === 'resync') {
      seen.resyncs.push({ ...m, at: GROUPS.map((g) => (seen.byGroup.get(g) || []).length) });
      return;
    }
    if (m.t !== 'push' || m.fn !== 'note')
      return;
    const [kind, who, n] = m.args.text.split(/[:.]/);
    const i = Number(n);
    if (kind === 'g') {
      const list = seen.byGroup.get(m.args.to) || [];
      list.push(m.args.text);
      seen.byGroup.set(m.args.to, list);
      const k = `${m.args.to}/${who}`;
      if ((seen.fromSender.get(k) ?? -1) >= i)
        seen.wrong.push(`${m.args.text} in ${m.args.to} after ${seen.fromSender.get(k)}`);
      seen.fromSender.set(k, i);
    } else if (kind === 'd') {
      if (who !== p.name)
        seen.wrong.push(`${p.name} got ${m.args.text}`);
      else if (seen.direct.length && seen.direct.at(-1) >= i)
        seen.wrong.push(`${m.args.text} after d:${p.name}.${seen.direct.at(-1)}`);
      seen.direct.push(i);
    }
  };
}

const groupsOf = (k) => [GROUPS[k % GROUPS.length], GROUPS[(k + 1) % GROUPS.length]];

async function addPage(name, k, on) {
  const p = await cluster.newPage(name, { on, onMessage: null });
  p.onMessage = watch(p);
  p.groups = groupsOf(k);
  for (const g of p.groups)
    await p.value('join', { name: g });
  return p;
}

/* Runs calls(i) for i in [0, steps) on page p, WINDOW calls in flight;
 * each answer goes in results under its key; onAnswer after each. */
async function pipeline(p, steps, calls, results, onAnswer = () => {}) {
  const inflight = new Set();
  for (let i = 0; i < steps; i++) {
    for (const [key, fn, args] of calls(i)) {
      while (inflight.size >= WINDOW)
        await Promise.race(inflight);
      const pr = p.call(fn, args).then((r) => {
        results.set(key, r);
        inflight.delete(pr);
        onAnswer();
      });
      inflight.add(pr);
    }
  }
  await Promise.all(inflight);
}

/* The presence entries of group g in Redis: conn -> node. */
async function entries(g) {
  const all = await cluster.redis.command('HGETALL', `lv:pm:${g}`);
  const out = new Map();
  for (let i = 0; i + 1 < all.length; i += 2)
    out.set(all[i], all[i + 1].split('\n')[0]);
  return out;
}

before(async () => {
  console.log(`# nodes chaos seed ${SEED} (replay: LV_CHAOS_SEED=${SEED} node --test tests/chaos/nodes.test.mjs)`);
  await cluster.start(IDS);
  for (let k = 0; k < PAGES; k++)
    pages.push(await addPage(`p${k}`, k));
});

after(async () => {
  const exits = await cluster.stop();
  for (const e of exits)
    assert.deepEqual(e.value, { code: 0, signal: null }, 'a node exits cleanly');
});

test(`${STEPS * 3 * PAGES} calls and their pushes while nodes are killed and the pub/sub links cut: ` +
     'every push once and in order, every call run once or answered unavailable, ' +
     'the dead node\'s members gone within 15 s', { timeout: 120000 }, async () => {
  const t0 = Date.now();
  const results = new Map();   // call key -> its answer
  const total = STEPS * 3 * PAGES;
  let answered = 0;
  let bump = () => {};
  const reached = (f) => new Promise((resolve) => {
    const check = () => {
      if (answered >= f * total)
        resolve();
      else
        bump = check;
    };
    check();
  });
  const work = Promise.all(pages.map((p) => pipeline(p, STEPS, (i) => [
    [`t:${p.name}.${i}`, 'tally', { key: `${p.name}.${i}` }],
    [`g:${p.name}.${i}`, 'broadcast', { to: p.groups[i % 2], text: `g:${p.name}.${i}` }],
    [`d:${p.name}.${i}`, 'note_id', { to_conn: p.conn, text: `d:${p.name}.${i}` }],
  ], results, () => { answered++; bump(); })));
  work.catch(() => {});   // awaited below

  const resumed = () => pages.reduce((a, p) => a + p.resumes.length, 0);
  const events = [];
  const kill = async (id, restart) => {
    const before = resumed();
    await cluster.killNode(id);
    const at = Date.now();
    if (restart) {
      await sleep(50 + rng.int(0, 150));
      await cluster.startNode(id);
    }
    events.push(`${id} killed at ${Math.round(100 * answered / total)}%` + (restart ? ', restarted' : ''));
    return { before, at };
  };
  const moves = [];
  const chaos = (async () => {
    await reached(0.06 + rng() * 0.06);
    moves.push(await kill('ch-b', true));
    // the pages that will stay on ch-b when it dies for good
    for (let k = 0; k < LEAVERS; k++)
      leavers.push(await addPage(`l${k}`, k, 'ch-b'));
    await reached(0.22 + rng() * 0.06);
    moves.push(await kill('ch-c', true));
    // every pub/sub link cut: what the nodes missed meanwhile is fetched
    // from the groups' histories, and each node writes its sessions'
    // records again; ch-a, killed right after, leaves its pages to resume
    // elsewhere from those records
    await reached(0.30 + rng() * 0.04);
    const live = cluster.alive().map((id) => cluster.nodes.get(id));
    const before = await Promise.all(live.map(async (n) => (await metrics(n)).get('lv_broker_reconnects_total')));
    await cluster.redis.command('CLIENT', 'KILL', 'TYPE', 'pubsub');
    events.push(`pub/sub links killed at ${Math.round(100 * answered / total)}%`);
    await until(async () => {
      for (const [k, n] of live.entries()) {
        const m = await metrics(n);
        if (!(m.get('lv_broker_reconnects_total') > before[k] && m.get('lv_broker_connected') === 1))
          return false;
      }
      return true;
    }, ms(5000), 'the nodes to reconnect to Redis');
    await reached(0.38 + rng() * 0.06);
    moves.push(await kill('ch-a', true));
    await reached(0.54 + rng() * 0.06);
    for (const l of leavers)
      l.stopped = true;   // they do not come back: their members must go
    const last = await kill('ch-b', false);
    moves.push(last);
    return last.at;
  })();

  const lastKill = await within(chaos, ms(60000), 'the kills');
  // presence: within 15 s of the kill, no entry of ch-b in any group, the
  // leavers gone, every other page once in each of its groups, on a live
  // node; the sweep took ch-b out and told its members' leaves
  const expect = (g) => pages.filter((p) => p.groups.includes(g)).map((p) => p.conn).sort();
  const presenceOk = async () => {
    for (const g of GROUPS) {
      const e = await entries(g);
      if (JSON.stringify([...e.keys()].sort()) !== JSON.stringify(expect(g)))
        return false;
      if ([...e.values()].some((n) => !cluster.alive().includes(n)))
        return false;
    }
    return !(await cluster.redis.command('SMEMBERS', 'lv:pnodes')).includes('ch-b');
  };
  await until(presenceOk, Math.max(0, ms(15000) - (Date.now() - lastKill)),
    'ch-b\'s members to leave presence within 15 s').catch(async (e) => {
    for (const g of GROUPS)
      console.log(`# ${g}: ${JSON.stringify([...(await entries(g))])} want ${expect(g)}`);
    throw e;
  });
  const presenceMs = Date.now() - lastKill;
  await within(work, ms(60000), 'the calls');
  const flowMs = Date.now() - t0;
  await Promise.all(pages.map((p) => p.connecting));

  // the leaves the sweep published, told on the live nodes
  const logs = new Set();
  for (const p of pages)
    for (const line of await p.value('presence_log', {}))
      logs.add(line);
  for (const l of leavers)
    for (const g of l.groups)
      assert.ok(logs.has(`died ${g} ${l.conn} - there origin`) || logs.has(`died ${g} ${l.conn} - there -`),
        `${l.name}'s leave of ${g} as "node died"`);
  for (const g of GROUPS)
    assert.deepEqual((await pages[0].value('members', { name: g })).map((m) => m.conn).sort(), expect(g),
      `${g}'s members, as a node tells them`);

  // every page resumed after each kill of its node
  for (const [k, m] of moves.entries())
    assert.ok(resumed() > m.before, `pages resumed after kill ${k + 1}`);
  const codes = [...results.values()].filter((r) => !r.ok).map((r) => r.error.code);
  for (const c of codes)
    assert.equal(c, 'unavailable', 'a call that failed says it may not have run');
  for (const id of cluster.alive())
    assert.equal((await metrics(cluster.nodes.get(id))).get('lv_broker_sessions_unkept_total'), 0,
      `${id}: every session's record followed it through the cut links`);
  const ok = (k) => results.get(k)?.ok;
  assert.equal(results.size, total, 'every call answered');

  // the pushes: every one answered ok on every page of its group, once,
  // in one order on every page, each sender's in the order it sent them
  const sentTo = new Map(GROUPS.map((g) => [g, new Set()]));
  for (const p of pages)
    for (let i = 0; i < STEPS; i++)
      if (ok(`g:${p.name}.${i}`))
        sentTo.get(p.groups[i % 2]).add(`g:${p.name}.${i}`);
  const directOk = (p) => [...Array(STEPS).keys()].filter((i) => ok(`d:${p.name}.${i}`));
  const complete = () => pages.every((p) => p.groups.every((g) => {
    const have = new Set(p.seen.byGroup.get(g) || []);
    return [...sentTo.get(g)].every((t) => have.has(t));
  }) && directOk(p).every((i) => p.seen.direct.includes(i)));
  await until(complete, ms(10000), 'every push answered ok on every page').catch((e) => {
    for (const p of pages)
      for (const g of p.groups) {
        const have = new Set(p.seen.byGroup.get(g) || []);
        const missing = [...sentTo.get(g)].filter((t) => !have.has(t));
        if (missing.length)
          console.log(`# ${p.name} ${g}: missing ${missing.length}: ${missing.slice(0, 10)}`);
      }
    throw e;
  });
  let pushes = 0;
  for (const p of [...pages, ...leavers]) {
    assert.deepEqual(p.gaps, [], `${p.name}: no gap in the server's numbers`);
    assert.deepEqual(p.seen.resyncs, [], `${p.name}: nothing missed`);
    assert.deepEqual(p.seen.wrong, [], `${p.name}: nothing twice or out of order`);
  }
  for (const g of GROUPS) {
    const members = pages.filter((p) => p.groups.includes(g));
    const order = members[0].seen.byGroup.get(g);
    assert.equal(new Set(order).size, order.length, `${g}: no push twice`);
    for (const p of members) {
      assert.deepEqual(p.seen.byGroup.get(g), order, `${p.name}: ${g}'s pushes in the order of the others`);
      pushes += order.length;
    }
    // a leaver has what the group had up to its end, in that order
    for (const l of leavers.filter((x) => x.groups.includes(g))) {
      const mine = l.seen.byGroup.get(g) || [];
      const from = order.indexOf(mine[0]);
      assert.deepEqual(mine, order.slice(from, from + mine.length), `${l.name}: ${g} in order`);
    }
  }
  for (const p of pages) {
    const want = directOk(p);
    const have = new Set(p.seen.direct);
    assert.deepEqual(want.filter((i) => !have.has(i)), [], `${p.name}: every direct push answered ok arrived`);
    pushes += p.seen.direct.length;
  }
  // the calls: run once each; one answered unavailable at most once
  const runs = cluster.tallies();
  for (const p of pages)
    for (let i = 0; i < STEPS; i++) {
      const n = runs.get(`${p.name}.${i}`) || 0;
      assert.ok(n <= 1, `tally ${p.name}.${i} ran ${n} times`);
      if (ok(`t:${p.name}.${i}`))
        assert.equal(n, 1, `tally ${p.name}.${i} answered ok ran once`);
    }
  // a call fails for one of two reasons: it was in flight when its node
  // died, or its push could not go while its node's Redis links were
  // down (its arrival waits for them: it is not refused)
  const why = new Map();
  for (const r of results.values())
    if (!r.ok) {
      const k = /may or may not have run|push failed/.exec(r.error.message)?.[0] ??
        r.error.message;
      why.set(k, (why.get(k) || 0) + 1);
    }
  for (const k of why.keys())
    assert.match(k, /^(may or may not have run|push failed)$/, 'why a call failed');
  assert.ok(codes.length < total / 4, `most calls answered ok (${codes.length} not)`);
  assert.ok(pushes >= 10000, `at least 10,000 pushes taken (${pushes})`);
  console.log(`# ${events.join('; ')}`);
  console.log(`# ${total} calls (${codes.length} answered unavailable: ${JSON.stringify([...why])}), ${pushes} pushes taken, ` +
    `${resumed()} resumes, in ${flowMs} ms; presence clean ${presenceMs} ms after the last kill`);
});

test('Redis restarted empty while pages push: every page told (resync), then the new pushes in order, no hole', { timeout: 60000 }, async () => {
  await cluster.startNode('ch-b');
  const results = new Map();
  const N = 40;
  let answered = 0;
  let bump = () => {};
  const mark = new Map(pages.map((p) => [p, {
    groups: new Map(p.groups.map((g) => [g, (p.seen.byGroup.get(g) || []).length])),
    direct: p.seen.direct.length,
  }]));
  const work = Promise.all(pages.map((p) => pipeline(p, N, (i) => [
    [`g:${p.name}.r${i}`, 'broadcast', { to: p.groups[i % 2], text: `g:${p.name}.${STEPS + i}` }],
    [`d:${p.name}.r${i}`, 'note_id', { to_conn: p.conn, text: `d:${p.name}.${STEPS + i}` }],
  ], results, () => { answered++; bump(); })));
  work.catch(() => {});
  await within(new Promise((resolve) => {
    bump = () => { if (answered >= pages.length * N * 2 * 0.3) resolve(); };
    bump();
  }), ms(20000), 'a third of the pushes');
  await cluster.redis.kill();
  await cluster.redis.start();
  await until(async () => {
    for (const id of cluster.alive())
      if ((await metrics(cluster.nodes.get(id))).get('lv_broker_connected') !== 1)
        return false;
    return true;
  }, ms(10000), 'the nodes back on Redis');
  await until(() => pages.every((p) => p.groups.every((g) => p.seen.resyncs.some((r) => r.group === g))),
    ms(10000), 'every page told of each of its groups');
  await within(work, ms(30000), 'the pushes');
  // one more push from each page, all in the new epoch
  for (const p of pages)
    assert.ok((await p.call('broadcast', { to: p.groups[0], text: `g:${p.name}.${STEPS + N}` })).ok);
  const epoch = new Map();
  for (const g of GROUPS) {
    const xs = await cluster.redis.command('XRANGE', `lv:gh:${g}`, '-', '+');
    // the group's notes (its presence events are numbered there too)
    epoch.set(g, xs.map(([, f]) => JSON.parse(f[f.indexOf('m') + 1]))
      .filter((m) => m.fn === 'note').map((m) => m.args.text));
    assert.deepEqual(xs.map(([id]) => id), xs.map((_, k) => `${k + 1}-0`), `${g}: the new epoch from 1`);
  }
  await until(() => pages.every((p) => p.groups.every((g) => {
    const list = p.seen.byGroup.get(g) || [];
    return list.includes(epoch.get(g).at(-1));
  })), ms(10000), 'the last pushes on every page');
  for (const p of pages) {
    assert.deepEqual(p.gaps, [], `${p.name}: no gap in the server's numbers`);
    assert.deepEqual(p.seen.wrong, [], `${p.name}: nothing twice or out of order`);
    for (const g of p.groups) {
      const rs = p.seen.resyncs.filter((r) => r.group === g);
      assert.equal(rs.length, 1, `${p.name}: one resync for ${g}`);
      assert.equal(rs[0].reason, 'reset');
      // after the resync: the new epoch, whole and in its order
      const at = rs[0].at[GROUPS.indexOf(g)];
      assert.ok(at >= mark.get(p).groups.get(g), `${p.name}: the resync after what came before`);
      assert.deepEqual(p.seen.byGroup.get(g).slice(at), epoch.get(g), `${p.name}: ${g}'s new epoch, no hole`);
    }
    const want = [...Array(N).keys()].filter((i) => results.get(`d:${p.name}.r${i}`).ok).map((i) => STEPS + i);
    const have = new Set(p.seen.direct);
    assert.deepEqual(want.filter((i) => !have.has(i)), [], `${p.name}: every direct push answered ok arrived`);
  }
  const failed = [...results.values()].filter((r) => !r.ok);
  for (const r of failed)
    assert.equal(r.error.code, 'unavailable');
  console.log(`# Redis restarted empty: ${results.size} calls, ${failed.length} answered unavailable`);
});
