// broker_history.test.mjs - reliable group messages between two nodes
// through a real Redis are delivered once each, in offset order, or the
// pages are told: the pub/sub links killed while pushes flow (the missed
// ones fetched from the group's history), more missed than the history
// keeps (a resync "history"), the command link killed while pushes are
// on their way (sent again, run once), Redis restarted empty (a resync "reset"), a
// page that joins and pushes at once, pushes to every page, and junk on a
// group's channel; scripts run by SHA1 (EVALSHA), and loaded again when
// Redis lost them.
// The loop is the suite's (LV_TEST_LOOP).
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { Client, VALGRIND, closeAll, metrics, ms, sleep, startServer, until } from './helpers.mjs';
import { startRedis } from './redis.mjs';

let redis;
let a;
let b;
let clients = [];
const servers = [];

const open = async (server) => {
  const c = await Client.open(server);
  clients.push(c);
  return c;
};

const node = async (id, env = {}) => {
  const s = await startServer({ LV_TEST_BROKER: `unix:${redis.socket}`, LV_TEST_NODE_ID: id, ...env });
  servers.push(s);
  await until(() => connected(s), ms(5000), `${id} to reach Redis`);
  return s;
};

const connected = async (server) => (await metrics(server)).get('lv_broker_connected') === 1;
const noteTexts = (c, prefix) => c.all.filter((m) => m.t === 'push' && m.fn === 'note' &&
  m.args.text.startsWith(prefix)).map((m) => m.args.text);
const blobs = (c) => c.all.filter((m) => m.t === 'push' && m.fn === 'blob').map((m) => m.args.i);
const resyncs = (c, group) => c.all.filter((m) => m.t === 'resync' && m.group === group);

/* The id of a node's subscribed connection in Redis (CLIENT SETNAME), or
 * of its command connection (kind 'cmd'). */
async function subClient(id, kind = 'sub') {
  const list = await redis.command('CLIENT', 'LIST');
  const line = list.split('\n').find((l) => l.includes(` name=lv-${kind}-${id} `));
  assert.ok(line, `the subscribed connection of ${id} in CLIENT LIST:\n${list}`);
  return /(?:^| )id=(\d+)/.exec(line)[1];
}

/* Both pages in group, counted on both nodes. */
async function bothIn(pa, pb, group) {
  await pa.value('join', { name: group });
  await pb.value('join', { name: group });
  await until(async () => await pa.value('group_size', { name: group }) === 2 &&
    await pb.value('group_size', { name: group }) === 2, ms(3000), `${group} to count 2 on both`);
}

before(async () => {
  redis = await startRedis();
  a = await node('hist-a');
  b = await node('hist-b');
});

after(async () => {
  await closeAll(clients);
  const exits = await Promise.allSettled(servers.map((s) => s.stop()));
  await redis?.stop();
  for (const e of exits)
    assert.deepEqual(e.value, { code: 0, signal: null }, 'a node exits cleanly');
});

