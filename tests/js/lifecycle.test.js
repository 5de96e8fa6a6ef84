// lifecycle.test.js - lv.js, each of its modules and a generated module are
// safe to import anywhere: importing them in node with no window, no document
// and no WebSocket changes nothing, a client can be made there without throwing,
// and a client disposed and made again (a hot reload) leaves one socket open
// and not one listener or timer of the one before.
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { copyFileSync, readdirSync } from "node:fs";
import { join } from "node:path";
import { test } from "node:test";
import { pathToFileURL } from "node:url";

import { FakeClock, ROOT, fakeWebSocketClass, flush, generate, recordingConsole } from "./helpers.js";

const RUNTIME = join(ROOT, "runtime/js");

/* kitchen.lv's generated files with lv.js beside them. */
function kitchenDir(prefix) {
	const dir = generate(join(ROOT, "tests/js/fixtures/kitchen.lv"), prefix);
	for (const f of readdirSync(RUNTIME))
		if (f.endsWith(".js"))
			copyFileSync(join(RUNTIME, f), join(dir, f));
	return dir;
}

test("server-side rendering: importing lv.js, every module of it and a generated module in bare node sets nothing, opens nothing", () => {
	const dir = kitchenDir("ssr");
	const url = (f) => JSON.stringify(pathToFileURL(join(dir, f)).href);
	const modules = readdirSync(RUNTIME).filter((f) => f.endsWith(".js")).sort();
	for (const m of ["lv.js", "patch.js", "store.js", "connection.js"])
		assert.ok(modules.includes(m), `${m} is among the modules imported`);
	// A fresh node: no window, no document; WebSocket and the timers count.
	const out = execFileSync(process.execPath, ["--input-type=module", "-e", `
		const counts = { sockets: 0, timers: 0 };
		globalThis.WebSocket = class { constructor() { counts.sockets++; } };
		const setT = globalThis.setTimeout;
		globalThis.setTimeout = (...a) => { counts.timers++; return setT(...a); };
		const setI = globalThis.setInterval;
		globalThis.setInterval = (...a) => { counts.timers++; return setI(...a); };
		const micro = globalThis.queueMicrotask;
		globalThis.queueMicrotask = (fn) => { counts.timers++; return micro(fn); };
		const before = new Set(Reflect.ownKeys(globalThis));
		// each module on its own first (in name order), then the entry point
		for (const m of ${JSON.stringify(modules.map((m) => pathToFileURL(join(dir, m)).href))})
			await import(m);
		const lv = await import(${url("lv.js")});
		const kitchen = await import(${url("kitchen.lv.js")});
		await import(${url("kitchen_handlers.js")});
		await new Promise((r) => setT(r, 20));
		const added = Reflect.ownKeys(globalThis).filter((k) => !before.has(k)).map(String);
		const atImport = { ...counts, added, window: typeof window, document: typeof document,
			connections: lv.page.connections.length };
		// A client made on the server: no document, no address to go to.
		const client = kitchen.createClient();
		const state = client.lv.state;
		const call = client.get(1, { timeout: 0 }).then(() => "resolved", (e) => e.code);
		client.dispose();
		const deflt = kitchen.connect();
		deflt.dispose();
		console.log(JSON.stringify({ atImport, state, call: await call, after: counts,
			connections: lv.page.connections.length }));
	`], { encoding: "utf8", cwd: dir });
	const r = JSON.parse(out);
	assert.deepEqual(r.atImport, { sockets: 0, timers: 0, added: [], window: "undefined", document: "undefined",
		connections: 0 });
	assert.equal(r.state, "closed", "without an address nothing opens by itself");
	assert.equal(r.call, "unavailable", "dispose ends what was waiting");
	assert.equal(r.after.sockets, 0);
	assert.equal(r.connections, 0);
});

/* An EventTarget that counts its listeners. */
function counting(extra = {}) {
	const listeners = new Map();
	const t = {
		listeners,
		count: () => [...listeners.values()].reduce((n, s) => n + s.size, 0),
		addEventListener(type, fn) {
			if (!listeners.has(type))
				listeners.set(type, new Set());
			listeners.get(type).add(fn);
		},
		removeEventListener(type, fn) {
			listeners.get(type)?.delete(fn);
		},
		dispatch(type, event = {}) {
			for (const fn of [...(listeners.get(type) || [])])
				fn({ type, ...event });
		},
		...extra,
	};
	return t;
}

test("hot reload: create, dispose, create again: one socket open, no listener or timer left", async () => {
	const dir = kitchenDir("reload");
	const mod = await import(pathToFileURL(join(dir, "kitchen.lv.js")).href);
	const { page } = await import(pathToFileURL(join(dir, "lv.js")).href);
	const clock = new FakeClock();
	const WS = fakeWebSocketClass();
	const open = () => WS.instances.filter((w) => !w.closed).length;
	const win = counting({ confirm: () => true });
	const buttons = [0, 1].map(() => counting({
		nodeType: 1, nodeName: "BUTTON", type: "button", id: "",
		attributes: [{ name: "data-lv-on-click", value: "clicked" }],
		getAttribute: () => null,
	}));
	const doc = counting({
		nodeType: 9, readyState: "loading",
		querySelectorAll: () => buttons,
	});
	const env = { WebSocket: WS, setTimeout: clock.setTimeout, clearTimeout: clock.clearTimeout, now: clock.now,
		random: () => 0.5, console: recordingConsole(), window: win, document: doc, location: undefined };
	const listenersNow = () => win.count() + doc.count() + buttons.reduce((n, b) => n + b.count(), 0);

	const cycle = async () => {
		const client = mod.createClient({ url: "ws://test/lv/ws", env, heartbeat: 1000 });
		assert.ok(win.count() >= 3, "online, pagehide and pageshow on window");
		assert.equal(doc.count(), 1, "DOMContentLoaded on the document");
		client.register({ on_ready: () => {} });
		doc.readyState = "interactive";
		doc.dispatch("DOMContentLoaded");
		await clock.advance(0);
		assert.equal(buttons[0].count(), 1, "the scan bound data-lv-on-click");
		client.lv.bind(buttons[1], "dblclick", client.clicked);
		assert.equal(open(), 1, "one socket");
		const ws = WS.last;
		ws.open();
		ws.receive({ t: "welcome", conn: "c", session: "s1", heartbeat: 1000 });
		ws.receive({ t: "push", seq: 1, fn: "changed", args: { item: { id: 1, name: "a", tags: [] }, why: "x" } });
		const pending = client.get(1);                  // a call waiting, with its timer
		await flush();
		assert.ok(clock.timers.size > 0, "heartbeat, ack and call timers run");
		return { client, pending };
	};

	const first = await cycle();
	first.client.dispose();
	await assert.rejects(first.pending, (e) => e.code === "unavailable");
	assert.equal(open(), 0, "dispose closes the socket");
	assert.equal(listenersNow(), 0, "dispose removes every listener it added");
	assert.equal(clock.timers.size, 0, "and every timer");
	assert.equal(page.connections.length, 0);
	doc.readyState = "loading";
	const second = await cycle();
	assert.equal(open(), 1, "after a reload: one socket");
	assert.equal(win.count(), 3, "and one set of window listeners, not two");
	assert.equal(buttons[0].count(), 1, "one binding per element, not two");
	second.client.dispose();
	await assert.rejects(second.pending, (e) => e.code === "unavailable");
	assert.equal(listenersNow() + open() + clock.timers.size + page.connections.length, 0);
	second.client.dispose();                         // twice is once
});
