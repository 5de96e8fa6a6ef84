// patch.test.js - patch.js: the JSON Patch conformance suite (npm json-patch-test-suite), structural sharing, all-or-nothing, the errors, and property tests of diff and coalesce.
import assert from "node:assert/strict";
import { createRequire } from "node:module";
import { test } from "node:test";

import {
	PatchError, REASONS, applyPatch, coalesce, deepEqual, diff, parsePointer, valueAt,
} from "../../runtime/js/patch.js";
import { clone, deepFreeze, random, randomDoc, randomOps, randomValue } from "./randomjson.js";

const require = createRequire(import.meta.url);

/* The PatchError fn throws. */
function failure(fn) {
	try {
		fn();
	} catch (e) {
		assert.ok(e instanceof PatchError, `expected a PatchError, got ${e?.stack || e}`);
		return e;
	}
	return assert.fail("no error was thrown");
}

// ---- the conformance suite ----------------------------------------------------------

for (const file of ["tests.json", "spec_tests.json"]) {
	test(`json-patch-test-suite ${file}: every case not disabled gives its result or its error`, (t) => {
		const cases = require(`json-patch-test-suite/${file}`);
		const count = { results: 0, errors: 0, applied: 0, disabled: 0 };
		for (const [i, c] of cases.entries()) {
			const name = `${file} #${i} ${c.comment || c.error || ""}`;
			if (c.disabled) {
				count.disabled++;
				continue;
			}
			const before = clone(c.doc);
			if ("error" in c) {
				const e = failure(() => applyPatch(c.doc, c.patch));
				assert.ok(REASONS.includes(e.reason), `${name}: reason ${e.reason}`);
				assert.ok(e.index >= 0 && e.index < c.patch.length, `${name}: index ${e.index}`);
				assert.match(e.message, new RegExp(`^op ${e.index}[ :]`), name);
				count.errors++;
			} else {
				const result = applyPatch(c.doc, c.patch);
				if ("expected" in c) {
					assert.deepStrictEqual(result, c.expected, name);
					count.results++;
				} else {
					// the cases with neither are tests that pass: nothing changes
					assert.ok(c.patch.every((op) => op.op === "test"), name);
					assert.equal(result, c.doc, name);
					count.applied++;
				}
			}
			assert.deepStrictEqual(c.doc, before, `${name}: the document is left as it was`);
		}
		t.diagnostic(`${file}: ${cases.length} cases: ${count.results} results, ${count.errors} errors, ` +
			`${count.applied} passing tests, ${count.disabled} disabled (skipped)`);
		assert.equal(count.results + count.errors + count.applied + count.disabled, cases.length);
		assert.ok(count.results > 10 && count.errors > 3);
	});
}

// ---- structural sharing ---------------------------------------------------------------

test("sharing: only the containers on the changed paths are new; the rest is the old document's", () => {
	const doc = deepFreeze({
		a: { b: { c: 1, d: [1, 2] }, e: { f: 1 } },
		g: [{ h: 1 }, { i: 2 }],
		j: "k",
	});
	const before = clone(doc);
	const r = applyPatch(doc, [{ op: "replace", path: "/a/b/c", value: 2 }, { op: "add", path: "/g/1/x", value: [3] }]);
	assert.deepStrictEqual(r, {
		a: { b: { c: 2, d: [1, 2] }, e: { f: 1 } },
		g: [{ h: 1 }, { i: 2, x: [3] }],
		j: "k",
	});
	assert.notEqual(r, doc);
	assert.notEqual(r.a, doc.a);
	assert.notEqual(r.a.b, doc.a.b);
	assert.equal(r.a.b.d, doc.a.b.d, "a sibling on a changed path is shared");
	assert.equal(r.a.e, doc.a.e);
	assert.notEqual(r.g, doc.g);
	assert.equal(r.g[0], doc.g[0]);
	assert.notEqual(r.g[1], doc.g[1]);
	assert.deepStrictEqual(doc, before, "the old document is unchanged");
	assert.ok(Object.isFrozen(r) && Object.isFrozen(r.a.b) && Object.isFrozen(r.g[1].x), "the new parts are frozen");
});

