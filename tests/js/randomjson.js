// randomjson.js - what the property tests of patch.js and store.js share: a seeded random source, random JSON documents, and random JSON Patch ops that apply to a given document.
import { applyPatch } from "../../runtime/js/patch.js";

/** A seeded random source (xorshift32): next() in [0, 1), int(n) in [0, n), pick(list). */
export function random(seed) {
	let x = seed >>> 0 || 1;
	const next = () => {
		x ^= x << 13;
		x >>>= 0;
		x ^= x >>> 17;
		x ^= x << 5;
		x >>>= 0;
		return x / 4294967296;
	};
	const int = (n) => Math.floor(next() * n);
	return { next, int, pick: (list) => list[int(list.length)], chance: (p) => next() < p };
}

/* Member names that exercise the pointer escapes and numeric names on objects. */
export const KEYS = ["a", "b", "c", "0", "1", "-", "~", "x/y", "", "__proto__"];

/** A random JSON value, at most depth levels of containers deep. */
export function randomValue(rnd, depth = 3) {
	const r = rnd.int(depth > 0 ? 10 : 6);
	switch (r) {
	case 0: return null;
	case 1: return rnd.chance(0.5);
	case 2: return rnd.int(5);
	case 3: return rnd.pick([1.5, -2, 0, 1e21]);
	case 4:
	case 5: return rnd.pick(["", "s", "t", "~1", "1"]);
	case 6:
	case 7: {
		const n = rnd.int(4);
		return Array.from({ length: n }, () => randomValue(rnd, depth - 1));
	}
	default: {
		const o = {};
		const n = rnd.int(4);
		for (let i = 0; i < n; i++)
			Object.defineProperty(o, rnd.pick(KEYS), {
				value: randomValue(rnd, depth - 1), enumerable: true, writable: true, configurable: true,
			});
		return o;
	}
	}
}

/** A random document: an object or a list at the root, mostly. */
export function randomDoc(rnd) {
	const v = randomValue(rnd, 3);
	return v !== null && typeof v === "object" ? v : { a: v, b: [1, { c: 2 }] };
}

const esc = (t) => String(t).replace(/~/g, "~0").replace(/\//g, "~1");

/** Every pointer of a document with its value: [{path, value}], the root first. */
export function paths(doc) {
	const out = [];
	const walk = (v, p) => {
		out.push({ path: p, value: v });
		if (Array.isArray(v))
			v.forEach((x, i) => walk(x, `${p}/${i}`));
		else if (v !== null && typeof v === "object")
			for (const k of Object.keys(v))
				walk(v[k], `${p}/${esc(k)}`);
	};
	walk(doc, "");
	return out;
}

/**
 * A random op that applies to doc. near: a pointer the op likes to be at,
 * under or beside (the last op's), so that sequences touch the same places.
 * kinds: which ops may come. addCreates: adds only create (never over a
 * member that is there; those are replaces).
 */
export function randomOp(rnd, doc, { near = null, kinds = ["add", "remove", "replace"], addCreates = true } = {}) {
	const all = paths(doc);
	const containers = all.filter((x) => x.value !== null && typeof x.value === "object");
	const closeTo = (list) => {
		if (near === null || !rnd.chance(0.7))
			return rnd.pick(list);
		const close = list.filter((x) => x.path === near || x.path.startsWith(near + "/") || near.startsWith(x.path + "/"));
		return close.length > 0 ? rnd.pick(close) : rnd.pick(list);
	};
	/* A place an add may go: [container pointer, token]. */
	const addPlace = () => {
		if (containers.length === 0)
			return null;
		const c = closeTo(containers);
		if (Array.isArray(c.value))
			return `${c.path}/${rnd.chance(0.3) ? "-" : rnd.int(c.value.length + 1)}`;
		const free = KEYS.filter((k) => !Object.prototype.hasOwnProperty.call(c.value, k));
		const key = addCreates || rnd.chance(0.5) ? (free.length > 0 ? rnd.pick(free) : null) : rnd.pick(KEYS);
		return key === null ? null : `${c.path}/${esc(key)}`;
	};
	for (let attempt = 0; attempt < 50; attempt++) {
		const kind = rnd.pick(kinds);
		let op;
		if (kind === "add") {
			const path = addPlace();
			if (path === null)
				continue;
			op = { op: "add", path, value: randomValue(rnd, 2) };
		} else if (kind === "remove") {
			if (all.length < 2)
				continue;
			op = { op: "remove", path: closeTo(all.slice(1)).path };
		} else if (kind === "replace") {
			const root = all.length < 2 || rnd.chance(0.05);
			op = { op: "replace", path: root ? "" : closeTo(all.slice(1)).path, value: randomValue(rnd, 2) };
		} else if (kind === "test") {
			const x = closeTo(all);
			op = { op: "test", path: x.path, value: x.value };
		} else {
			if (all.length < 2)
				continue;
			const path = addPlace();
			if (path === null)
				continue;
			op = { op: kind, from: closeTo(all.slice(1)).path, path };
		}
		try {
			applyPatch(doc, [op], { freeze: false });
		} catch {
			continue;                            // a move into itself, an index past the end after the remove
		}
		return op;
	}
	return { op: "test", path: "", value: doc };
}

/** n random ops that apply one after the other to doc: {ops, result}. */
export function randomOps(rnd, doc, n, options = {}) {
	const ops = [];
	let d = doc;
	let near = null;
	for (let i = 0; i < n; i++) {
		const op = randomOp(rnd, d, { ...options, near });
		ops.push(op);
		d = applyPatch(d, [op], { freeze: false });
		near = op.path;
	}
	return { ops, result: d };
}

/** A deep copy of a JSON value (its own keys, __proto__ included). */
export function clone(v) {
	if (Array.isArray(v))
		return v.map(clone);
	if (v !== null && typeof v === "object") {
		const o = {};
		for (const k of Object.keys(v))
			Object.defineProperty(o, k, { value: clone(v[k]), enumerable: true, writable: true, configurable: true });
		return o;
	}
	return v;
}

/** Freezes a JSON value all the way down; returns it. */
export function deepFreeze(v) {
	if (v !== null && typeof v === "object") {
		for (const k of Object.keys(v))
			deepFreeze(v[k]);
		Object.freeze(v);
	}
	return v;
}
