#!/usr/bin/env node
// gen-schema.js - writes an equivalent pair of schemas of a chosen size: an
// lv interface file (NAME.lv) and a proto3 file (NAME.proto) with the same
// structs/messages, enums and endpoints/rpcs, for comparing lvc with protoc.
//
// usage: node bench/gen-schema.js --endpoints N --structs M --out DIR
//                                 [--name NAME] [--seed S] [--enums E]
//
// The output is a pure function of the arguments (seeded PRNG, no clock), so
// two runs with the same arguments write byte-identical files.
//
// How the two files correspond:
//   struct Foo { a: int; ... }     message Foo { int64 a = 1; ... }
//   int, float, string, bool       int64, double, string, bool
//   list<T>                        repeated T
//   T?                             optional T
//   enum E { x, y }                enum E { E_X = 0; E_Y = 1; }
//                                  (proto3 enum values share one scope per
//                                  package, hence the prefix)
//   @server.rpc f(p: T) -> R;      rpc F(FRequest) returns (R);
//                                  message FRequest { T p = 1; }
//   @server.realtime g(p: T);      rpc G(GRequest) returns (Empty);
//   @client.realtime h(p: T);      the same, in a second service BenchClient
// Decorator policy (auth, http, timeout, delivery) and parameter defaults
// have no proto3 equivalent and are only in the .lv file.
// An ES module, like the rest of the repository's JavaScript.

import fs from 'node:fs';
import path from 'node:path';

function usage(msg) {
	const text = 'usage: node bench/gen-schema.js --endpoints N --structs M --out DIR ' +
		'[--name NAME] [--seed S] [--enums E]\n' +
		'writes DIR/NAME.lv and DIR/NAME.proto (NAME defaults to big, S to 1, E to M/10)\n';
	if (!msg) {
		process.stdout.write(text);
		process.exit(0);
	}
	process.stderr.write(`gen-schema: ${msg}\n${text}`);
	process.exit(2);
}

function parseArgs(argv) {
	const o = { name: 'big', seed: 1, endpoints: NaN, structs: NaN, enums: NaN, out: null };
	for (let i = 0; i < argv.length; i++) {
		const a = argv[i];
		const v = argv[i + 1];
		switch (a) {
		case '--endpoints': o.endpoints = Number(v); i++; break;
		case '--structs': o.structs = Number(v); i++; break;
		case '--enums': o.enums = Number(v); i++; break;
		case '--seed': o.seed = Number(v); i++; break;
		case '--name': o.name = v; i++; break;
		case '--out': o.out = v; i++; break;
		case '--help': case '-h': usage();
		default: usage(`unknown argument '${a}'`);
		}
	}
	if (!Number.isInteger(o.endpoints) || o.endpoints < 1) usage('--endpoints takes a positive integer');
	if (!Number.isInteger(o.structs) || o.structs < 1) usage('--structs takes a positive integer');
	if (Number.isNaN(o.enums)) o.enums = Math.max(1, Math.round(o.structs / 10));
	if (!Number.isInteger(o.enums) || o.enums < 1) usage('--enums takes a positive integer');
	if (!Number.isInteger(o.seed)) usage('--seed takes an integer');
	if (!o.out) usage('--out DIR is required');
	if (!/^[A-Za-z0-9_.-]+$/.test(o.name || '')) usage('--name takes a plain file name');
	return o;
}

// mulberry32: small, fast and good enough for picking shapes.
function prng(seed) {
	let s = seed >>> 0;
	const next = () => {
		s = (s + 0x6d2b79f5) >>> 0;
		let t = s;
		t = Math.imul(t ^ (t >>> 15), t | 1);
		t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
		return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
	};
	return {
		next,
		int: (lo, hi) => lo + Math.floor(next() * (hi - lo + 1)), // inclusive
		pick: (arr) => arr[Math.floor(next() * arr.length)],
		chance: (p) => next() < p,
	};
}