test("sharing: a container several ops change is copied once in the patch", () => {
	// the containers count how often they are read whole (a copy reads them whole)
	const copies = { obj: 0, list: 0 };
	const obj = new Proxy({ x: 1, y: 2 }, {
		ownKeys(t) {
			copies.obj++;
			return Reflect.ownKeys(t);
		},
	});
	const list = new Proxy([1, 2, 3], {
		get(t, k, r) {
			if (k === "constructor")          // what slice() reads once per copy
				copies.list++;
			return Reflect.get(t, k, r);
		},
	});
	const doc = { obj, list, other: { z: 1 } };
	const r = applyPatch(doc, [
		{ op: "replace", path: "/obj/x", value: 10 },
		{ op: "add", path: "/obj/w", value: 0 },
		{ op: "remove", path: "/obj/y" },
		{ op: "add", path: "/list/0", value: 0 },
		{ op: "remove", path: "/list/3" },
		{ op: "replace", path: "/list/1", value: 9 },
	]);
	assert.deepStrictEqual(r, { obj: { x: 10, w: 0 }, list: [0, 9, 2], other: { z: 1 } });
	assert.deepEqual(copies, { obj: 1, list: 1 });
	assert.equal(r.other, doc.other);
});

test("sharing: an empty patch and a passing test return the document itself", () => {
	const doc = deepFreeze({ a: [1] });
	assert.equal(applyPatch(doc, []), doc);
	assert.equal(applyPatch(doc, [{ op: "test", path: "/a", value: [1] }]), doc);
	assert.equal(applyPatch(doc, [{ op: "move", from: "/a", path: "/a" }]), doc, "a move onto itself");
});

test("values: the ops' values are copied, not kept (frozen ones are shared), and the result is frozen", () => {
	const value = { deep: { list: [1] } };
	const part = deepFreeze({ shared: true });
	const ops = [{ op: "add", path: "/v", value }, { op: "add", path: "/p", value: part }];
	const r = applyPatch({}, ops);
	value.deep.list.push(2);
	assert.deepStrictEqual(r.v, { deep: { list: [1] } });
	assert.ok(Object.isFrozen(r.v.deep.list));
	assert.ok(!Object.isFrozen(value), "the op's value is not frozen");
	assert.equal(r.p, part, "a frozen value is shared as it is");
});

test("values: a copy is a value of its own, also of parts the same patch made", () => {
	const r = applyPatch({ a: { n: 1 } }, [
		{ op: "add", path: "/a/m", value: 2 },             // /a is a new object of this patch
		{ op: "copy", from: "/a", path: "/b" },
		{ op: "add", path: "/b/o", value: 3 },            // changes /b, not /a
		{ op: "copy", from: "/b", path: "/c" },
		{ op: "remove", path: "/c/n" },
	]);
	assert.deepStrictEqual(r, { a: { n: 1, m: 2 }, b: { n: 1, m: 2, o: 3 }, c: { m: 2, o: 3 } });
	const old = deepFreeze({ x: { y: [1] } });
	const s = applyPatch(old, [{ op: "copy", from: "/x", path: "/z" }]);
	assert.equal(s.z, old.x, "a copy of an untouched part shares it");
});

test("freeze: false leaves the new parts unfrozen", () => {
	const r = applyPatch({ a: {} }, [{ op: "add", path: "/a/b", value: { c: [] } }], { freeze: false });
	assert.ok(!Object.isFrozen(r) && !Object.isFrozen(r.a.b) && !Object.isFrozen(r.a.b.c));
});

// ---- all or nothing ---------------------------------------------------------------------

test("atomic: a failing op throws with its index, and nothing of the patch is seen", () => {
	const doc = deepFreeze({ a: { b: 1 }, list: [1, 2] });
	const before = clone(doc);
	const e = failure(() => applyPatch(doc, [
		{ op: "replace", path: "/a/b", value: 2 },
		{ op: "add", path: "/list/-", value: 3 },
		{ op: "remove", path: "/a/nope" },
		{ op: "add", path: "/z", value: 1 },
	]));
	assert.equal(e.index, 2);
	assert.equal(e.reason, "missing");
	assert.equal(e.path, "/a/nope");
	assert.equal(e.message, "op 2 (remove /a/nope): /a/nope: no such member");
	assert.deepStrictEqual(doc, before);
	const unfrozen = { a: { b: 1 } };
	failure(() => applyPatch(unfrozen, [{ op: "replace", path: "/a/b", value: 5 }, { op: "test", path: "/a/b", value: 1 }]));
	assert.deepStrictEqual(unfrozen, { a: { b: 1 } }, "an unfrozen document is not changed in place either");
});

// ---- the rules, one by one -----------------------------------------------------------------

