// runtime-report.mjs - the table of bench/runtime.sh: figures per server,
// lv's ratio to each baseline, and the targets with their verdicts.
// usage: node bench/runtime-report.mjs results.jsonl results.md [pinned|unpinned]
// Cells with several runs show their best run: the highest throughput (in
// latency rows, the lowest p50). Other work on the machine only ever slows
// a run down, so the best run is the one it disturbed least.
import fs from 'node:fs';

const [file, mdOut, pinning = 'pinned'] = process.argv.slice(2);
const rows = fs.readFileSync(file, 'utf8').split('\n').filter(Boolean).map((l) => JSON.parse(l));

// lv-uv (lv on its libuv loop) has a column only when it was run
const SERVERS = ['lv', 'lv-uv', 'lws-batched', 'lws-naive', 'ws', 'sio']
  .filter((s) => s !== 'lv-uv' || rows.some((r) => r.label.split('/')[1] === s));
const NAMES = { lv: 'lv', 'lv-uv': 'lv (libuv)', 'lws-batched': 'lws batched',
                'lws-naive': 'lws per-frame', ws: 'Node ws', sio: 'Socket.IO' };

// cell(scenario, server): the best run, with how many runs there were and
// the range of their throughput
const cells = new Map();
for (const r of rows) {
  const [scen, server] = r.label.split('/');
  const k = `${scen}/${server}`;
  if (!cells.has(k)) cells.set(k, []);
  cells.get(k).push(r);
}
function cell(scen, server, by = null) {
  const runs = cells.get(`${scen}/${server}`);
  if (!runs || !runs.length) return null;
  const key = by ?? ((r) => r.ops_per_s ?? r.deliveries_per_s ?? 0);
  const sorted = [...runs].sort((a, b) => key(a) - key(b));
  const best = by ? sorted[0] : sorted[sorted.length - 1];
  return { ...best, runs: runs.length, lo: key(sorted[0]), hi: key(sorted[sorted.length - 1]) };
}

const fmtN = (x) => {
  if (x === undefined || x === null || Number.isNaN(x)) return '—';
  if (x >= 1e6) return `${(x / 1e6).toFixed(2)} M`;
  if (x >= 1e4) return `${(x / 1e3).toFixed(0)} k`;
  if (x >= 1e3) return `${(x / 1e3).toFixed(1)} k`;
  return x.toFixed(0);
};
const fmtUs = (x) => (x >= 1000 ? `${(x / 1000).toFixed(2)} ms` : `${x.toFixed(x >= 100 ? 0 : 1)} µs`);
const fmtRatio = (x) => (x === null || !Number.isFinite(x) ? '—' : `${x.toFixed(x >= 10 ? 1 : 2)}x`);

function problems(c) {
  if (!c) return '';
  const p = [];
  if (c.failed) p.push(`${c.failed} failed`);
  if (c.closed) p.push(`${c.closed} closed`);
  if (c.errors) p.push(`${c.errors} errors`);
  if (c.missing) p.push(`${c.missing} missing`);
  if (c.ready !== undefined && c.ready < c.conns + (c.mode === 'fanout' ? 1 : 0)) p.push(`${c.ready} of ${c.conns} open`);
  // a loaded server runs near 100 % of its CPU; well under it, something
  // else on the machine took the CPU (or the load generator could not keep up)
  if ((c.mode === 'rpc' && c.conns * c.inflight >= 64) || c.mode === 'send' || c.mode === 'fanout')
    if (c.server_cpu_pct >= 0 && c.server_cpu_pct < 85) p.push(`server at ${Math.round(c.server_cpu_pct)} % CPU`);
  return p.length ? ` (${p.join(', ')})` : '';
}

