// store.test.js - store.js: the server's revisions (next one or a snapshot, else a typed error), subscribers once per revision after the change, subscribePath by identity, and the page's set/update/takePending checked against a copy fed by the batches.
import assert from "node:assert/strict";
import { test } from "node:test";

import { PatchError, applyPatch } from "../../runtime/js/patch.js";
import { StoreError, createStore } from "../../runtime/js/store.js";
import { deepFreeze, random, randomValue } from "./randomjson.js";

const snapshot = (value) => [{ op: "replace", path: "", value }];

/* The error fn throws, checked to be of the class given. */
function failure(fn, cls) {
	try {
		fn();
	} catch (e) {
		assert.ok(e instanceof cls, `expected a ${cls.name}, got ${e?.stack || e}`);
		return e;
	}
	return assert.fail("no error was thrown");
}

// ---- the server's state -----------------------------------------------------------------

test("apply: the next revision, or a snapshot at any revision; anything else is a StoreError to resync on", () => {
	const store = createStore();
	assert.equal(store.get(), null);
	assert.equal(store.rev, 0);
	store.apply(12, snapshot({ plant: { temp: 20, valves: [true, false] } }));
	assert.equal(store.rev, 12);
	store.apply(13, [{ op: "replace", path: "/plant/temp", value: 21 }]);
	assert.equal(store.select("/plant/temp"), 21);
	let e = failure(() => store.apply(15, [{ op: "replace", path: "/plant/temp", value: 22 }]), StoreError);
	assert.deepEqual([e.code, e.expected, e.got, e.message],
		["revision", 14, 15, "lv store: revision 15 does not follow 13 and is not a snapshot: resync"]);
	e = failure(() => store.apply(13, [{ op: "replace", path: "/plant/temp", value: 22 }]), StoreError);
	assert.equal(e.code, "revision", "a revision again is not the next one");
	for (const bad of [1.5, -1, "14", NaN])
		assert.equal(failure(() => store.apply(/** @type {any} */ (bad), []), StoreError).code, "revision");
	assert.equal(store.rev, 13);
	assert.equal(store.select("/plant/temp"), 21, "nothing applied");
	store.apply(3, snapshot({ fresh: true }));
	assert.deepEqual([store.rev, store.get()], [3, { fresh: true }], "a snapshot starts over, even lower");
	store.apply(4, []);
	assert.equal(store.rev, 4, "an empty patch is a revision too");
});

test("apply: a failing patch throws its PatchError and leaves snapshot, revision and subscribers alone", () => {
	const store = createStore({ a: 1, list: [1] });
	const before = store.get();
	const calls = [];
	store.subscribe(() => calls.push("store"));
	store.subscribePath("/a", () => calls.push("a"));
	const e = failure(() => store.apply(1, [
		{ op: "replace", path: "/a", value: 2 },
		{ op: "add", path: "/list/5", value: 0 },
	]), PatchError);
	assert.deepEqual([e.reason, e.index], ["bad_index", 1]);
	assert.equal(store.get(), before);
	assert.equal(store.rev, 0);
	assert.deepEqual(calls, []);
	store.apply(1, [{ op: "replace", path: "/a", value: 2 }]);
	assert.deepEqual(calls, ["store", "a"], "the same revision, well formed, goes in");
});

test("snapshots: the initial value is copied and frozen; each revision is frozen and shares what it did not change", () => {
	const initial = { a: { b: [1] }, c: { d: 1 } };
	const store = createStore(initial);
	initial.a.b.push(2);
	assert.deepEqual(store.get(), { a: { b: [1] }, c: { d: 1 } });
	assert.ok(Object.isFrozen(store.get().a.b));
	const first = store.get();
	store.apply(1, [{ op: "add", path: "/a/b/-", value: 2 }]);
	assert.equal(store.get().c, first.c);
	assert.notEqual(store.get().a, first.a);
	assert.ok(Object.isFrozen(store.get().a.b));
	assert.deepEqual(first, { a: { b: [1] }, c: { d: 1 } }, "the snapshot before is unchanged");
	const loose = createStore({ a: {} }, { freeze: false });
	loose.apply(1, [{ op: "add", path: "/a/b", value: {} }]);
	assert.ok(!Object.isFrozen(loose.get()) && !Object.isFrozen(loose.get().a.b));
	assert.throws(() => createStore({ f: () => 1 }), (err) => err instanceof PatchError && err.reason === "not_json" &&
		err.message === "lv store: createStore: /f: a function is not a JSON value");
});