test("pointers: ~0 and ~1, the empty name, names that are Object's, __proto__", () => {
	assert.deepEqual(parsePointer(""), []);
	assert.deepEqual(parsePointer("/"), [""]);
	assert.deepEqual(parsePointer("/a~1b/~0/~01"), ["a/b", "~", "~1"]);
	const doc = { "a/b": 1, "~": 2, "": 3 };
	assert.deepStrictEqual(applyPatch(doc, [{ op: "replace", path: "/a~1b", value: 4 }, { op: "remove", path: "/~0" },
		{ op: "replace", path: "/", value: 5 }]), { "a/b": 4, "": 5 });
	assert.equal(failure(() => applyPatch({}, [{ op: "remove", path: "/toString" }])).reason, "missing");
	assert.equal(valueAt({}, "/constructor"), undefined);
	const r = applyPatch({}, [{ op: "add", path: "/__proto__", value: { polluted: true } }]);
	assert.ok(Object.prototype.hasOwnProperty.call(r, "__proto__"));
	assert.equal(Object.getPrototypeOf(r), Object.prototype);
	assert.equal(/** @type {any} */ ({}).polluted, undefined);
	assert.deepEqual(valueAt(r, "/__proto__"), { polluted: true });
});

test("errors: bad pointers", () => {
	for (const [path, msg] of [
		["a/b", "op 0: replace path: pointer 'a/b' does not begin with '/'"],
		["/a~2", "op 0: replace path: pointer '/a~2': '~' must be followed by 0 or 1 (in 'a~2')"],
		["/a~", "op 0: replace path: pointer '/a~': '~' must be followed by 0 or 1 (in 'a~')"],
	]) {
		const e = failure(() => applyPatch({ a: 1 }, [{ op: "replace", path, value: 1 }]));
		assert.equal(e.reason, "bad_pointer");
		assert.equal(e.message, msg);
	}
	assert.equal(failure(() => applyPatch({ a: 1 }, [{ op: "copy", from: "a", path: "/b" }])).message,
		"op 0: copy from: pointer 'a' does not begin with '/'");
});

test("errors: list indexes: no leading zero, '-' only to add, within range", () => {
	const doc = { l: [1, 2] };
	const reason = (op) => {
		const e = failure(() => applyPatch(doc, [op]));
		return [e.reason, e.message];
	};
	assert.deepEqual(reason({ op: "replace", path: "/l/01", value: 0 }),
		["bad_index", "op 0 (replace /l/01): /l/01: '01' is not a list index"]);
	assert.deepEqual(reason({ op: "remove", path: "/l/-" }),
		["bad_index", "op 0 (remove /l/-): /l/-: '-' (past the end of the list) names no item here"]);
	assert.deepEqual(reason({ op: "test", path: "/l/-", value: 1 })[0], "bad_index");
	assert.deepEqual(reason({ op: "copy", from: "/l/-", path: "/x" })[0], "bad_index");
	assert.deepEqual(reason({ op: "remove", path: "/l/2" }),
		["bad_index", "op 0 (remove /l/2): /l/2: index 2 is out of range (the list has 2 items)"]);
	assert.deepEqual(reason({ op: "add", path: "/l/3", value: 0 })[0], "bad_index");
	assert.deepEqual(reason({ op: "add", path: "/l/99999999999999999999", value: 0 })[0], "bad_index");
	assert.deepEqual(reason({ op: "add", path: "/l/ 1", value: 0 })[0], "bad_index");
	assert.deepStrictEqual(applyPatch(doc, [{ op: "add", path: "/l/2", value: 3 }, { op: "add", path: "/l/-", value: 4 },
		{ op: "add", path: "/l/0", value: 0 }]), { l: [0, 1, 2, 3, 4] });
	assert.deepStrictEqual(applyPatch({ l: { "01": 1, "-": 2 } }, [{ op: "remove", path: "/l/01" },
		{ op: "remove", path: "/l/-" }]), { l: {} }, "on an object they are names like any other");
});

