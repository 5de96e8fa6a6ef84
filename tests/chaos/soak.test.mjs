// soak.test.mjs - a minute of hostile traffic while pages work: 20 hostile
// clients (from 127.0.0.2) cycle through the input classes of
// docs/security.md (pipelined HTTP requests, slow-loris headers, dripping
// and oversized bodies, malformed JSON and binary frames, oversized and
// unfinished WebSocket messages, floods of calls that are never read,
// hello-and-drop, forged resume tokens, the wrong Content-Type, a foreign
// Origin), each connection bounded by its own deadline and destroyed,
// while 50 well-behaved pages (from 127.0.0.1) say hello and then make
// calls, one in flight each. Every page's call must be answered, rightly;
// the server's RSS after the load and a settle must be within 8 MiB of
// what it was after a warm-up (the same load, shorter), and its CPU must
// never pass one core in any second, and be next to nothing at rest.
//
// Why 8 MiB: measured on liblv (2 cores, glibc malloc), the RSS climbs to
// a plateau of 10 to 12 MiB within the first ten seconds and stays
// there, whatever the length of the load: 5.3 -> 11.6 MiB with a 2 s
// warm-up and 10 s of load; 8.6 -> 11.4 and 9.8 -> 10.4 MiB with 8 s
// and 60 s. What is
// left after the settle is the heap's high-water mark, not held state
// (the metrics show only the pages' sessions by then). 8 MiB is that
// plateau with room for a shorter warm-up; a leak of 70 bytes per page
// call, or 2 KiB per hostile connection, passes it within the minute.
//
// Environment: LV_SOAK_SECONDS (60) the length of the load; LV_CHAOS_SEED;
// LV_SOAK_CLASSES (a comma-separated subset of the hostile classes) and
// LV_SOAK_DEBUG=1 (progress on stderr), to look into one class.
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import { after, test } from 'node:test';
import { performance } from 'node:perf_hooks';
import { Worker } from 'node:worker_threads';

import { metric, metrics as metricsOf, prng, seedOf, sleep, startServer, until, WebSocket, within } from './helpers.mjs';

const SECONDS = Number(process.env.LV_SOAK_SECONDS || 60);
const WARM_SECONDS = Math.min(8, Math.max(2, SECONDS / 6));
const SEED = seedOf(0x50a4);
const HOSTILE = 20;
const PAGES = 50;
const GOOD = '127.0.0.1';      // the pages; the hostile clients come from 127.0.0.2, another address
const RESUME_MS = 2000;        // dropped sessions wait this long, so the settle sees them go
const DEADLINE_S = 2;          // the server's handshake, body and message deadlines
const HOLD_MS = 4000;          // no hostile connection lives longer than this (our side)
const CALL_MS = 15000;         // a page's call unanswered this long is lost
const RSS_SLACK_KIB = 8 * 1024;
const CPU_LIMIT = 1.05;        // seconds of CPU per second of wall time
const IDLE_CPU = 0.2;          // once the load has stopped

let CLK_TCK = 100;
try {
  CLK_TCK = Number(execFileSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).trim()) || 100;
} catch {
  // 100 on every Linux this runs on
}

let server;
/** The server's metrics; a server that does not answer fails the test rather than hang it. */
const metrics = (s) => within(metricsOf(s), 5000, '/lv/metrics');
after(async () => { await server?.stop(); });

/** utime + stime of pid, in seconds. */
function cpuSeconds(pid) {
  const s = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
  const f = s.slice(s.lastIndexOf(')') + 2).split(' ');   // f[0] is field 3, the state
  return (Number(f[11]) + Number(f[12])) / CLK_TCK;
}

/** VmRSS of pid, in KiB. */
function rssKiB(pid) {
  return Number(/^VmRSS:\s+(\d+) kB/m.exec(fs.readFileSync(`/proc/${pid}/status`, 'utf8'))[1]);
}