// ---- subscribers -------------------------------------------------------------------------

test("subscribe: once per revision, after the whole patch, with the snapshot and rev; unsubscribe", () => {
	const store = createStore({ x: 0, y: 0 });
	const seen = [];
	const off = store.subscribe((s, rev) => {
		assert.equal(s, store.get(), "the store already has the new snapshot");
		seen.push([rev, s.x, s.y]);
	});
	store.apply(1, [{ op: "replace", path: "/x", value: 1 }, { op: "replace", path: "/y", value: 1 }]);
	store.apply(2, [{ op: "replace", path: "/x", value: 2 }]);
	off();
	off();
	store.apply(3, [{ op: "replace", path: "/x", value: 3 }]);
	assert.deepEqual(seen, [[1, 1, 1], [2, 2, 1]]);
});

test("subscribe: a change made by a subscriber gets its turn after the current one, every subscriber once per revision", () => {
	const store = createStore({ n: 0 });
	const log = [];
	store.subscribe((s, rev) => {
		log.push(`first ${rev}`);
		if (rev === 1)
			store.apply(2, [{ op: "replace", path: "/n", value: 2 }]);
	});
	store.subscribe((s, rev) => log.push(`second ${rev} n=${s.n}`));
	store.apply(1, [{ op: "replace", path: "/n", value: 1 }]);
	assert.deepEqual(log, ["first 1", "second 1 n=1", "first 2", "second 2 n=2"]);
	assert.equal(store.rev, 2);
});

test("subscribe: a subscriber that throws goes to onError and the others still run; one removed by another is not called", () => {
	const errors = [];
	const store = createStore({}, { onError: (e) => errors.push(e.message) });
	const log = [];
	let offThird = () => {};
	store.subscribe(() => {
		throw new Error("boom");
	});
	store.subscribe(() => {
		log.push("second");
		offThird();
	});
	offThird = store.subscribe(() => log.push("third"));
	store.apply(1, []);
	assert.deepEqual(errors, ["boom"]);
	assert.deepEqual(log, ["second"]);
});

test("subscribePath: called when the value at the path is another one (by identity), with the one before", () => {
	const store = createStore({ a: { b: 1 }, c: { d: 1 }, list: [{ id: 1 }] });
	const calls = [];
	store.subscribePath("/a/b", (v, prev) => calls.push(["a/b", v, prev]));
	store.subscribePath("/c", (v) => calls.push(["c", v]));
	store.subscribePath("/list/0", (v) => calls.push(["list/0", v]));
	store.subscribePath("/gone", (v, prev) => calls.push(["gone", v, prev]));
	store.apply(1, [{ op: "replace", path: "/a/b", value: 2 }]);
	store.apply(2, [{ op: "add", path: "/list/-", value: { id: 2 } }]);
	store.apply(3, [{ op: "add", path: "/gone", value: 1 }]);
	store.apply(4, [{ op: "remove", path: "/gone" }]);
	store.apply(5, [{ op: "replace", path: "/c", value: { d: 1 } }]);
	assert.deepEqual(calls, [
		["a/b", 2, 1],
		["gone", 1, undefined],
		["gone", undefined, 1],
		["c", { d: 1 }],                        // equal, but another object: the server replaced it
	]);
	assert.throws(() => store.subscribePath("nope", () => {}), (e) => e instanceof PatchError && e.reason === "bad_pointer");
	assert.throws(() => store.subscribePath("/a", /** @type {any} */ (null)),
		{ name: "TypeError", message: "lv store: subscribePath needs a function, got null" });
	assert.throws(() => store.subscribe(/** @type {any} */ ("f")),
		{ name: "TypeError", message: "lv store: subscribe needs a function, got string" });
	assert.throws(() => store.update(/** @type {any} */ ({})),
		{ name: "TypeError", message: "lv store: update needs a function, got object" });
});

