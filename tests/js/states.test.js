// states.test.js - synchronised states in lv.js against a socket the test
// plays the server through: a server state's snapshots and patches in
// order, a resync when one is skipped, and the page's own state checked,
// coalesced and sent before anything the page asks.
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { test } from "node:test";
import { runInNewContext } from "node:vm";

import { LvError } from "../../runtime/js/lv.js";
import { ROOT, generate, setup } from "./helpers.js";

let plantSchema = null;
function schema() {
	if (!plantSchema) {
		const dir = generate(join(ROOT, "tests/js/fixtures/plant.lv"), "plant");
		const text = readFileSync(join(dir, "plant.lv.js"), "utf8");
		const m = /export const schema = Object\.freeze\(([\s\S]*?)\);\n/.exec(text);
		plantSchema = JSON.parse(JSON.stringify(runInNewContext(`(${m[1]})`)));
	}
	return plantSchema;
}

test("a group state: a snapshot, then patches in order; unchanged parts keep their identity", async () => {
	const { conn, welcome } = setup({ schema: schema() });
	const ws = await welcome();
	const north = conn.store("plant", "north");
	assert.equal(north.get(), null, "nothing before the snapshot");
	const seen = [];
	north.subscribe((v, rev) => seen.push(rev));
	const m1 = { temp: 20, ok: true }, m2 = { temp: 30, ok: true };
	ws.receive({ t: "state", name: "plant", group: "north", rev: 4,
		ops: [{ op: "replace", path: "", value: { tick: 1, machines: { m1, m2 } } }] });
	const before = north.get();
	ws.receive({ t: "state", name: "plant", group: "north", rev: 5,
		ops: [{ op: "replace", path: "/machines/m2/temp", value: 95 }, { op: "replace", path: "/tick", value: 2 }] });
	assert.deepEqual(north.get(), { tick: 2, machines: { m1, m2: { temp: 95, ok: true } } });
	assert.equal(north.get().machines.m1, before.machines.m1, "m1 is the same object");
	assert.deepEqual(seen, [4, 5]);
	assert.equal(conn.store("plant", "south").get(), null, "another group's copy is its own");
	assert.deepEqual(ws.of("state_sync"), []);
	// a skipped revision: left as it was, and a snapshot asked for
	ws.receive({ t: "state", name: "plant", group: "north", rev: 7, ops: [{ op: "replace", path: "/tick", value: 9 }] });
	assert.equal(north.get().tick, 2);
	assert.deepEqual(ws.of("state_sync"), [{ t: "state_sync", name: "plant", group: "north" }]);
	// leaving the group: null
	ws.receive({ t: "state", name: "plant", group: "north", rev: 0, ops: null });
	assert.equal(north.get(), null);
	assert.throws(() => conn.store("plant"), /'plant' is a group state: name the group/);
	assert.throws(() => conn.store("nope"), (e) => e instanceof LvError && e.code === "invalid_argument");
});

test("the page's own state: its zero value, checked writes, one coalesced patch per flush", async () => {
	const { conn, clock, welcome } = setup({ schema: schema() });
	const ws = await welcome();
	const view = conn.store("view");
	assert.deepEqual(view.get(), { sort: "name", filter: "" }, "the declared default");
	ws.sent.length = 0;
	view.set("/filter", "m0");
	view.set("/filter", "m01");
	view.set("/sort", "temp");
	assert.throws(() => view.set("/sort", 5), (e) => e instanceof LvError && e.code === "invalid_argument" &&
		/state view: sort: /.test(e.message));
	assert.equal(view.get().sort, "temp", "the wrong write is taken back");
	assert.deepEqual(ws.of("state"), [], "nothing before the flush");
	await clock.advance(200);
	const sent = ws.of("state");
	assert.equal(sent.length, 1);
	assert.equal(sent[0].name, "view");
	assert.equal(sent[0].rev, 1);
	assert.deepEqual(sent[0].ops.map((o) => o.path).sort(), ["/filter", "/sort"], JSON.stringify(sent[0].ops));
	await clock.advance(1000);
	assert.equal(ws.of("state").length, 1, "nothing more without a change");
});

test("a call goes after the page's waiting state changes, not before them", async () => {
	const { conn, clock, welcome } = setup({ schema: schema() });
	const ws = await welcome();
	const view = conn.store("view");
	ws.sent.length = 0;
	view.set("/filter", "m7");
	conn.call("my_view", {});
	const order = ws.sent.filter((m) => m.t === "state" || m.t === "call").map((m) => m.t);
	assert.deepEqual(order, ["state", "call"]);
	assert.equal(ws.of("state")[0].ops[0].value, "m7");
	await clock.advance(500);
	assert.equal(ws.of("state").length, 1, "the flush that was due has nothing left to send");
});