test('every pub/sub link killed while pushes flow: each page gets every numbered message once, in order', async () => {
  const pa = await open(a);
  const pb = await open(b);
  await bothIn(pa, pb, 'flow');
  let ok = 0;
  for (let i = 0; i < 60; i++) {
    if (i === 20)
      await redis.command('CLIENT', 'KILL', 'TYPE', 'pubsub');
    // from both nodes in turn: one order, the offsets'
    const r = await (i % 2 ? pb : pa).call('broadcast', { to: 'flow', text: `f${String(i).padStart(2, '0')}` });
    ok += r.ok;
    if (!r.ok)
      assert.equal(r.error.code, 'unavailable');
    await sleep(ms(5));
  }
  await until(async () => await connected(a) && await connected(b), ms(10000), 'both nodes back');
  assert.ok(ok >= 40, `most pushes went through (${ok} of 60)`);
  // what Redis numbered, in offset order: what every page must get
  const entries = await redis.command('XRANGE', 'lv:gh:flow', '-', '+');
  const numbered = entries.map(([, fields]) => JSON.parse(fields[fields.indexOf('m') + 1]).args.text);
  assert.deepEqual(entries.map(([id]) => id), numbered.map((_, k) => `${k + 1}-0`), 'offsets 1, 2, ...');
  // one node's pushes are numbered in the order it made them; across
  // nodes, the order is Redis' (a handler's answer comes before that)
  for (const parity of [0, 1]) {
    const mine = numbered.filter((t) => Number(t.slice(1)) % 2 === parity);
    assert.deepEqual([...mine].sort(), mine, `node ${parity ? 'B' : 'A'}'s in the order it pushed them`);
  }
  assert.ok(numbered.length >= ok - 1, `what the handlers saw succeed is numbered (${numbered.length} of ${ok})`);
  await until(() => noteTexts(pa, 'f').length >= numbered.length && noteTexts(pb, 'f').length >= numbered.length,
    ms(5000), 'every numbered message on both pages');
  await sleep(ms(200));
  assert.deepEqual(noteTexts(pa, 'f'), numbered, 'A: each once, in order');
  assert.deepEqual(noteTexts(pb, 'f'), numbered, 'B: each once, in order');
  assert.equal(resyncs(pa, 'flow').length + resyncs(pb, 'flow').length, 0, 'nothing was lost');
});

// Known problem: with the nodes under valgrind (slow), the pushing node's own
// page misses about a third of the pushes re-sent after the command link
// came back, though the other node's page has them all (docs/scaling.md).
test('the command link killed while a node pushes: what it left unanswered is sent again, once each', {
  skip: VALGRIND && 'under valgrind the pushing node\'s own page misses re-sent pushes: a known problem',
}, async () => {
  const pa = await open(a);
  const pb = await open(b);
  const N = 3000;
  const want = Array.from({ length: N }, (_, i) => i);
  let resent = 0;
  // The kill must land while the pushes are on their way: as soon as the
  // first reaches B. Should it come after the last, try again.
  for (let attempt = 0; attempt < 4 && !resent; attempt++) {
    const group = `link${attempt}`;
    const before = await metrics(a);
    const seen = new Map([[pa, pa.all.length], [pb, pb.all.length]]);
    await bothIn(pa, pb, group);
    const inGroup = (c) => c.all.slice(seen.get(c)).filter((m) => m.t === 'push' && m.fn === 'blob')
      .map((m) => m.args.i);
    const flooding = pa.value('flood', { to: group, n: N, size: 8, vol: false }, ms(20000));
    await until(() => inGroup(pb).length > 0, ms(5000), 'the first push on B');
    await redis.command('CLIENT', 'KILL', 'ID', await subClient('hist-a', 'cmd'));
    assert.equal(await flooding, 0, 'every push was taken');
    await until(async () => await connected(a), ms(10000), 'A back');
    await until(() => inGroup(pb).length >= N && inGroup(pa).length >= N, ms(20000),
      `both pages to have all ${N}`).catch(async (e) => {
      const m = await metrics(a);
      throw new Error(`${e.message}: A has ${inGroup(pa).length}, B ${inGroup(pb).length}; ` +
        `A resent ${m.get('lv_broker_resent_total')}, lost ${m.get('lv_broker_lost_total')}, ` +
        `waiting ${m.get('lv_broker_outbox_pushes')}, connected ${m.get('lv_broker_connected')}`);
    });
    await sleep(ms(200));
    assert.deepEqual(inGroup(pb), want, 'B: each once, in order');
    assert.deepEqual(inGroup(pa), want, 'A: each once, in order');
    assert.equal(await redis.command('GET', `lv:go:${group}`), String(N), 'numbered once each');
    assert.equal(resyncs(pb, group).length + resyncs(pa, group).length, 0);
    const m = await metrics(a);
    resent = m.get('lv_broker_resent_total') - before.get('lv_broker_resent_total');
    assert.equal(m.get('lv_broker_lost_total'), before.get('lv_broker_lost_total'));
  }
  assert.ok(resent > 0, 'the kill never caught a push on its way');
});