/** Samples pid's CPU each second: per-second usage in `samples`. */
function cpuSampler(pid) {
  const samples = [];
  let last = { cpu: cpuSeconds(pid), t: performance.now() };
  const timer = setInterval(() => {
    try {
      const now = { cpu: cpuSeconds(pid), t: performance.now() };
      samples.push((now.cpu - last.cpu) / ((now.t - last.t) / 1000));
      last = now;
    } catch {
      clearInterval(timer);
    }
  }, 1000);
  return { samples, stop: () => clearInterval(timer) };
}

const pct = (sorted, p) => sorted.length ? sorted[Math.min(sorted.length - 1, Math.floor(sorted.length * p))] : NaN;

// ---- the well-behaved pages -----------------------------------------------------------------

/**
 * One page: a WebSocket from GOOD, hello, then `measure` calls one at a
 * time with a small sleep between; every answer is checked, every
 * numbered message acknowledged. work(until) runs calls until that time.
 */
class Page {
  constructor(i, rng, stats) {
    this.i = i;
    this.rng = rng;
    this.stats = stats;
    this.nextId = 1;
    this.seq = 0;
    this.waiting = null;
    this.closedInfo = null;
  }

  async open() {
    const ws = new WebSocket(server.wsUrl, { localAddress: GOOD });
    this.ws = ws;
    ws.on('error', (e) => { this.stats.socketErrors.push(`page ${this.i}: ${e.message}`); });
    ws.on('close', (code, reason) => {
      this.closedInfo = { code, reason: String(reason) };
      this.waiting?.reject(new Error(`page ${this.i} closed (${code} ${reason})`));
    });
    ws.on('message', (data) => this._message(data));
    await new Promise((resolve, reject) => {
      ws.once('open', resolve);
      ws.once('error', reject);
      ws.once('unexpected-response', (_req, res) => reject(new Error(`page ${this.i}: upgrade answered ${res.statusCode}`)));
    });
    const welcome = this._wait((m) => m.t === 'welcome');
    ws.send(JSON.stringify({ t: 'hello', app: 'chaos', schema: server.schema }));
    this.welcome = await welcome;
  }

  _message(data) {
    let m;
    try {
      m = JSON.parse(String(data));
    } catch {
      this.stats.errors.push(`page ${this.i}: a frame that is not JSON`);
      return;
    }
    if (Number.isInteger(m.seq) && m.t !== 'ack')
      this.ws.send(JSON.stringify({ t: 'ack', seq: m.seq }));
    if (m.t === 'error')
      this.stats.errors.push(`page ${this.i}: ${JSON.stringify(m.error)}`);
    if (this.waiting?.pred(m)) {
      const w = this.waiting;
      this.waiting = null;
      w.resolve(m);
    }
  }

  _wait(pred) {
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.waiting = null;
        reject(new Error(`page ${this.i}: no answer in ${CALL_MS} ms`));
      }, CALL_MS);
      this.waiting = {
        pred,
        resolve: (m) => { clearTimeout(timer); resolve(m); },
        reject: (e) => { clearTimeout(timer); this.waiting = null; reject(e); },
      };
    });
  }

  async work(end) {
    const { rng, stats } = this;
    while (Date.now() < end && !this.closedInfo) {
      const text = 'p'.repeat(rng.int(0, 300));
      const items = Array.from({ length: rng.int(0, 20) }, (_, k) => k);
      const id = this.nextId++;
      const answer = this._wait((m) => m.t === 'ret' && m.id === id);
      const t0 = performance.now();
      this.ws.send(JSON.stringify({ t: 'call', id, fn: 'measure', args: { text, items }, seq: ++this.seq }));
      stats.calls++;
      let ret;
      try {
        ret = await answer;
      } catch (e) {
        stats.lost.push(e.message);
        return;
      }
      stats.latencies.push(performance.now() - t0);
      if (!ret.ok)
        stats.errors.push(`page ${this.i}: measure answered ${JSON.stringify(ret.error)}`);
      else if (ret.value !== text.length + items.length)
        stats.errors.push(`page ${this.i}: measure answered ${ret.value}, not ${text.length + items.length}`);
      else
        stats.answered++;
      await sleep(rng.int(2, 30));
    }
  }

  async close() {
    if (!this.ws || this.closedInfo)
      return;
    const closed = new Promise((resolve) => this.ws.once('close', resolve));
    this.ws.close(1000);
    await Promise.race([closed, sleep(3000)]);
    this.ws.terminate();
  }
}

