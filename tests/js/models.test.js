// models.test.js - models in lv.js against a socket the test plays the
// server through: client.model.NAME has the operations the schema lists,
// a live result applies each "model" message whole (insert, update,
// delete, move, count) with unchanged rows kept, a message that does not
// apply subscribes again instead of leaving a half-applied list, two live
// results of one model stay apart, and a new session subscribes again.
import assert from "node:assert/strict";
import { test } from "node:test";

import { LvError, clientModule } from "../../runtime/js/lv.js";
import { applyEvents } from "../../runtime/js/models.js";
import { flush, setup } from "./helpers.js";

const query = [
	{ name: "where", type: "json", optional: true },
	{ name: "order", type: "list<string>", optional: true },
	{ name: "page", type: "int", optional: true },
	{ name: "limit", type: "int", optional: true },
];
const rpc = (params) => ({ kind: "server.rpc", params, result: "json" });
/* The schema lvc writes for a binding "todos" of Todo (every operation)
 * and "ro" (retrieve and list only). */
const SCHEMA = {
	module: "mt",
	hash: "h1",
	types: {},
	endpoints: {
		"todos.retrieve": rpc([{ name: "id", type: "json" }]),
		"todos.list": rpc(query),
		"todos.create": rpc([{ name: "row", type: "json" }]),
		"todos.update": rpc([{ name: "row", type: "json" }]),
		"todos.delete": rpc([{ name: "id", type: "json" }, { name: "version", type: "int" }]),
		"todos.subscribe": rpc([{ name: "key", type: "string" }, ...query]),
		"todos.unsubscribe": rpc([{ name: "key", type: "string" }]),
		"ro.retrieve": rpc([{ name: "id", type: "json" }]),
		"ro.list": rpc(query),
	},
	models: {
		todos: { model: "Todo", ops: ["retrieve", "list", "create", "update", "delete", "subscribe"],
			key: "id", version: "rev", filter: ["done"], order: ["rank"], limit: 100 },
		ro: { model: "Todo", ops: ["retrieve", "list"], key: "id", version: "rev", filter: [], order: [], limit: 10 },
	},
};

const t = (id, title, rank = id, rev = 1) => ({ id, title, rank, rev, done: false });

/* Answers the last call to fn with value. */
function answer(ws, fn, value) {
	const call = ws.of("call").filter((m) => m.fn === fn).at(-1);
	assert.ok(call, `a call of ${fn}`);
	ws.receive({ t: "ret", id: call.id, ok: true, value });
	return call;
}

async function subscribed(rows, opts = {}) {
	const h = setup({ schema: SCHEMA });
	const ws = await h.welcome();
	const p = h.conn.model("todos").subscribe({ where: { done: false }, order: ["rank"] }, opts);
	await flush();
	const call = answer(ws, "todos.subscribe", { page: 1, limit: 100, count: rows.length, rows });
	const live = await p;
	return { ...h, ws, live, call };
}

test("client.model.NAME has the operations its binding lists, as calls of NAME.OP", async () => {
	const client = clientModule(SCHEMA, () => ({})).createClient({ autoConnect: false });
	assert.deepEqual(Object.keys(client.model), ["todos", "ro"]);
	assert.deepEqual(Object.keys(client.model.todos).sort(),
		["create", "delete", "list", "retrieve", "subscribe", "update"]);
	assert.deepEqual(Object.keys(client.model.ro).sort(), ["list", "retrieve"]);
	assert.equal(client.model.ro.create, undefined, "an operation not offered does not exist");
	assert.throws(() => client.lv.model("nope"), (e) => e instanceof LvError && e.code === "invalid_argument");
	client.dispose();

	const { conn, welcome } = setup({ schema: SCHEMA });
	const ws = await welcome();
	const todos = conn.model("todos");
	const got = todos.list({ where: { done: false }, limit: 5, bogus: 1 });
	await flush();
	const call = answer(ws, "todos.list", { page: 1, limit: 5, count: 1, rows: [t(1, "a")] });
	assert.deepEqual(call.args, { where: { done: false }, limit: 5 }, "only the query's members go");
	const page = await got;
	assert.deepEqual(page, { page: 1, limit: 5, count: 1, rows: [t(1, "a")] });
	assert.ok(Object.isFrozen(page) && Object.isFrozen(page.rows));
	const del = todos.delete(1, 3);
	await flush();
	assert.deepEqual(answer(ws, "todos.delete", null).args, { id: 1, version: 3 });
	assert.equal(await del, null);
	const upd = todos.update(t(1, "b"));
	await flush();
	ws.receive({ t: "ret", id: ws.of("call").at(-1).id, ok: false,
		error: { code: "aborted", message: "todos.update: Todo changed since it was read" } });
	await assert.rejects(upd, (e) => e instanceof LvError && e.code === "aborted");
	await assert.rejects(todos.list("x"), (e) => e instanceof LvError && e.code === "invalid_argument");
});