test('one node cut off while the other pushes: it fetches what it missed from the history', async () => {
  const pa = await open(a);
  const pb = await open(b);
  await bothIn(pa, pb, 'gap');
  await pa.value('broadcast', { to: 'gap', text: 'g-first' });
  await until(() => noteTexts(pb, 'g-').length === 1, ms(3000), 'the first note on B');
  const before = await metrics(b);
  await redis.command('CLIENT', 'KILL', 'ID', await subClient('hist-b'));
  // published while B hears nothing: 30 numbered blobs
  assert.equal(await pa.value('flood', { to: 'gap', n: 30, size: 8, vol: false }), 0);
  await pa.value('broadcast', { to: 'gap', text: 'g-last' });
  const want = Array.from({ length: 30 }, (_, i) => i);
  await until(() => blobs(pb).length >= 30 && noteTexts(pb, 'g-').length >= 2, ms(10000),
    'B to catch up');
  await until(() => blobs(pa).length >= 30, ms(3000), 'A to have them all');
  await sleep(ms(100));
  assert.deepEqual(blobs(pb), want, 'B: each once, in order');
  assert.deepEqual(blobs(pa), want, 'A: each once, in order');
  assert.deepEqual(noteTexts(pb, 'g-'), ['g-first', 'g-last']);
  // the last note after every blob, as numbered
  const last = pb.all.findIndex((m) => m.t === 'push' && m.args.text === 'g-last');
  assert.ok(pb.all.findLastIndex((m) => m.t === 'push' && m.fn === 'blob') < last);
  assert.equal(resyncs(pb, 'gap').length, 0);
  const m = await metrics(b);
  assert.ok(m.get('lv_broker_reconnects_total') > before.get('lv_broker_reconnects_total'));
  assert.ok(m.get('lv_broker_gaps_repaired_total') > before.get('lv_broker_gaps_repaired_total'));
  assert.ok(m.get('lv_broker_recovered_total') >= before.get('lv_broker_recovered_total') + 30);
  assert.equal(m.get('lv_broker_resyncs_total'), before.get('lv_broker_resyncs_total'));
});

test('pushes to every page too: a node cut off gets the ones it missed, once each, in order', async () => {
  const pa = await open(a);
  const pb = await open(b);
  await until(async () => await pa.value('group_size', {}) >= 2, ms(3000), 'both pages counted');
  await pa.value('broadcast', { text: 'a-first' });
  await until(() => noteTexts(pb, 'a-').length === 1 && noteTexts(pa, 'a-').length === 1, ms(3000),
    'the first note on both');
  const before = await metrics(b);
  await redis.command('CLIENT', 'KILL', 'ID', await subClient('hist-b'));
  const want = ['a-first'];
  for (let i = 0; i < 20; i++) {
    const r = await pa.call('broadcast', { text: `a-${String(i).padStart(2, '0')}` });
    assert.equal(r.ok, true);
    want.push(`a-${String(i).padStart(2, '0')}`);
  }
  await until(() => noteTexts(pb, 'a-').length >= want.length && noteTexts(pa, 'a-').length >= want.length,
    ms(10000), 'both pages to have them all');
  await sleep(ms(100));
  assert.deepEqual(noteTexts(pa, 'a-'), want);
  assert.deepEqual(noteTexts(pb, 'a-'), want);
  assert.equal(resyncs(pb, 'lv.all').length, 0);
  assert.ok((await metrics(b)).get('lv_broker_recovered_total') >
    before.get('lv_broker_recovered_total'), 'B fetched what it missed');
});