test("errors: through a scalar, a missing parent, the wrong kind of op", () => {
	assert.deepEqual([failure(() => applyPatch({ a: 1 }, [{ op: "add", path: "/a/b", value: 1 }])).reason,
		failure(() => applyPatch({ a: 1 }, [{ op: "add", path: "/a/b", value: 1 }])).message],
	["not_container", "op 0 (add /a/b): /a: a number has no members"]);
	assert.equal(failure(() => applyPatch({ a: null }, [{ op: "remove", path: "/a/b/c" }])).message,
		"op 0 (remove /a/b/c): /a: null has no members");
	assert.equal(failure(() => applyPatch("s", [{ op: "add", path: "/x", value: 1 }])).reason, "not_container");
	assert.equal(failure(() => applyPatch({}, [{ op: "add", path: "/a/b", value: 1 }])).message,
		"op 0 (add /a/b): /a: no such member");
	const invalid = (ops) => {
		const e = failure(() => applyPatch({ a: 1 }, /** @type {any} */ (ops)));
		assert.equal(e.reason, "invalid_op");
		return e.message;
	};
	assert.equal(invalid({ op: "add" }), "a patch must be a list of operations, got an object");
	assert.equal(invalid([null]), "op 0: an operation must be an object, got null");
	assert.equal(invalid([{ path: "/a" }]), "op 0: missing 'op'");
	assert.equal(invalid([{ op: "Add", path: "/a", value: 1 }]), "op 0: unknown op 'Add' (add, remove, replace, move, copy or test)");
	assert.equal(invalid([{ op: "remove" }]), "op 0: remove: missing 'path'");
	assert.equal(invalid([{ op: "remove", path: 3 }]), "op 0: remove: 'path' must be a string, got a number");
	assert.equal(invalid([{ op: "test", path: "/a", value: 1 }, { op: "replace", path: "/a" }]), "op 1: replace /a: missing 'value'");
	assert.equal(invalid([{ op: "move", path: "/b" }]), "op 0: move: missing 'from'");
});

test("errors: values with no JSON form", () => {
	for (const [value, msg] of [
		[NaN, "op 0 (add /x): /x: NaN and infinity have no JSON form"],
		[{ f: () => 1 }, "op 0 (add /x): /x/f: a function is not a JSON value"],
		[[1, undefined], "op 0 (add /x): /x/1: undefined has no JSON form"],
		[{ d: new Date(0) }, "op 0 (add /x): /x/d: a Date is not a JSON value"],
		[new Map(), "op 0 (add /x): /x: a Map is not a JSON value"],
		[10n, "op 0 (add /x): /x: a bigint is not a JSON value"],
	]) {
		const e = failure(() => applyPatch({}, [{ op: "add", path: "/x", value }]));
		assert.deepEqual([e.reason, e.index, e.message], ["not_json", 0, msg]);
	}
	assert.deepStrictEqual(applyPatch({}, [{ op: "add", path: "/x", value: { u: undefined, k: 1 } }]), { x: { k: 1 } },
		"undefined members are left out, as JSON.stringify does");
	assert.deepStrictEqual(applyPatch({}, [{ op: "add", path: "/x", value: Object.assign(Object.create(null), { n: 1 }) }]),
		{ x: { n: 1 } }, "an object with no prototype is plain");
});

test("test: objects whatever their order, lists in order, numbers by value, kinds strictly", () => {
	const doc = { o: { a: 1, b: [1, { c: null }] }, n: 1, s: "1", z: null };
	const passes = (path, value) => {
		try {
			applyPatch(doc, [{ op: "test", path, value }]);
			return true;
		} catch (e) {
			assert.equal(e.reason, "test_failed");
			assert.match(e.message, /^op 0 \(test .*\): .*the value is not the one tested/);
			return false;
		}
	};
	assert.ok(passes("/o", { b: [1, { c: null }], a: 1 }));
	assert.ok(!passes("/o/b", [{ c: null }, 1]));
	assert.ok(passes("/n", 1.0));
	assert.ok(!passes("/n", "1"));
	assert.ok(!passes("/s", 1));
	assert.ok(!passes("/z", false));
	assert.ok(!passes("/o", { a: 1 }), "a member fewer");
	assert.ok(!passes("/o", { a: 1, b: [1, { c: null }], d: 1 }), "a member more");
	assert.ok(!passes("/o/b", { 0: 1, 1: { c: null } }), "an object is not a list");
	assert.ok(passes("", doc));
	assert.equal(failure(() => applyPatch(doc, [{ op: "test", path: "/nope", value: 1 }])).reason, "missing");
	assert.ok(deepEqual(-0, 0));
});