test("a live result applies insert, update, move, delete and count, keeping the rows it did not touch", async () => {
	const a = t(1, "a"), b = t(2, "b"), c = t(3, "c");
	const { ws, live, call } = await subscribed([a, b, c]);
	assert.match(call.args.key, /^q\d+#1$/, "a fresh key, and its generation");
	const first = live.getSnapshot();
	assert.deepEqual(first, { page: 1, limit: 100, count: 3, rows: [a, b, c] });
	const seen = [];
	const off = live.subscribe((s) => seen.push(s));
	const d = t(4, "d", 0), b2 = t(2, "b2", 2, 2), c2 = t(3, "c", 0.5, 2);
	ws.receive({ t: "model", name: "todos", key: call.args.key, seq: 2, count: 4, ev: [
		{ k: "insert", row: d, i: 0 },          // d a b c
		{ k: "update", row: b2, i: 2 },         // d a b2 c
		{ k: "move", row: c2, i: 1, from: 3 },  // d c2 a b2
	] });
	const s1 = live.getSnapshot();
	assert.deepEqual(s1.rows, [d, c2, a, b2]);
	assert.equal(s1.count, 4);
	assert.equal(s1.rows[2], first.rows[0], "a row not touched is the same object");
	assert.ok(Object.isFrozen(s1) && Object.isFrozen(s1.rows) && Object.isFrozen(s1.rows[0]));
	assert.deepEqual(first.rows, [a, b, c], "the old snapshot is as it was");
	ws.receive({ t: "model", name: "todos", key: call.args.key, seq: 3, count: 3,
		ev: [{ k: "delete", row: a, i: 2 }] });
	assert.deepEqual(live.getSnapshot().rows, [d, c2, b2]);
	ws.receive({ t: "model", name: "todos", key: call.args.key, seq: 4, count: 40, ev: [] });
	assert.equal(live.getSnapshot().count, 40, "only the count changed");
	assert.equal(live.getSnapshot().rows, seen[1].rows);
	assert.equal(seen.length, 3, "one snapshot per message");
	off();
	ws.receive({ t: "model", name: "todos", key: call.args.key, seq: 5, count: 41, ev: [] });
	assert.equal(seen.length, 3, "unsubscribed");
});

test("a message that does not apply changes nothing and subscribes again", async () => {
	const a = t(1, "a"), b = t(2, "b");
	const { ws, live, call, log } = await subscribed([a, b]);
	const before = live.getSnapshot();
	// the first event would apply, the second names a row that is not there
	ws.receive({ t: "model", name: "todos", key: call.args.key, seq: 2, count: 3, ev: [
		{ k: "insert", row: t(3, "c"), i: 0 },
		{ k: "update", row: t(9, "z"), i: 1 },
	] });
	assert.equal(live.getSnapshot(), before, "not half-applied");
	await flush();
	assert.deepEqual(ws.of("call").filter((m) => m.fn === "todos.unsubscribe").map((m) => m.args),
		[{ key: call.args.key }]);
	const again = ws.of("call").filter((m) => m.fn === "todos.subscribe").at(-1);
	assert.notEqual(again.args.key, call.args.key);
	assert.deepEqual(again.args.where, { done: false });
	assert.match(log.warnings.join("\n"), /did not apply .*subscribing again/);
	// what the old key still gets is dropped; the new key's early change waits for its page
	ws.receive({ t: "model", name: "todos", key: call.args.key, seq: 3, count: 9, ev: [] });
	ws.receive({ t: "model", name: "todos", key: again.args.key, seq: 4, count: 4,
		ev: [{ k: "insert", row: t(4, "d"), i: 3 }] });
	assert.equal(live.getSnapshot(), before);
	answer(ws, "todos.subscribe", { page: 1, limit: 100, count: 3, rows: [a, b, t(3, "c")] });
	await flush();
	assert.deepEqual(live.getSnapshot().rows.map((r) => r.id), [1, 2, 3, 4]);
	assert.equal(live.getSnapshot().count, 4);
	for (const bad of [{ ev: "x", count: 1 }, { ev: [{ k: "insert", row: t(5, "e"), i: 99 }], count: 1 },
		{ ev: [{ k: "nope", row: a }], count: 1 }, { ev: [], count: -1 }, { ev: [{ k: "delete", row: b, i: 0 }], count: 1 }])
		assert.throws(() => applyEvents(live.getSnapshot(), bad, "id"));
});

test("two live results of one model stay apart by key; a key given again replaces its result", async () => {
	const h = setup({ schema: SCHEMA });
	const ws = await h.welcome();
	const todos = h.conn.model("todos");
	const p1 = todos.subscribe({ where: { done: false } });
	const p2 = todos.subscribe({ where: { done: true } });
	await flush();
	const [c1, c2] = ws.of("call").filter((m) => m.fn === "todos.subscribe");
	assert.notEqual(c1.args.key, c2.args.key);
	ws.receive({ t: "ret", id: c1.id, ok: true, value: { page: 1, limit: 100, count: 1, rows: [t(1, "a")] } });
	ws.receive({ t: "ret", id: c2.id, ok: true, value: { page: 1, limit: 100, count: 0, rows: [] } });
	const [l1, l2] = await Promise.all([p1, p2]);
	ws.receive({ t: "model", name: "todos", key: c2.args.key, seq: 3, count: 1, ev: [{ k: "insert", row: t(1, "a"), i: 0 }] });
	ws.receive({ t: "model", name: "todos", key: c1.args.key, seq: 4, count: 0, ev: [{ k: "delete", row: t(1, "a"), i: 0 }] });
	assert.deepEqual(l1.getSnapshot().rows, []);
	assert.deepEqual(l2.getSnapshot().rows, [t(1, "a")]);
	// the key "mine" twice: the first result closes (unsubscribed), the second lives
	const m1 = todos.subscribe({}, { key: "mine" });
	await flush();
	answer(ws, "todos.subscribe", { page: 1, limit: 100, count: 0, rows: [] });
	const first = await m1;
	const k1 = ws.of("call").filter((m) => m.fn === "todos.subscribe").at(-1).args.key;
	assert.match(k1, /^mine#\d+$/);
	const m2 = todos.subscribe({ where: { done: true } }, { key: "mine" });
	await flush();
	assert.ok(ws.of("call").some((m) => m.fn === "todos.unsubscribe" && m.args.key === k1));
	const k2 = answer(ws, "todos.subscribe", { page: 1, limit: 100, count: 0, rows: [] }).args.key;
	assert.notEqual(k2, k1);
	const second = await m2;
	ws.receive({ t: "model", name: "todos", key: k1, seq: 9, count: 1, ev: [{ k: "insert", row: t(7, "g"), i: 0 }] });
	assert.deepEqual(first.getSnapshot().rows, [], "closed: not fed");
	assert.deepEqual(second.getSnapshot().rows, []);
	second.close();
	await flush();
	assert.ok(ws.of("call").some((m) => m.fn === "todos.unsubscribe" && m.args.key === k2));
});

test("after a new session (the old one expired) a live result subscribes again", async () => {
	const { conn, WS, ws, live, call } = await subscribed([t(1, "a")]);
	ws.drop();
	await flush();
	conn.open?.();
	const ws2 = WS.last;
	ws2.open();
	ws2.receive({ t: "welcome", conn: "c2", heartbeat: 25000, resumed: false, resync: "expired" });
	await flush();
	const again = ws2.of("call").filter((m) => m.fn === "todos.subscribe");
	assert.equal(again.length, 1);
	assert.notEqual(again[0].args.key, call.args.key);
	assert.deepEqual(again[0].args.order, ["rank"]);
	answer(ws2, "todos.subscribe", { page: 1, limit: 100, count: 2, rows: [t(1, "a"), t(2, "b")] });
	await flush();
	assert.equal(live.getSnapshot().count, 2);
	assert.equal(ws2.of("call").filter((m) => m.fn === "todos.unsubscribe").length, 0,
		"nothing to unsubscribe on a session that never had it");
});