test('more missed than the history keeps: the page is told (resync "history"), then gets what follows in order', async () => {
  const c = await node('hist-c', { LV_TEST_BROKER_HISTORY: '5' });
  const d = await node('hist-d', { LV_TEST_BROKER_HISTORY: '5' });
  const pc = await open(c);
  const pd = await open(d);
  await bothIn(pc, pd, 'short');
  await pc.value('broadcast', { to: 'short', text: 's-first' });
  await until(() => noteTexts(pd, 's-').length === 1, ms(3000), 'the first note on D');
  await redis.command('CLIENT', 'KILL', 'ID', await subClient('hist-d'));
  assert.equal(await pc.value('flood', { to: 'short', n: 30, size: 8, vol: false }), 0);
  assert.equal(await redis.command('XLEN', 'lv:gh:short'), 5, 'the history keeps 5');
  await pc.value('broadcast', { to: 'short', text: 's-last' });
  await until(() => noteTexts(pd, 's-').length >= 2, ms(10000), 'D to carry on');
  await sleep(ms(100));
  const told = pd.all.findIndex((m) => m.t === 'resync');
  assert.ok(told >= 0, 'D\'s page was told');
  assert.deepEqual(pd.all[told], { t: 'resync', group: 'short', reason: 'history', seq: pd.all[told].seq });
  // what the history still had, after the resync, in order
  // (s-last may have pushed the oldest of them out before D was back)
  const kept = blobs(pd);
  assert.ok(kept.length === 4 || kept.length === 5, `4 or 5 kept: ${kept}`);
  assert.deepEqual(kept, Array.from({ length: kept.length }, (_, i) => 30 - kept.length + i));
  assert.ok(pd.all.findIndex((m) => m.t === 'push' && m.fn === 'blob') > told);
  assert.deepEqual(noteTexts(pd, 's-'), ['s-first', 's-last']);
  // the node that stayed had them all, and no resync
  assert.deepEqual(blobs(pc), Array.from({ length: 30 }, (_, i) => i));
  assert.equal(resyncs(pc, 'short').length, 0);
  assert.ok((await metrics(d)).get('lv_broker_resyncs_total') >= 1);
});

test('the history keeps by age too: entries past broker_history_ms go, and the stream with its last push', async () => {
  const e = await node('hist-e', { LV_TEST_BROKER_HISTORY_MS: '600' });
  const pe = await open(e);
  await pe.value('join', { name: 'aged' });
  assert.equal(await pe.value('flood', { to: 'aged', n: 5, size: 8, vol: false }), 0);
  assert.equal(await redis.command('XLEN', 'lv:gh:aged'), 5);
  const [, fields] = (await redis.command('XRANGE', 'lv:gh:aged', '-', '+'))[0];
  assert.ok(Number(fields[fields.indexOf('t') + 1]) > 1.7e12, 'each entry has the time it was added');
  const ttl = await redis.command('PTTL', 'lv:gh:aged');
  assert.ok(ttl > 0 && ttl <= 600, `the stream expires after the age (${ttl} ms)`);
  await sleep(900);
  assert.equal(await pe.value('flood', { to: 'aged', n: 1, size: 8, vol: false }), 0);
  const left = await redis.command('XRANGE', 'lv:gh:aged', '-', '+');
  assert.deepEqual(left.map(([id]) => id), ['6-0'], 'only the young one is kept');
  await sleep(900);
  assert.equal(await redis.command('EXISTS', 'lv:gh:aged'), 0, 'the stream went with its age');
  assert.equal(await redis.command('GET', 'lv:go:aged'), '6', 'the offset stays');
  await until(() => blobs(pe).length === 6, ms(3000), 'the page to have the six');
  assert.deepEqual(blobs(pe), [0, 1, 2, 3, 4, 0]);
});