test("the shape useSyncExternalStore wants: subscribe and get need no this; select reads paths", () => {
	const store = createStore({ user: { name: "ann" } });
	const { subscribe, get, select } = store;
	let renders = 0;
	// what React does: subscribe(onStoreChange) and compare getSnapshot() by identity
	let last = get();
	const unsubscribe = subscribe(() => {
		if (get() !== last) {
			last = get();
			renders++;
		}
	});
	store.set("/user/name", "bob");
	store.set("/user/name", "bob");           // no change, no new snapshot
	assert.equal(renders, 1);
	assert.equal(select("/user/name"), "bob");
	assert.equal(select("/user/age"), undefined);
	assert.equal(select(""), get());
	unsubscribe();
});

// ---- the page's state ------------------------------------------------------------------

test("set: applies at once, queues the ops; takePending hands them over coalesced, then null; a batch is a revision", () => {
	const store = createStore({ prefs: { theme: "light" }, tabs: [] });
	const seen = [];
	store.subscribe((s) => seen.push(s.prefs.theme));
	store.set("/prefs/theme", "dark");
	store.set("/prefs/theme", "blue");
	store.set("/tabs/-", { id: 1 });
	store.set("/prefs/size", 12);
	assert.deepEqual(seen, ["dark", "blue", "blue", "blue"]);
	assert.deepEqual(store.get(), { prefs: { theme: "blue", size: 12 }, tabs: [{ id: 1 }] });
	assert.equal(store.rev, 0);
	assert.deepEqual(store.takePending(), [
		{ op: "replace", path: "/prefs/theme", value: "blue" },
		{ op: "add", path: "/tabs/-", value: { id: 1 } },
		{ op: "add", path: "/prefs/size", value: 12 },
	]);
	assert.equal(store.rev, 1);
	assert.equal(store.takePending(), null);
	assert.equal(store.rev, 1);
	store.set("/draft", "x");
	store.update(({ draft, ...rest }) => rest);
	assert.equal(store.takePending(), null, "added and removed: nothing to send");
	assert.equal(store.rev, 1);
});

test("set: only what differs becomes ops; the value is the store's own from then on", () => {
	const store = createStore({ user: { name: "a", tags: ["x"] } });
	const value = { name: "b", tags: ["x"] };
	store.set("/user", value);
	value.tags.push("mutated");
	assert.deepEqual(store.get().user, { name: "b", tags: ["x"] });
	const ops = store.takePending();
	assert.deepEqual(ops, [{ op: "replace", path: "/user/name", value: "b" }]);
	store.set("/user/tags", ["x", "y"]);
	const [op] = /** @type {any[]} */ (store.takePending());
	assert.deepEqual(op, { op: "replace", path: "/user/tags", value: ["x", "y"] });
	assert.ok(Object.isFrozen(op.value), "a queued value cannot change under the sender");
	store.set("", { other: 1 });
	assert.deepEqual(store.takePending(), [{ op: "remove", path: "/user" }, { op: "add", path: "/other", value: 1 }]);
});