// a row: label, value(c) -> number, format, higher is better?
const table = [];
function row(label, scen, value, fmt, higherBetter, by = null) {
  const vals = {};
  const cellText = {};
  for (const s of SERVERS) {
    const c = cell(scen, s, by);
    const v = c ? value(c) : null;
    vals[s] = v;
    cellText[s] = c && v !== null && v !== undefined ? fmt(v, c) + problems(c) : '—';
  }
  const ratio = (s) => {
    if (vals.lv === null || vals[s] === null || vals.lv === undefined || vals[s] === undefined || !vals[s]) return null;
    return vals.lv / vals[s];
  };
  table.push({ label, cellText, ratios: { 'lws-batched': ratio('lws-batched'), 'lws-naive': ratio('lws-naive'),
                                          ws: ratio('ws'), sio: ratio('sio') }, higherBetter });
}

const lat = (c) => c.p50_us;
const byP50 = (c) => c.p50_us;   // latency rows: the run of lowest p50
const latText = (v, c) => `${fmtUs(c.p50_us)} / ${fmtUs(c.p99_us)} / ${fmtUs(c.p999_us)}`;
row('rpc 1x1: calls/s', 'rpc-1x1', (c) => c.ops_per_s, fmtN, true);
row('rpc 1x1: latency p50 / p99 / p99.9', 'rpc-1x1', lat, latText, false, byP50);
row('rpc 1x1, same CPU: latency p50 / p99 / p99.9', 'rpc-1x1-same', lat, latText, false, byP50);
row('rpc 64x16: calls/s', 'rpc-64x16', (c) => c.ops_per_s, fmtN, true);
row('rpc 64x16: latency p50 / p99 / p99.9', 'rpc-64x16', lat, latText, false, byP50);
row('rpc 64x16: CPU server / load generator', 'rpc-64x16', (c) => c.server_cpu_pct,
    (v, c) => `${Math.round(c.server_cpu_pct)} % / ${Math.round(c.cpu_pct)} %`, null);
row('rpc 1000x1: calls/s', 'rpc-1000', (c) => c.ops_per_s, fmtN, true);
row('rpc 1000x1: latency p50 / p99 / p99.9', 'rpc-1000', lat, latText, false, byP50);
row('realtime in (64x4x32): messages/s', 'send', (c) => c.ops_per_s, fmtN, true);
for (const n of [1000, 10000]) {
  row(`fan-out to ${n / 1000 >= 10 ? '10,000' : '1,000'}: deliveries/s`, `fanout-${n}`,
      (c) => c.deliveries_per_s, fmtN, true);
  row(`fan-out to ${n / 1000 >= 10 ? '10,000' : '1,000'}: time to the last, p50 / p99`, `fanout-${n}`,
      (c) => c.last_p50_us, (v, c) => `${fmtUs(c.last_p50_us)} / ${fmtUs(c.last_p99_us)}`, false);

}
row('idle memory per connection (10,000 open)', 'idle-10000', (c) => c.kib_per_conn,
    (v) => `${v.toFixed(2)} KiB`, false);

const httpRows = [];
// HTTP rpc against the socket: lv's own two rows, the ratio in the HTTP row
for (const s of ['lv', 'lv-uv']) {
  const sock = cell('rpc-64x1', s);
  const http = cell('http-64', s);
  if (!sock && !http) continue;
  const name = NAMES[s];
  httpRows.push(`| ${name} | ${sock ? fmtN(sock.ops_per_s) + '/s, ' + latText(0, sock) + problems(sock) : '—'} | ` +
    `${http ? fmtN(http.ops_per_s) + '/s, ' + latText(0, http) + (http.errors ? ` (${http.errors} errors)` : '') : '—'} | ` +
    `${http ? `${Math.round(http.server_cpu_pct)} %, ${http.server_cpu_us_per_op} µs` : '—'} | ` +
    `${sock && http ? fmtRatio(http.ops_per_s / sock.ops_per_s) : '—'} |`);
}