test('a page that joins a group and pushes to it at once gets its own push, a round trip later', async () => {
  const pa = await open(a);
  for (let i = 0; i < 10; i++) {
    const group = `fresh${i}`;
    // the join and the push in one turn of the loop, before the channel is answered
    const [joined, sent] = await Promise.all([pa.value('join', { name: group }),
      pa.value('broadcast', { to: group, text: `own${i}` })]);
    assert.equal(joined, 1);
    assert.ok(sent >= 0);
    await pa.next((m) => m.t === 'push' && m.args.text === `own${i}`, ms(3000), `own${i}`);
  }
  await sleep(ms(100));
  assert.deepEqual(noteTexts(pa, 'own'), Array.from({ length: 10 }, (_, i) => `own${i}`));
});

test('messages on a group\'s channel that are not what a node publishes: logged, dropped, and the group goes on', async () => {
  const pa = await open(a);
  const pb = await open(b);
  await bothIn(pa, pb, 'junk');
  await pa.value('broadcast', { to: 'junk', text: 'j-1' });
  await until(() => noteTexts(pa, 'j-').length === 1 && noteTexts(pb, 'j-').length === 1, ms(3000),
    'the first note on both');
  const epoch = await redis.command('GET', 'lv:epoch');
  const fake = JSON.stringify({ t: 'push', fn: 'note', args: { text: 'j-fake' } });
  for (const junk of ['H', 'Hx\n', 'Hx\n \n{}', 'Hx\nE\n{}', `Hx\n${epoch} 0\n{}`, `Hx\n${epoch} -3\n{}`,
    `Hx\n${epoch} 12x\n{}`, `Hx\n${'e'.repeat(100)} 2\n{}`,
    // an offset Redis never gave: fetched, not found, dropped
    `Hx\n${epoch} 999999\n${fake}`])
    await redis.command('PUBLISH', 'lv:g:junk', junk);
  await pb.value('broadcast', { to: 'junk', text: 'j-2' });
  await until(() => noteTexts(pa, 'j-').length === 2 && noteTexts(pb, 'j-').length === 2, ms(3000),
    'the next note on both');
  await sleep(ms(100));
  for (const p of [pa, pb]) {
    assert.deepEqual(noteTexts(p, 'j-'), ['j-1', 'j-2']);
    assert.equal(resyncs(p, 'junk').length, 0);
  }
  for (const s of [a, b]) {
    assert.match(s.stderr, /group "junk": a message without its epoch and offset; dropped/);
    assert.match(s.stderr, /group "junk": 1 messages with offsets beyond its last \(\d+\), from 999999; dropped/);
  }
  assert.equal(await pa.value('ping', {}), 'pong');
});

/* Calls of each command since the last CONFIG RESETSTAT (INFO commandstats). */
async function commandCalls() {
  const info = await redis.command('INFO', 'commandstats');
  const n = {};
  for (const m of info.matchAll(/^cmdstat_([^:]+):calls=(\d+)/gm))
    n[m[1]] = Number(m[2]);
  return n;
}

test('a push runs its script by SHA1 (EVALSHA), the script\'s text sent once per connection, not with each push', async () => {
  const pa = await open(a);
  const pb = await open(b);
  await bothIn(pa, pb, 'sha');
  await pa.value('broadcast', { to: 'sha', text: 's-first' });   // the script loaded, if it was not
  await until(() => noteTexts(pb, 's-').length === 1, ms(3000), 'the first push on B');
  await redis.command('CONFIG', 'RESETSTAT');
  for (let i = 0; i < 40; i++)
    await (i % 2 ? pb : pa).value('broadcast', { to: 'sha', text: `s${i}` });
  await until(() => noteTexts(pa, 's').length === 41 && noteTexts(pb, 's').length === 41, ms(5000),
    'every push on both pages');
  const n = await commandCalls();
  assert.ok((n.evalsha || 0) >= 40, `EVALSHA for each push: ${JSON.stringify(n)}`);
  assert.ok((n.eval || 0) <= 2, `EVAL not per push (a script's first run only): ${JSON.stringify(n)}`);
});

