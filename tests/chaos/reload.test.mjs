// reload.test.mjs - a page reload resumes the session (docs/protocol.md:
// "a page may keep its session and unacknowledged messages in
// sessionStorage"). With the option `persist: true`, lv.js saves the
// session on `pagehide` and the next page of the tab takes it over when
// its connection is made. Here each
// "page" is a Connection of lv.js in node with a window of its own (an
// EventTarget that gets pagehide/pageshow) and one sessionStorage shared
// by the pages of the "tab"; the server is the chaos server, behind a
// loopback proxy that can hold back or refuse what the page sends.
import assert from 'node:assert/strict';
import { after, afterEach, before, test } from 'node:test';

import {
  ChaosProxy, lvClient, metric, metrics, opened, prng, seedOf, sleep, startServer, until, within,
} from './helpers.mjs';

const SEED = seedOf(0x2e10ad);
const KEY = 'lv.session.chaos';

/** sessionStorage as a browser tab has it: strings by key. */
class FakeStorage {
  constructor() {
    this.map = new Map();
  }

  getItem(k) {
    return this.map.has(k) ? this.map.get(k) : null;
  }

  setItem(k, v) {
    this.map.set(k, String(v));
  }

  removeItem(k) {
    this.map.delete(k);
  }

  get length() {
    return this.map.size;
  }
}

/** A page's window: only its page lifecycle events. */
class FakeWindow extends EventTarget {
  hide(persisted = false) {
    const e = new Event('pagehide');
    e.persisted = persisted;
    this.dispatchEvent(e);
  }

  show(persisted = true) {
    const e = new Event('pageshow');
    e.persisted = persisted;
    this.dispatchEvent(e);
  }
}

let server;
let proxy;
let pages = [];
let rng;
before(async () => {
  console.log(`# seed ${SEED}`);
  rng = prng(SEED);
  server = await startServer();
  proxy = await new ChaosProxy(server.port, prng(SEED + 1)).listen();
});
afterEach(async () => {
  for (const p of pages.splice(0))
    p.close();
  proxy.hold = false;
  proxy.refuse = false;
  proxy.dropAll();
});
after(async () => {
  await proxy?.close();
  await server?.stop();
});

/** A page of the tab whose storage is `storage`: down(n) lands in .downs. */
function page(storage, options = {}) {
  const win = new FakeWindow();
  const conn = lvClient(proxy.wsUrl, rng, {
    persist: true, env: { window: win, sessionStorage: storage }, ...options,
  });
  conn.win = win;
  conn.downs = [];
  conn.resyncs = [];
  conn.register({ down: (n) => conn.downs.push(n) });
  conn.on('resync', (d) => conn.resyncs.push(d));
  pages.push(conn);
  return conn;
}

const range = (a, b) => Array.from({ length: b - a }, (_, i) => a + i);