// A state flushed to N pages, lv's own rows: the group's one copy against
// every page's own copy with the same change, in the same run
const stateRows = [];
for (const s of ['lv', 'lv-uv']) {
  for (const n of [100, 1000]) {
    const c = cell(`state-${n}`, s, (r) => -(r.rounds ?? 0));
    if (!c) continue;
    const bad = [c.missing ? `${c.missing} missing` : '', c.errors ? `${c.errors} errors` : '',
                 c.ready !== undefined && c.ready < c.conns + 1 ? `${c.ready} of ${c.conns} open` : '']
      .filter(Boolean).join(', ');
    const per = (us) => `${fmtUs(us)} (${(1000 * us / n).toFixed(us * 1000 / n >= 100 ? 0 : 1)} ns a page)`;
    stateRows.push(`| ${NAMES[s]}, ${n.toLocaleString('en')} pages | ` +
      `${c.group_flushes_per_s.toFixed(0)}/s, ${fmtUs(c.group_last_p50_us)} / ${fmtUs(c.group_last_p99_us)}, ${per(c.group_cpu_us_mean)} | ` +
      `${c.conn_flushes_per_s.toFixed(0)}/s, ${fmtUs(c.conn_last_p50_us)} / ${fmtUs(c.conn_last_p99_us)}, ${per(c.conn_cpu_us_mean)} | ` +
      `${fmtRatio(c.cpu_ratio)}${bad ? ` (${bad})` : ''} |`);
  }
}

// A push to a group, lv's own rows: the server thread's CPU time of the
// push, from 100 to 10,000 members
const pushRows = [];
for (const s of ['lv', 'lv-uv']) {
  for (const n of [100, 1000, 10000]) {
    const c = cell(`fanout-${n}`, s);
    if (!c || c.push_cpu_us_mean === undefined) continue;
    pushRows.push(`| ${NAMES[s]}, ${n.toLocaleString('en')} members | ${fmtUs(c.push_cpu_us_p50)} / ${fmtUs(c.push_cpu_us_mean)} | ` +
      `${(1000 * c.push_cpu_us_mean / n).toFixed(0)} ns | ${fmtN(c.deliveries_per_s)}/s, ${fmtUs(c.last_p50_us)}${problems(c)} |`);
  }
}

const head = ['measure', ...SERVERS.map((s) => NAMES[s]), 'lv / lws batched', 'lv / lws per-frame', 'lv / ws', 'lv / Socket.IO'];
const lines = [];
lines.push(`| ${head.join(' | ')} |`);
lines.push(`|${head.map((h, i) => (i === 0 ? '---' : '---:')).join('|')}|`);
for (const r of table) {
  const rs = ['lws-batched', 'lws-naive', 'ws', 'sio'].map((s) => (r.higherBetter === null ? '' : fmtRatio(r.ratios[s])));
  lines.push(`| ${r.label} | ${SERVERS.map((s) => r.cellText[s]).join(' | ')} | ${rs.join(' | ')} |`);
}

// targets
const t = [];
const c64 = (s) => cell('rpc-64x16', s);
function target(name, value, ok, how) {
  const v = value === null || value === undefined || !Number.isFinite(value) ? null : value;
  t.push(`| ${name} | ${v === null ? '—' : how(v)} | ${v === null ? 'not measured' : ok(v) ? '**met**' : '**missed**'} |`);
}
const r64 = (s) => (c64('lv') && c64(s) ? c64('lv').ops_per_s / c64(s).ops_per_s : null);
target('rpc/s at 64x16: lv ≥ 4x Node ws', r64('ws'), (v) => v >= 4, fmtRatio);
target('rpc/s at 64x16: lv ≥ 4x Socket.IO', r64('sio'), (v) => v >= 4, fmtRatio);
target('rpc/s at 64x16: lv ≥ 2x lws per-frame echo', r64('lws-naive'), (v) => v >= 2, fmtRatio);
target('rpc/s at 64x16: lv ≥ 0.3x lws batched echo', r64('lws-batched'), (v) => v >= 0.3, fmtRatio);
for (const [scen, what] of [['rpc-1x1', 'across CPUs'], ['rpc-1x1-same', 'same CPU']]) {
  const lv = cell(scen, 'lv', byP50);
  for (const e of ['lws-batched', 'lws-naive']) {
    const o = cell(scen, e, byP50);
    target(`rpc 1x1 (${what}): lv p50 ≤ 1.1x ${NAMES[e]} echo`, lv && o ? lv.p50_us / o.p50_us : null,
           (v) => v <= 1.1, (v) => `${fmtRatio(v)} (${fmtUs(lv.p50_us)} vs ${fmtUs(o.p50_us)})`);
  }
}
const idle = cell('idle-10000', 'lv');
target('idle memory: lv ≤ 6 KiB per connection', idle ? idle.kib_per_conn : null, (v) => v <= 6,
       (v) => `${v.toFixed(2)} KiB`);