test("move: into its own child is refused; elsewhere it is a remove then an add", () => {
	const doc = { a: { b: { c: 1 } }, l: [1, 2, 3] };
	const e = failure(() => applyPatch(doc, [{ op: "move", from: "/a", path: "/a/b/x" }]));
	assert.equal(e.reason, "into_itself");
	assert.equal(e.message, "op 0 (move /a/b/x): /a/b/x: cannot move /a into its own child");
	assert.equal(failure(() => applyPatch(doc, [{ op: "move", from: "", path: "/x" }])).reason, "into_itself");
	assert.deepStrictEqual(applyPatch(doc, [{ op: "move", from: "/a", path: "/ab" }]), { ab: { b: { c: 1 } }, l: [1, 2, 3] },
		"/a is not a prefix of /ab");
	assert.deepStrictEqual(applyPatch(doc, [{ op: "move", from: "/l/0", path: "/l/2" }]).l, [2, 3, 1]);
	assert.deepStrictEqual(applyPatch(doc, [{ op: "move", from: "/a/b", path: "" }]), { c: 1 }, "a child to the root");
	assert.equal(failure(() => applyPatch(doc, [{ op: "move", from: "/nope", path: "/nope" }])).reason, "missing",
		"a move onto itself still needs its value");
	const frozen = deepFreeze(clone(doc));
	const moved = applyPatch(frozen, [{ op: "move", from: "/a/b", path: "/m" }]);
	assert.equal(moved.m, frozen.a.b, "a moved subtree is the same object");
});

test("the root: replace, add, copy to it, test it; removing it is refused", () => {
	assert.equal(applyPatch({ a: 1 }, [{ op: "replace", path: "", value: "bar" }]), "bar");
	assert.deepStrictEqual(applyPatch("foo", [{ op: "add", path: "", value: [1] }, { op: "add", path: "/-", value: 2 }]), [1, 2]);
	assert.deepStrictEqual(applyPatch({ a: [1] }, [{ op: "copy", from: "/a", path: "" }]), [1]);
	assert.equal(applyPatch(null, [{ op: "test", path: "", value: null }]), null);
	const e = failure(() => applyPatch({ a: 1 }, [{ op: "remove", path: "" }]));
	assert.deepEqual([e.reason, e.message], ["root", "op 0 (remove ): the whole document cannot be removed"]);
});

// ---- diff ----------------------------------------------------------------------------

test("diff: members added, removed, changed; lists item by item, or replaced when their length differs", () => {
	assert.deepStrictEqual(diff({ a: 1, b: { c: 2, d: 3 }, e: [1, 2] }, { b: { c: 2, d: 4 }, e: [1, 5], f: "x" }), [
		{ op: "remove", path: "/a" },
		{ op: "replace", path: "/b/d", value: 4 },
		{ op: "replace", path: "/e/1", value: 5 },
		{ op: "add", path: "/f", value: "x" },
	]);
	assert.deepStrictEqual(diff({ l: [1, 2] }, { l: [1, 2, 3] }), [{ op: "replace", path: "/l", value: [1, 2, 3] }]);
	assert.deepStrictEqual(diff({ "a/b": 1, "~": 1 }, { "a/b": 2 }), [{ op: "remove", path: "/~0" },
		{ op: "replace", path: "/a~1b", value: 2 }]);
	assert.deepStrictEqual(diff([1], { 0: 1 }), [{ op: "replace", path: "", value: { 0: 1 } }]);
	assert.deepStrictEqual(diff({ a: 1 }, { a: 1, u: undefined }), [], "an undefined member is no member");
	assert.deepStrictEqual(diff({ a: 1 }, { a: 1.0 }), []);
	assert.deepStrictEqual(diff(1, 1), []);
	assert.equal(failure(() => diff([1], [undefined])).reason, "not_json");
});

test("diff: a subtree the two share is not looked into", () => {
	const shared = {};
	Object.defineProperty(shared, "trap", {
		enumerable: true,
		get() {
			throw new Error("diff read inside a shared subtree");
		},
	});
	const a = { shared, n: 1 };
	assert.deepStrictEqual(diff(a, { shared, n: 2 }), [{ op: "replace", path: "/n", value: 2 }]);
	const big = deepFreeze({ rows: Array.from({ length: 2000 }, (_, i) => ({ id: i, tags: ["x"] })), meta: { n: 0 } });
	const next = applyPatch(big, [{ op: "replace", path: "/rows/1500/tags/0", value: "y" }]);
	assert.deepStrictEqual(diff(big, next), [{ op: "replace", path: "/rows/1500/tags/0", value: "y" }]);
});