test("set and update: errors leave the snapshot and the queue alone", () => {
	const store = createStore({ a: { b: 1 }, list: [1] });
	const before = store.get();
	let e = failure(() => store.set("/missing/x", 1), PatchError);
	assert.deepEqual([e.reason, e.message], ["missing", "op 0 (add /missing/x): /missing: no such member"]);
	assert.equal(failure(() => store.set("/list/3", 1), PatchError).reason, "bad_index");
	assert.equal(failure(() => store.set("no-slash", 1), PatchError).reason, "bad_pointer");
	e = failure(() => store.set("/a/b", undefined), PatchError);
	assert.equal(e.message, "lv store: set /a/b: undefined has no JSON form");
	e = failure(() => store.update((s) => ({ ...s, when: new Date(0) })), PatchError);
	assert.deepEqual([e.reason, e.path, e.message], ["not_json", "/when", "lv store: update: /when: a Date is not a JSON value"]);
	e = failure(() => store.set("/list", [1, undefined]), PatchError);
	assert.deepEqual([e.reason, e.message], ["not_json", "lv store: set: /list/1: undefined has no JSON form"]);
	e = failure(() => store.set("/a", { f: Symbol("s") }), PatchError);
	assert.equal(e.message, "lv store: set: /a/f: a symbol is not a JSON value");
	assert.equal(failure(() => store.update(() => undefined), PatchError).reason, "not_json");
	assert.equal(store.get(), before);
	assert.equal(store.takePending(), null);
});

test("update: the next snapshot shares what the function kept; unchanged parts keep their identity", () => {
	const store = createStore({ rows: [{ id: 1 }, { id: 2 }], meta: { n: 2 } });
	const rows = store.get().rows;
	const seen = [];
	store.subscribePath("/rows", () => seen.push("rows"));
	store.subscribePath("/meta", () => seen.push("meta"));
	store.update((s) => ({ ...s, meta: { n: 3 } }));
	assert.equal(store.get().rows, rows);
	assert.deepEqual(seen, ["meta"]);
	store.update((s) => ({ ...s, meta: { n: 3 } }));
	assert.deepEqual(seen, ["meta"], "an equal value is no change: no op, the old object stays");
	assert.deepEqual(store.takePending(), [{ op: "replace", path: "/meta/n", value: 3 }]);
	const same = store.get();
	assert.equal(store.update((s) => s), same);
	assert.equal(store.takePending(), null);
});

test("apply while the page's changes wait is refused (StoreError pending); after the take it goes in", () => {
	const store = createStore({ a: 1 });
	store.set("/a", 2);
	const e = failure(() => store.apply(1, snapshot({ a: 9 })), StoreError);
	assert.equal(e.code, "pending");
	assert.equal(store.select("/a"), 2);
	store.takePending();
	store.apply(5, snapshot({ a: 9 }));
	assert.deepEqual([store.rev, store.get()], [5, { a: 9 }]);
});

test("property: the batches of random sets and updates, applied in order to a copy, give the page's snapshot", () => {
	const rnd = random(4242);
	const start = Date.now();
	let sent = 0;
	for (let run = 0; run < 300; run++) {
		const initial = { a: { x: 1 }, list: [1, 2], n: 0 };
		const store = createStore(initial);
		let server = deepFreeze(structuredClone(initial));
		let rev = 0;
		for (let step = 0; step < 30; step++) {
			const s = store.get();
			switch (rnd.int(6)) {
			case 0:
				store.set(rnd.pick(["/a/x", "/a/y", "/n", "/list/0"]), randomValue(rnd, 1));
				break;
			case 1:
				store.set("/list/-", rnd.int(9));
				break;
			case 2:
				if (s.list.length > 0)
					store.update((d) => ({ ...d, list: d.list.slice(1) }));
				break;
			case 3:
				store.update((d) => {
					const { a, ...rest } = d;
					return rnd.chance(0.5) ? rest : { ...rest, a: { z: randomValue(rnd, 2) } };
				});
				break;
			case 4:
				store.set("/a", rnd.chance(0.5) ? { x: rnd.int(3) } : { x: 1, w: [rnd.int(3)] });
				break;
			default: {
				const ops = store.takePending();
				if (ops) {
					server = applyPatch(server, ops);
					assert.equal(store.rev, ++rev);
					sent += ops.length;
				}
			}
			}
			if (!("a" in store.get()))
				store.set("/a", {});
		}
		const ops = store.takePending();
		if (ops)
			server = applyPatch(server, ops);
		assert.deepStrictEqual(server, store.get(), `run ${run}`);
	}
	assert.ok(sent > 100);
	assert.ok(Date.now() - start < 2000);
});