// Words that are valid names in lv (not C or JS reserved, not taken by the
// generated C, no has_ prefix), in proto3, and in the generated code of both.
const FIELD_WORDS = [
	'id', 'name', 'title', 'label', 'count', 'total', 'price', 'amount', 'quantity',
	'created', 'updated', 'owner', 'email', 'phone', 'street', 'city', 'country',
	'zip', 'score', 'rank', 'level', 'weight', 'height', 'width', 'depth', 'color',
	'status', 'kind', 'note', 'summary', 'body', 'text', 'url', 'path', 'size',
	'limit', 'offset', 'revision', 'enabled', 'visible', 'active', 'archived', 'tags',
	'items', 'children', 'parent', 'author', 'room', 'channel', 'topic', 'origin',
	'target', 'start_at', 'end_at', 'duration', 'latitude', 'longitude', 'ratio',
	'priority', 'region', 'zone', 'tenant', 'account', 'session_ref', 'checksum',
	'reason', 'comment', 'locale', 'currency', 'discount', 'serial', 'model',
	'vendor', 'firmware', 'uptime', 'voltage', 'current_ma', 'temperature',
	'humidity', 'pressure', 'threshold', 'interval_ms', 'retries', 'attempts',
	'position', 'velocity', 'heading', 'battery', 'signal', 'mode', 'flags', 'notes',
];
const NOUNS = [
	'Order', 'Invoice', 'Customer', 'Product', 'Shipment', 'Device', 'Sensor',
	'Reading', 'Alarm', 'Room', 'Message', 'Member', 'Ticket', 'Comment', 'Account',
	'Session', 'Report', 'Metric', 'Job', 'Task', 'Route', 'Zone', 'Camera', 'Frame',
	'Track', 'Playlist', 'Player', 'Match', 'Item', 'Warehouse', 'Supplier',
	'Contract', 'Payment', 'Refund', 'Coupon', 'Review', 'Profile', 'Address',
	'Schedule', 'Valve', 'Pump', 'Meter', 'Gateway', 'Firmware', 'Channel', 'Board',
];
const ENUM_MEMBERS = [
	'idle', 'active', 'paused', 'stopped', 'pending', 'failed', 'ok', 'low',
	'medium', 'high', 'critical', 'open', 'closed', 'draft', 'published', 'archived',
	'red', 'green', 'blue', 'north', 'south', 'east', 'west', 'manual', 'auto',
];
// fieldList walks FIELD_WORDS with these steps; each must be coprime with its
// length so that up to 12 consecutive picks are distinct.
const STEPS = [1, 3, 5, 7];
const gcd = (a, b) => (b ? gcd(b, a % b) : a);
if (STEPS.some((k) => gcd(k, FIELD_WORDS.length) !== 1))
	throw new Error('gen-schema: a step shares a factor with FIELD_WORDS.length');
const RPC_VERBS = ['get', 'list', 'create', 'update', 'remove', 'find', 'count', 'sync',
	'reset', 'assign', 'approve', 'export'];
const SERVER_RT_VERBS = ['touch', 'report', 'watch', 'nudge', 'log'];
const CLIENT_RT_VERBS = ['push', 'notify', 'refresh', 'highlight', 'show'];
const ROLES = ['admin', 'operator', 'viewer'];

const snake = (s) => s.replace(/([a-z0-9])([A-Z])/g, '$1_$2').toLowerCase();
const pascal = (s) => s.split('_').map((w) => w.charAt(0).toUpperCase() + w.slice(1)).join('');