test('Redis loses the scripts under live connections (SCRIPT FLUSH): the nodes connect again, and a push made then arrives once', async () => {
  const pa = await open(a);
  const pb = await open(b);
  await bothIn(pa, pb, 'flushed');
  await pa.value('broadcast', { to: 'flushed', text: 'x-before' });
  await until(() => noteTexts(pb, 'x-').length === 1, ms(3000), 'the first push on B');
  const before = (await metrics(a)).get('lv_broker_reconnects_total');
  await redis.command('SCRIPT', 'FLUSH');
  const r = await pa.call('broadcast', { to: 'flushed', text: 'x-after' });
  if (!r.ok)
    assert.equal(r.error.code, 'unavailable');
  await until(async () => (await metrics(a)).get('lv_broker_reconnects_total') > before &&
    await connected(a), ms(10000), 'A to connect again');
  if (!r.ok)
    await until(async () => (await pa.call('broadcast', { to: 'flushed', text: 'x-after' })).ok,
      ms(5000), 'the push to go through');
  await until(() => noteTexts(pa, 'x-after').length >= 1 && noteTexts(pb, 'x-after').length >= 1,
    ms(5000), 'the push on both pages');
  await sleep(ms(200));
  assert.deepEqual(noteTexts(pa, 'x-'), ['x-before', 'x-after'], 'A: once each');
  assert.deepEqual(noteTexts(pb, 'x-'), ['x-before', 'x-after'], 'B: once each');
  assert.ok((await commandCalls()).evalsha > 0, 'EVALSHA again once loaded again');
});

test('Redis restarted empty: every member is told (resync "reset"), and later pushes arrive in order', async () => {
  const pa = await open(a);
  const pb = await open(b);
  await bothIn(pa, pb, 'reborn');
  await pa.value('broadcast', { to: 'reborn', text: 'r-before' });
  // on both: A's own page gets it from Redis too, a round trip later
  await until(() => noteTexts(pa, 'r-').length === 1 && noteTexts(pb, 'r-').length === 1, ms(3000),
    'the first note on both');
  await redis.kill();
  await redis.start();
  await until(async () => await connected(a) && await connected(b), ms(10000), 'both nodes back');
  await until(() => resyncs(pa, 'reborn').length >= 1 && resyncs(pb, 'reborn').length >= 1, ms(5000),
    'both pages told');
  for (const p of [pa, pb])
    assert.equal(resyncs(p, 'reborn')[0].reason, 'reset');
  await until(async () => await pa.value('group_size', { name: 'reborn' }) === 2, ms(5000),
    'the members registered again');
  for (let i = 0; i < 10; i++)
    await (i % 2 ? pb : pa).call('broadcast', { to: 'reborn', text: `r-after${i}` });
  await until(() => noteTexts(pa, 'r-after').length >= 10 && noteTexts(pb, 'r-after').length >= 10,
    ms(5000), 'the later notes on both');
  await sleep(ms(100));
  // the new epoch's offsets, from 1: the order both pages see
  const entries = await redis.command('XRANGE', 'lv:gh:reborn', '-', '+');
  const after = entries.map(([, f]) => JSON.parse(f[f.indexOf('m') + 1]).args.text);
  assert.deepEqual(entries.map(([id]) => id), after.map((_, k) => `${k + 1}-0`));
  assert.deepEqual([...after].sort(), Array.from({ length: 10 }, (_, i) => `r-after${i}`));
  for (const p of [pa, pb]) {
    assert.deepEqual(noteTexts(p, 'r-'), ['r-before', ...after]);
    const told = p.all.findIndex((m) => m.t === 'resync' && m.group === 'reborn');
    const first = p.all.findIndex((m) => m.t === 'push' && m.args.text === after[0]);
    assert.ok(told < first, 'told before anything of the new epoch');
  }
});