test('a reload resumes the session: what the old page had not seen arrive is sent once, ' +
     'pushes go on where it stopped, and answers never meet the wrong call', async () => {
  const tab = new FakeStorage();
  const p1 = page(tab);
  p1.open();
  await opened(p1);
  await p1.call('reset', {});
  const session = p1.session;

  // pushes stream to the page all along
  await p1.call('start_down', { total: 600, chunk: 5, every_ms: 4 });
  for (const n of range(0, 100))
    p1.send('up', { n });
  await until(async () => (await p1.call('report', {})).ups === 100 && p1.downs.length > 50,
    5000, 'the first sends and pushes');

  // The link stops delivering what the page writes: these are sent but
  // never acknowledged ...
  proxy.hold = true;
  for (const n of range(100, 150))
    p1.send('up', { n });
  const lostAnswer = p1.call('count', { n: 0 }).then((v) => ({ v }), (e) => ({ e }));
  await sleep(30);
  assert.ok(p1.delivery.unacked >= 51, `${p1.delivery.unacked} unacknowledged`);
  // ... then it drops, and what the page sends next waits in its queue.
  proxy.refuse = true;
  proxy.dropAll();
  await until(() => p1.state !== 'open', 3000, 'the page to see the drop');
  for (const n of range(150, 175))
    p1.send('up', { n });
  const queuedAnswer = p1.call('count', { n: 1 }).then((v) => ({ v }), (e) => ({ e }));
  assert.ok(p1.delivery.queued >= 26, `${p1.delivery.queued} queued`);
  const seenByP1 = p1.downs.length;

  // Reload: the old page goes, the new one takes the session over.
  p1.win.hide();
  const saved = JSON.parse(tab.getItem(KEY));
  assert.equal(saved.session, session);
  assert.equal(saved.lastIn, p1.delivery.lastIn);
  assert.equal(saved.unacked.length, p1.delivery.unacked + 26, 'unacknowledged and queued messages');
  assert.deepEqual(saved.unacked.map((m) => m.seq), range(saved.unacked[0].seq, saved.outSeq + 1));
  proxy.hold = false;
  proxy.refuse = false;

  const p2 = page(tab);
  assert.equal(tab.getItem(KEY), null, 'the snapshot is taken by one page only');
  // calls made before the socket opens, as many as the old page made, so
  // that the ids would meet the old page's replayed answers if the new
  // page counted from 1 again
  const mineN = saved.nextId + 2;
  const mine = range(0, mineN).map((i) => p2.call('count', { n: 2 + i }));
  p2.open();
  await opened(p2);
  assert.equal(p2.session, session, 'the new page resumed the old session');
  assert.deepEqual(await within(Promise.all(mine), 5000, 'the new page\'s calls'),
    range(0, mineN).map((i) => (2 + i) * 3 + 1));
  for (const n of range(175, 200))
    p2.send('up', { n });

  await until(() => seenByP1 + p2.downs.length >= 600, 10000, 'every push');
  await sleep(50);
  // every push handled once, in order, by one page or the other
  assert.deepEqual([...p1.downs.slice(0, seenByP1), ...p2.downs], range(0, 600));
  const r = await p2.call('report', {});
  assert.equal(r.ups, 200, 'ups run by the server');
  assert.equal(r.up_next, 200);
  assert.equal(r.up_dups + r.up_gaps, 0);
  assert.equal(r.counts, 2 + mineN, 'calls run by the server: p1\'s two and p2\'s');
  assert.equal(r.count_next, 2 + mineN);
  assert.equal(r.count_dups + r.count_gaps, 0);
  assert.deepEqual(p2.resyncs, []);
  // the old page's promises are gone with it; they never settled wrongly
  const settled = await Promise.race([Promise.all([lostAnswer, queuedAnswer]), sleep(50)]);
  assert.equal(settled, undefined, 'the old page\'s calls settled after it went');

  // and when the page says goodbye, the server keeps nothing
  p2.close();
  await until(async () => {
    const m = await metrics(server);
    return metric(m, 'lv_sessions') === 0 && metric(m, 'lv_sessions_detached') === 0 &&
      metric(m, 'lv_queue_messages') === 0;
  }, 5000, 'the server to drop the session');
});

test('a page back from the back-forward cache goes on with its session', async () => {
  const tab = new FakeStorage();
  const p = page(tab);
  p.open();
  await opened(p);
  await p.call('reset', {});
  const session = p.session;
  p.win.hide(true);
  assert.equal(p.state, 'offline');
  assert.ok(tab.getItem(KEY));
  p.send('up', { n: 0 });        // made while hidden: queued
  p.win.show(true);
  await opened(p);
  assert.equal(p.session, session);
  assert.equal(tab.getItem(KEY), null, 'the page took its snapshot back');
  p.send('up', { n: 1 });
  const r = await p.call('report', {});
  assert.equal(r.ups, 2);
  assert.equal(r.up_dups + r.up_gaps, 0);
  assert.deepEqual(p.resyncs, []);
});