test("diff: round trip on random documents: apply(a, diff(a, b)) deep-equals b", () => {
	const rnd = random(20240611);
	const start = Date.now();
	let ops = 0;
	for (let i = 0; i < 3000; i++) {
		const a = deepFreeze(randomDoc(rnd));
		// b: unrelated, or a changed by a few ops (so that it shares parts of a)
		const b = rnd.chance(0.3) ? randomDoc(rnd) : randomOps(rnd, a, 1 + rnd.int(5)).result;
		const d = diff(a, b);
		ops += d.length;
		assert.deepStrictEqual(applyPatch(a, d), b, `seed run ${i}: ${JSON.stringify({ a, b, d })}`);
		assert.deepStrictEqual(diff(b, b), []);
	}
	assert.ok(ops > 3000, "the diffs were not empty");
	assert.ok(Date.now() - start < 2000, `took ${Date.now() - start} ms`);
});

// ---- coalesce --------------------------------------------------------------------------

const paths = (ops) => ops.map((o) => `${o.op} ${o.path}${"value" in o ? " " + JSON.stringify(o.value) : ""}`);

test("coalesce: the last replace of a path wins; a replace or a remove drops what was under it", () => {
	assert.deepEqual(paths(coalesce([
		{ op: "replace", path: "/a", value: 1 },
		{ op: "replace", path: "/b", value: 1 },
		{ op: "replace", path: "/a", value: 2 },
	])), ["replace /b 1", "replace /a 2"]);
	assert.deepEqual(paths(coalesce([
		{ op: "add", path: "/o/x", value: 1 },
		{ op: "replace", path: "/o/y/z", value: 1 },
		{ op: "remove", path: "/o/w" },
		{ op: "replace", path: "/other", value: 1 },
		{ op: "replace", path: "/o", value: {} },
	])), ["replace /other 1", "replace /o {}"]);
	assert.deepEqual(paths(coalesce([
		{ op: "add", path: "/l/0", value: 1 },
		{ op: "replace", path: "/l/1/a", value: 1 },
		{ op: "remove", path: "/l" },
	])), ["remove /l"]);
	assert.deepEqual(paths(coalesce([
		{ op: "replace", path: "/a/b", value: 1 },
		{ op: "replace", path: "", value: 7 },
	])), ["replace  7"]);
});

test("coalesce: add then remove cancel; add then replace is one add; remove then add is a replace", () => {
	assert.deepEqual(coalesce([{ op: "add", path: "/x", value: 1 }, { op: "add", path: "/x/y", value: 2 },
		{ op: "remove", path: "/x" }]), []);
	assert.deepEqual(paths(coalesce([{ op: "add", path: "/x", value: 1 }, { op: "remove", path: "/x" }], { addCreates: false })),
		["add /x 1", "remove /x"], "unless adds may have replaced a member");
	assert.deepEqual(paths(coalesce([{ op: "add", path: "/l/1", value: 1 }, { op: "replace", path: "/l/1", value: 2 }])),
		["add /l/1 2"]);
	assert.deepEqual(paths(coalesce([{ op: "remove", path: "/x" }, { op: "add", path: "/x", value: 3 }])), ["replace /x 3"]);
});

test("coalesce: nothing merges across a shift of the list on the path, a move, a copy or a test", () => {
	const keep = (ops) => assert.deepEqual(coalesce(ops), ops);
	keep([{ op: "replace", path: "/l/1", value: 1 }, { op: "add", path: "/l/0", value: 0 }, { op: "replace", path: "/l/1", value: 2 }]);
	keep([{ op: "replace", path: "/l/2/a", value: 1 }, { op: "remove", path: "/l/0" }, { op: "remove", path: "/l/2" }]);
	keep([{ op: "replace", path: "/a", value: 1 }, { op: "test", path: "/a", value: 1 }, { op: "replace", path: "/a", value: 2 }]);
	keep([{ op: "replace", path: "/a", value: 1 }, { op: "copy", from: "/a", path: "/b" }, { op: "replace", path: "/a", value: 2 }]);
	keep([{ op: "replace", path: "/a/b", value: 1 }, { op: "move", from: "/c", path: "/a/d" }, { op: "remove", path: "/a" }]);
	keep([{ op: "add", path: "/l/1", value: 1 }, { op: "add", path: "/l/1", value: 2 }]);
	// beside the path, or after it in its list, nothing stops the merge
	assert.deepEqual(paths(coalesce([
		{ op: "replace", path: "/l/0", value: 1 },
		{ op: "add", path: "/l/1", value: 9 },
		{ op: "add", path: "/l/-", value: 8 },
		{ op: "add", path: "/o/k", value: 7 },
		{ op: "replace", path: "/l/0", value: 2 },
	])), ["add /l/1 9", "add /l/- 8", "add /o/k 7", "replace /l/0 2"]);
});