const one = cell('loadgen-check', 'one');
const a = cell('loadgen-check', 'two-a');
const b = cell('loadgen-check', 'two-b');
if (one && a && b) {
  const gain = (a.ops_per_s + b.ops_per_s) / one.ops_per_s;
  const ok = gain < 1.1 && one.cpu_pct < 95 && one.server_cpu_pct >= 90;
  t.push(`| the load generator is not the bottleneck (lws batched, 64x16): the server's CPU is saturated, the load generator's is not, and two load generators of 32x16 get no more than one | one: ${fmtN(one.ops_per_s)}/s, load generator ${Math.round(one.cpu_pct)} % CPU, server ${Math.round(one.server_cpu_pct)} %; two: ${fmtN(a.ops_per_s + b.ops_per_s)}/s (${fmtRatio(gain)}) | ${ok ? '**yes**' : '**not shown**'} |`);
}

const loads = rows.map((r) => r.load1).filter((x) => x !== undefined && x >= 0);
const loadText = loads.length ? ` Load average (1 min) at the end of the runs: ${Math.min(...loads).toFixed(2)} to ${Math.max(...loads).toFixed(2)}.` : '';
const md = [
  `Figures: the best of ${cell('rpc-64x16', 'lv')?.runs ?? 1} runs in rpc rows, of ${cell('send', 'lv')?.runs ?? 1} in the realtime and 1,000-subscriber rows, one run otherwise (best: the highest throughput; in latency rows the lowest p50). ` +
  `Ratios: lv's figure over the other's (above 1 is better for lv in throughput rows; below 1 is better in latency and memory rows). ` +
  `Server and load generator ${pinning === 'pinned' ? 'pinned to CPU 0 and CPU 1' : 'not pinned'}.` + loadText,
  '',
  ...lines,
  '',
  ...(httpRows.length ? ['HTTP rpc (`POST /lv/rpc/echo`, wrk, 64 at once, a connection per request as lv answers one request per connection) against the same 64 as socket calls, one in flight each:', '',
    '| server | socket: calls/s, p50 / p99 / p99.9 | HTTP: requests/s, p50 / p99 / p99.9 | HTTP: server CPU, per request | HTTP / socket |',
    '|---|---:|---:|---:|---:|', ...httpRows, ''] : []),
  ...(stateRows.length ? ['A state flushed to every page of a group: each round one change (a number and a line of text), alternately to the group\'s one copy (`scope: group`, serialised once) and to each page\'s own copy (`scope: conn`, serialised once per page), in the same run. Flushes/s back to back, the time until the last page has the patch (p50 / p99), and the server thread\'s CPU time of the flush (the socket writes come after it), mean:', '',
    '| server, pages | group: flushes/s, last p50 / p99, CPU per flush | per page: flushes/s, last p50 / p99, CPU per flush | CPU per page / group |',
    '|---|---:|---:|---:|', ...stateRows, ''] : []),
  ...(pushRows.length ? ['A push to a group (`tick(n)` to every member of "subs" by `fanout`): the server thread\'s CPU time of the push, which encodes it once and queues it on each member (the socket writes come after it):', '',
    '| server, members | CPU per push, p50 / mean | per member | deliveries/s, time to the last p50 |',
    '|---|---:|---:|---:|', ...pushRows, ''] : []),
  '| target | measured | verdict |',
  '|---|---|---|',
  ...t,
];
const text = md.join('\n') + '\n';
fs.writeFileSync(mdOut, text);
process.stdout.write(text);