test('a page back from the cache whose session another page took starts afresh, and is told', async () => {
  const tab = new FakeStorage();
  const p1 = page(tab);
  p1.open();
  await opened(p1);
  await p1.call('reset', {});
  const session = p1.session;
  proxy.hold = true;
  p1.send('up', { n: 0 });       // unacknowledged: it goes with the snapshot
  await sleep(20);
  proxy.refuse = true;
  proxy.dropAll();
  await until(() => p1.state !== 'open', 3000, 'the page to see the drop');
  p1.send('up', { n: 1 });       // queued: it goes with the snapshot too
  const late = p1.call('count', { n: 0 }).then((v) => ({ v }), (e) => ({ e }));
  p1.win.hide(true);
  proxy.hold = false;
  proxy.refuse = false;
  const p2 = page(tab);           // the tab navigated on: this page takes the session
  p2.open();
  await opened(p2);
  assert.equal(p2.session, session);
  p1.win.show(true);              // ... and back again to the first
  await opened(p1);
  assert.equal(p1.resyncs.length, 1);
  assert.equal(p1.resyncs[0].reason, 'unknown');
  assert.notEqual(p1.session, session, 'two pages share one session');
  const l = await late;
  assert.equal(l.e?.code, 'unavailable', 'the call the other page sent failed here');
  p2.send('up', { n: 2 });
  assert.equal(await p2.call('count', { n: 1 }), 4);
  assert.equal(await p2.call('count', { n: 2 }), 7);
  const r = await p1.call('report', {});
  assert.equal(r.ups, 3, 'ups 0 and 1 were sent once, by the page that took the session');
  assert.equal(r.up_dups + r.up_gaps, 0);
  assert.equal(r.counts, 3, 'count 0 ran once, sent by the page that took the session');
  assert.equal(r.count_dups + r.count_gaps, 0);
});

test('a saved session the server no longer has: the new page is told (resync) and starts afresh',
  async () => {
    const tab = new FakeStorage();
    const p1 = page(tab);
    p1.open();
    await opened(p1);
    proxy.hold = true;
    p1.send('up', { n: 0 });
    await sleep(20);
    p1.win.hide();
    proxy.dropAll();
    proxy.hold = false;
    const saved = JSON.parse(tab.getItem(KEY));
    // as if the server had restarted meanwhile: a session it never made
    saved.session = 'f'.repeat(32);
    tab.setItem(KEY, JSON.stringify(saved));
    const p2 = page(tab);
    p2.open();
    await opened(p2);
    assert.deepEqual(p2.resyncs, [{ reason: 'unknown', lost: 1 }]);
    assert.notEqual(p2.session, saved.session);
    assert.equal(await p2.call('count', { n: 5 }), 16);
  });

test('a snapshot that is not one (corrupt, another schema, bad numbers) is dropped, not used', async () => {
  const bad = [
    '{not json',
    JSON.stringify({ v: 1, hash: 'another', session: 'a'.repeat(32), lastIn: 0, outSeq: 0, nextId: 0, unacked: [] }),
    JSON.stringify({ v: 1, session: 'a'.repeat(32), lastIn: -1, outSeq: 0, nextId: 0, unacked: [] }),
    JSON.stringify({ v: 1, session: 'a'.repeat(32), lastIn: 0, outSeq: 1, nextId: 0,
      unacked: [{ t: 'send', seq: 2 }] }),
    JSON.stringify({ v: 1, session: 'a'.repeat(32), lastIn: 0, outSeq: 2, nextId: 0,
      unacked: [{ t: 'hello', seq: 1 }] }),
  ];
  for (const text of bad) {
    const tab = new FakeStorage();
    // the schema hash goes in where the case does not replace it
    const withHash = text.startsWith('{"v"') && !text.includes('"hash"') ?
      text.replace('{"v":1,', `{"v":1,"hash":"${server.schema}",`) : text;
    tab.setItem(KEY, withHash);
    const p = page(tab);
    assert.equal(tab.getItem(KEY), null, `left in storage: ${withHash}`);
    assert.equal(p.session, null, `restored: ${withHash}`);
    p.open();
    await opened(p);
    assert.deepEqual(p.resyncs, []);
    p.close();
  }
});

test('without persist: true (the default) nothing is kept, and the socket is left to the browser', async () => {
  const tab = new FakeStorage();
  tab.setItem(KEY, JSON.stringify({ v: 1, hash: server.schema, session: 'a'.repeat(32), lastIn: 0,
    outSeq: 0, nextId: 0, unacked: [] }));
  const win = new FakeWindow();
  const p = lvClient(proxy.wsUrl, rng, { env: { window: win, sessionStorage: tab } });
  pages.push(p);
  p.win = win;
  assert.equal(p.session, null, 'a snapshot was restored');
  p.open();
  await opened(p);
  p.win.hide();
  assert.equal(JSON.parse(tab.getItem(KEY)).session, 'a'.repeat(32), 'storage was touched');
  assert.equal(p.state, 'open', 'the socket is left to the browser');
});