function generate(o) {
	const r = prng(o.seed);

	// ---- enums ----
	const enums = [];
	for (let k = 0; k < o.enums; k++) {
		const name = `${NOUNS[k % NOUNS.length]}Status${k}`;
		const n = r.int(3, 8);
		const start = r.int(0, ENUM_MEMBERS.length - 1);
		const members = [];
		for (let i = 0; i < n; i++)
			members.push(ENUM_MEMBERS[(start + i * 7) % ENUM_MEMBERS.length]);
		enums.push({ name, members, doc: r.chance(0.3) });
	}

	// A type is { kind: 'int'|'float'|'string'|'bool'|'enum'|'struct', ref,
	//             list: bool, optional: bool }.
	// Nested structs refer only to structs declared earlier, so no struct
	// contains itself by value.
	const enumUsed = new Array(o.enums).fill(false);
	const structUsed = new Array(o.structs).fill(false);
	function randomType(maxStruct, allowOptional) {
		const x = r.next();
		let t;
		if (x < 0.24) t = { kind: 'int' };
		else if (x < 0.34) t = { kind: 'float' };
		else if (x < 0.60) t = { kind: 'string' };
		else if (x < 0.70) t = { kind: 'bool' };
		else if (x < 0.80) t = { kind: 'enum', ref: r.int(0, o.enums - 1) };
		else if (maxStruct > 0) t = { kind: 'struct', ref: r.int(0, maxStruct - 1) };
		else t = { kind: 'string' };
		const y = r.next();
		t.list = y < 0.15;
		t.optional = !t.list && allowOptional && y < 0.30;
		if (t.kind === 'enum') enumUsed[t.ref] = true;
		if (t.kind === 'struct') structUsed[t.ref] = true;
		return t;
	}

	function fieldList(n, maxStruct, allowOptional) {
		const start = r.int(0, FIELD_WORDS.length - 1);
		const step = r.pick(STEPS);
		const fields = [];
		for (let i = 0; i < n; i++) {
			// Distinct within the list: an odd step walks all the words.
			const name = FIELD_WORDS[(start + i * step) % FIELD_WORDS.length];
			fields.push({ name, type: randomType(maxStruct, allowOptional) });
		}
		return fields;
	}

	// ---- structs ----
	const structs = [];
	for (let i = 0; i < o.structs; i++) {
		const name = `${NOUNS[i % NOUNS.length]}${i}`;
		const fields = fieldList(r.int(3, 12), i, true);
		structs.push({ name, fields, doc: r.chance(0.3) });
	}

	// ---- endpoints ----
	const endpoints = [];
	let rpcs = 0;
	for (let j = 0; j < o.endpoints; j++) {
		const x = r.next();
		const kind = x < 0.80 ? 'rpc' : x < 0.92 ? 'server_rt' : 'client_rt';
		const noun = snake(NOUNS[r.int(0, NOUNS.length - 1)]);
		const verb = r.pick(kind === 'rpc' ? RPC_VERBS : kind === 'server_rt' ? SERVER_RT_VERBS
			: CLIENT_RT_VERBS);
		const name = `${verb}_${noun}_${j}`;
		const params = fieldList(r.int(kind === 'rpc' ? 0 : 1, 5), o.structs, true);
		const e = { name, kind, params, doc: r.chance(0.3), decos: [] };
		if (kind === 'rpc') {
			// Round robin first, so every struct is a result somewhere.
			e.result = rpcs < o.structs ? rpcs : r.int(0, o.structs - 1);
			structUsed[e.result] = true;
			rpcs++;
			const y = r.next();
			if (y < 0.10) e.decos.push('@server.rpc(http)');
			else if (y < 0.15) e.decos.push('@server.rpc(timeout: 5s)');
			else e.decos.push('@server.rpc');
			const z = r.next();
			if (z < 0.05) e.decos.unshift('@public');
			else if (z < 0.15) e.decos.unshift(`@auth("${r.pick(ROLES)}")`);
			// Some defaults, lv only: an int limit, a bool flag.
			for (const p of e.params)
				if (!p.type.list && !p.type.optional && r.chance(0.15)) {
					if (p.type.kind === 'int') p.def = String(r.int(0, 100));
					else if (p.type.kind === 'bool') p.def = 'false';
				}
		} else if (kind === 'server_rt') {
			e.decos.push(r.chance(0.3) ? '@server.realtime(delivery: volatile)' : '@server.realtime');
		} else {
			e.decos.push(r.chance(0.3) ? '@client.realtime(delivery: volatile)' : '@client.realtime');
		}
		endpoints.push(e);
	}

	// Anything still unused becomes a parameter of some rpc (or endpoint), so
	// lvc prints no unused-type warnings.
	const hosts = endpoints;
	let h = 0;
	const addParam = (t) => {
		const e = hosts[h++ % hosts.length];
		e.params.push({ name: `extra_${e.params.length}`, type: t });
	};
	structUsed.forEach((u, i) => { if (!u) addParam({ kind: 'struct', ref: i, list: false, optional: false }); });
	enumUsed.forEach((u, k) => { if (!u) addParam({ kind: 'enum', ref: k, list: false, optional: false }); });

	return { enums, structs, endpoints };
}

// ---- writers ----------------------------------------------------------------