// ---- the test -----------------------------------------------------------------------------------

const progress = (what) => { if (process.env.LV_SOAK_DEBUG) process.stderr.write(`soak ${new Date().toISOString()} ${what}\n`); };

/** Load for `ms`: the pages call, the hostile clients (in `worker`) attack; resolves with their tally. */
async function load(pages, worker, ms) {
  const end = Date.now() + ms;
  const attacked = new Promise((resolve, reject) => {
    worker.once('message', ({ tally }) => resolve(tally));
    worker.once('error', reject);
  });
  worker.postMessage({ run: ms });
  const [tally] = await Promise.all([attacked, ...pages.map((p) => p.work(end))]);
  return tally;
}

/** Waits for what the hostile clients left to go: only the pages' sessions remain. */
async function settle() {
  await sleep(RESUME_MS + 1000);
  await until(async () => {
    const m = await metrics(server);
    return metric(m, 'lv_sessions_detached') === 0 && metric(m, 'lv_sessions') === PAGES &&
      metric(m, 'lv_connections') === PAGES && metric(m, 'lv_rx_bytes') === 0;
  }, 15000, `only the ${PAGES} pages' sessions to remain`, 200);
  await sleep(1000);
}

test(`soak: ${PAGES} pages answered while ${HOSTILE} hostile clients attack for ${SECONDS} s; ` +
     'memory and CPU stay bounded', { timeout: (SECONDS + WARM_SECONDS + 90) * 1000 }, async (t) => {
  t.diagnostic(`soak seed ${SEED} (LV_CHAOS_SEED=${SEED}), ${SECONDS} s of load (LV_SOAK_SECONDS)`);
  server = await startServer({
    LV_TEST_RESUME_MS: String(RESUME_MS),
    LV_TEST_HANDSHAKE_MS: String(DEADLINE_S * 1000),
    LV_TEST_BODY_MS: String(DEADLINE_S * 1000),
    LV_TEST_MESSAGE_MS: String(DEADLINE_S * 1000),
    LV_TEST_STATIC: 'tests/chaos/static',
  });
  const pid = server.proc.pid;
  const cpu = cpuSampler(pid);
  const stats = { calls: 0, answered: 0, latencies: [], lost: [], errors: [], socketErrors: [] };
  const worker = new Worker(new URL('./soak-hostile.mjs', import.meta.url), {
    workerData: { port: server.port, schema: server.schema, seed: SEED, hostile: HOSTILE, holdMs: HOLD_MS },
  });
  let tally;
  const rng = prng(SEED);
  const pages = Array.from({ length: PAGES }, (_, i) => new Page(i, prng(rng.int(0, 2 ** 31)), stats));
  try {
    // a few at a time: upgrades in progress from one address are capped (16)
    for (let i = 0; i < PAGES; i += 8)
      await Promise.all(pages.slice(i, i + 8).map((p) => p.open()));

    // warm-up: the same load, shorter, so that the heap has its working size
    progress('pages open; warm-up');
    await load(pages, worker, WARM_SECONDS * 1000);
    progress('warm-up done; settle');
    await settle();
    progress('settled');
    const rssWarm = rssKiB(pid);
    const warmCalls = stats.answered;
    const warmSamples = cpu.samples.length;

    const t0 = Date.now();
    tally = await load(pages, worker, SECONDS * 1000);
    progress('load done');
    const loadMs = Date.now() - t0;
    const loadSamples = cpu.samples.slice(warmSamples);
    const rssEnd = rssKiB(pid);
    await settle();
    const rssAfter = rssKiB(pid);
    // the server at rest: no spin left behind by what the hostile clients did
    const idle0 = cpuSeconds(pid);
    await sleep(1000);
    const idle = cpuSeconds(pid) - idle0;

    const lat = [...stats.latencies].sort((a, b) => a - b);
    const mainCalls = stats.answered - warmCalls;
    t.diagnostic(`page calls: ${stats.calls} made, ${stats.answered} answered (${mainCalls} after the warm-up, ` +
      `${(mainCalls / (loadMs / 1000)).toFixed(0)}/s), ${stats.lost.length} lost, ${stats.errors.length} errors`);
    t.diagnostic(`page call latency: p50 ${pct(lat, 0.5).toFixed(2)} ms, p99 ${pct(lat, 0.99).toFixed(2)} ms, ` +
      `max ${lat.at(-1)?.toFixed(2)} ms`);
    t.diagnostic(`server RSS: ${(rssWarm / 1024).toFixed(1)} MiB after the warm-up, ` +
      `${(rssEnd / 1024).toFixed(1)} MiB at the end of the load, ${(rssAfter / 1024).toFixed(1)} MiB after the settle ` +
      `(${((rssAfter - rssWarm) / 1024).toFixed(1)} MiB more; allowed ${RSS_SLACK_KIB / 1024})`);
    const maxCpu = Math.max(...cpu.samples);    // the warm-up and the settles included
    const meanCpu = loadSamples.reduce((a, b) => a + b, 0) / loadSamples.length;
    t.diagnostic(`server CPU: mean ${meanCpu.toFixed(2)} core-s per s during the load, max ${maxCpu.toFixed(2)} ` +
      `in any second (${cpu.samples.length} samples); at rest after it: ${idle.toFixed(2)} s in 1 s`);
    for (const [name, outcomes] of Object.entries(tally))
      t.diagnostic(`hostile ${name}: ${Object.entries(outcomes).map(([o, n]) => `${o}: ${n}`).join(', ')}`);
    const m = await metrics(server);
    const limited = [...m].filter(([k]) => k.startsWith('lv_limited_total') || k.startsWith('lv_refused_total'));
    t.diagnostic(`limits: ${limited.map(([k, v]) => `${k} ${v}`).join(', ') || 'none counted'}`);

    assert.deepEqual(stats.lost, [], 'page calls lost');
    assert.deepEqual(stats.errors, [], 'page calls that failed');
    assert.equal(stats.answered, stats.calls, 'every page call answered');
    assert.deepEqual(stats.socketErrors, [], 'page sockets that failed');
    assert.ok(mainCalls > PAGES * SECONDS, `only ${mainCalls} page calls answered in ${SECONDS} s`);
    assert.ok(pages.every((p) => !p.closedInfo), `pages closed: ${pages.filter((p) => p.closedInfo)
      .map((p) => `${p.i} ${JSON.stringify(p.closedInfo)}`).join(', ')}`);
    if (!process.env.LV_SOAK_CLASSES)
      assert.ok(Object.values(tally).reduce((n, o) => n + Object.values(o).reduce((a, b) => a + b, 0), 0) >
        HOSTILE * 13, 'the hostile clients hardly ran');
    assert.ok(rssAfter - rssWarm <= RSS_SLACK_KIB,
      `RSS grew by ${((rssAfter - rssWarm) / 1024).toFixed(1)} MiB over the load`);
    assert.ok(maxCpu <= CPU_LIMIT, `CPU samples above one core: ${cpu.samples.map((x) => x.toFixed(2)).join(' ')}`);
    assert.ok(idle < IDLE_CPU, `${idle.toFixed(2)} s of CPU in a second at rest`);
  } finally {
    cpu.stop();
    await worker.terminate();
    await Promise.all(pages.map((p) => p.close().catch(() => {})));
  }
  await until(async () => metric(await metrics(server), 'lv_sessions') === 0, 5000,
    'the pages\' sessions to end with their goodbye');
});