test("coalesce: the ops given are not changed; malformed ones throw as in applyPatch", () => {
	const ops = [{ op: "add", path: "/x", value: 1 }, { op: "replace", path: "/x", value: 2 }];
	const copy = clone(ops);
	const out = coalesce(ops);
	assert.deepStrictEqual(ops, copy);
	assert.notEqual(out, ops);
	const e = failure(() => coalesce([{ op: "replace", path: "/x", value: 1 }, { op: "jump", path: "/x" }]));
	assert.deepEqual([e.reason, e.index], ["invalid_op", 1]);
});

test("coalesce: a long patch takes linear time; merges look back over at most 256 ops kept", () => {
	const ops = Array.from({ length: 20000 }, (_, i) => ({ op: "replace", path: `/k${i}`, value: i }));
	const start = Date.now();
	assert.equal(coalesce(ops).length, 20000);
	assert.equal(coalesce([...ops, ...ops]).length, 40000, "the same paths 20000 ops later: beyond the look-back");
	const near = ops.slice(0, 200);
	assert.deepEqual(coalesce([...near, ...near.map((o) => ({ ...o, value: -1 }))]).map((o) => o.value),
		Array(200).fill(-1), "within it, the later ones win");
	assert.ok(Date.now() - start < 2000, `took ${Date.now() - start} ms`);
});

/* Random sequences that apply to random documents: coalesced, they give the same document. */
function coalesceProperty(seed, runs, options) {
	const rnd = random(seed);
	let given = 0;
	let kept = 0;
	for (let i = 0; i < runs; i++) {
		const doc = deepFreeze(randomDoc(rnd));
		const { ops, result } = randomOps(rnd, doc, 1 + rnd.int(12), options);
		const merged = coalesce(ops, { addCreates: options.addCreates });
		given += ops.length;
		kept += merged.length;
		let got;
		try {
			got = applyPatch(doc, merged);
		} catch (e) {
			assert.fail(`run ${i}: the coalesced patch fails (${e.message}): ${JSON.stringify({ doc, ops, merged })}`);
		}
		assert.deepStrictEqual(got, result, `run ${i}: ${JSON.stringify({ doc, ops, merged })}`);
		assert.ok(merged.length <= ops.length);
	}
	return { given, kept };
}

test("coalesce: property: apply(coalesce(ops)) == apply(ops), adds that create (as the store writes them)", (t) => {
	const start = Date.now();
	const { given, kept } = coalesceProperty(7, 4000, { addCreates: true });
	t.diagnostic(`4000 sequences, ${given} ops coalesced into ${kept}, ${Date.now() - start} ms`);
	assert.ok(kept < given * 0.8, "coalescing removed a good part of the ops");
	assert.ok(Date.now() - start < 2000, `took ${Date.now() - start} ms`);
});

test("coalesce: property: any valid add, remove, replace, move, copy or test, with addCreates: false", (t) => {
	const start = Date.now();
	const kinds = ["add", "remove", "replace", "add", "remove", "replace", "move", "copy", "test"];
	const { given, kept } = coalesceProperty(99, 4000, { addCreates: false, kinds });
	t.diagnostic(`4000 sequences, ${given} ops coalesced into ${kept}, ${Date.now() - start} ms`);
	assert.ok(kept < given * 0.95);
	assert.ok(Date.now() - start < 2000, `took ${Date.now() - start} ms`);
});

test("random values: the generator makes every kind, __proto__ members included", () => {
	const rnd = random(3);
	const seen = new Set();
	for (let i = 0; i < 500; i++) {
		const v = randomValue(rnd, 2);
		seen.add(v === null ? "null" : Array.isArray(v) ? "list" : typeof v);
		if (v && typeof v === "object" && !Array.isArray(v) && Object.prototype.hasOwnProperty.call(v, "__proto__"))
			seen.add("__proto__");
	}
	assert.deepEqual([...seen].sort(), ["__proto__", "boolean", "list", "null", "number", "object", "string"]);
});