function lvType(s, t) {
	let base;
	switch (t.kind) {
	case 'enum': base = s.enums[t.ref].name; break;
	case 'struct': base = s.structs[t.ref].name; break;
	default: base = t.kind;
	}
	if (t.list) return `list<${base}>`;
	return t.optional ? `${base}?` : base;
}

function protoType(s, t) {
	let base;
	switch (t.kind) {
	case 'int': base = 'int64'; break;
	case 'float': base = 'double'; break;
	case 'enum': base = s.enums[t.ref].name; break;
	case 'struct': base = s.structs[t.ref].name; break;
	default: base = t.kind;
	}
	if (t.list) return `repeated ${base}`;
	return t.optional ? `optional ${base}` : base;
}

function writeLv(s, o) {
	const out = [];
	out.push(`/// A generated benchmark schema: ${o.endpoints} endpoints, ${o.structs} structs, ` +
		`${o.enums} enums (seed ${o.seed}).`);
	out.push('@auth("member")');
	out.push('module bench;');
	out.push('');
	for (const e of s.enums) {
		if (e.doc) out.push(`/// States of ${e.name}.`);
		out.push(`enum ${e.name} { ${e.members.join(', ')} }`);
		out.push('');
	}
	for (const st of s.structs) {
		if (st.doc) out.push(`/// One ${st.name} record.`);
		out.push(`struct ${st.name} {`);
		for (const f of st.fields) out.push(`    ${f.name}: ${lvType(s, f.type)};`);
		out.push('}');
		out.push('');
	}
	for (const e of s.endpoints) {
		if (e.doc) out.push(`/// Endpoint ${e.name}.`);
		for (const d of e.decos) out.push(d);
		const params = e.params.map((p) => `${p.name}: ${lvType(s, p.type)}` +
			(p.def !== undefined ? ` = ${p.def}` : '')).join(', ');
		const result = e.kind === 'rpc' ? ` -> ${s.structs[e.result].name}` : '';
		out.push(`${e.name}(${params})${result};`);
		out.push('');
	}
	return out.join('\n');
}

function writeProto(s, o) {
	const out = [];
	out.push(`// A generated benchmark schema: ${o.endpoints} endpoints, ${o.structs} structs, ` +
		`${o.enums} enums (seed ${o.seed}).`);
	out.push('syntax = "proto3";');
	out.push('');
	out.push('package bench;');
	out.push('');
	out.push('message Empty {}');
	out.push('');
	for (const e of s.enums) {
		if (e.doc) out.push(`// States of ${e.name}.`);
		const prefix = snake(e.name).toUpperCase();
		out.push(`enum ${e.name} {`);
		e.members.forEach((m, i) => out.push(`  ${prefix}_${m.toUpperCase()} = ${i};`));
		out.push('}');
		out.push('');
	}
	const message = (name, fields, doc) => {
		if (doc) out.push(doc);
		out.push(`message ${name} {`);
		fields.forEach((f, i) => out.push(`  ${protoType(s, f.type)} ${f.name} = ${i + 1};`));
		out.push('}');
		out.push('');
	};
	for (const st of s.structs)
		message(st.name, st.fields, st.doc ? `// One ${st.name} record.` : null);
	for (const e of s.endpoints)
		message(`${pascal(e.name)}Request`, e.params, null);
	const service = (name, list) => {
		out.push(`service ${name} {`);
		for (const e of list) {
			if (e.doc) out.push(`  // Endpoint ${e.name}.`);
			const ret = e.kind === 'rpc' ? s.structs[e.result].name : 'Empty';
			out.push(`  rpc ${pascal(e.name)}(${pascal(e.name)}Request) returns (${ret});`);
		}
		out.push('}');
		out.push('');
	};
	service('Bench', s.endpoints.filter((e) => e.kind !== 'client_rt'));
	service('BenchClient', s.endpoints.filter((e) => e.kind === 'client_rt'));
	return out.join('\n');
}

function main() {
	const o = parseArgs(process.argv.slice(2));
	const s = generate(o);
	fs.mkdirSync(o.out, { recursive: true });
	fs.writeFileSync(path.join(o.out, `${o.name}.lv`), writeLv(s, o));
	fs.writeFileSync(path.join(o.out, `${o.name}.proto`), writeProto(s, o));
}

main();
