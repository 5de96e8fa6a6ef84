// connection.test.js - the socket's life: hello and welcome, the queue while
// down, reconnecting, ready and connect, upgrade, heartbeat, timeouts, the
// HTTP fallback, and the messages the server sends to the page.
import assert from "node:assert/strict";
import { test } from "node:test";

import { LvError, backoffDelay, createConnection, page } from "../../runtime/js/lv.js";
import { flush, kitchenSchema, setup } from "./helpers.js";

const item = (extra = {}) => ({ id: 1, name: "a", tags: [], ...extra });

/* A document that is still loading, until the test says it is parsed. */
function loadingDocument() {
	const doc = new EventTarget();
	doc.readyState = "loading";
	doc.parsed = () => {
		doc.readyState = "interactive";
		doc.dispatchEvent(new Event("DOMContentLoaded"));
	};
	return doc;
}

test("open: the page says hello with its app and schema; the welcome opens it", async () => {
	const { conn, WS, welcome } = setup();
	const states = [];
	conn.on("state", (s) => states.push(s));
	const ws = await welcome({ conn: "abc" });
	assert.equal(WS.instances.length, 1);
	assert.equal(ws.url, "ws://test/lv/ws");
	assert.deepEqual(ws.sent[0], { t: "hello", app: "kitchen", schema: kitchenSchema().hash });
	assert.deepEqual(states, ["connecting", "open"]);
	assert.equal(conn.state, "open");
	assert.equal(conn.connId, "abc");
});

test("queue: what is sent before the welcome waits, then goes in order", async () => {
	const { conn, WS } = setup();
	conn.send("log", { line: "one" });
	const p = conn.call("get", { id: 1 });
	conn.send("log", { line: "two" });
	conn.open();
	const ws = WS.last;
	ws.open();
	await flush();
	assert.deepEqual(ws.sent.map((m) => m.t), ["hello"], "nothing but hello before the welcome");
	ws.receive({ t: "welcome", conn: "c", heartbeat: 25000 });
	assert.deepEqual(ws.sent.slice(1).map((m) => [m.t, m.fn, m.args]), [
		["send", "log", { line: "one" }], ["call", "get", { id: 1 }], ["send", "log", { line: "two" }]]);
	ws.receive({ t: "ret", id: ws.of("call")[0].id, ok: true, value: item() });
	assert.equal((await p).name, "a");
});

test("queue: bounded; a full queue refuses reliable messages out loud", async () => {
	const { conn } = setup({ maxQueue: 2 });
	const errors = [];
	conn.on("error", (e) => errors.push(e));
	assert.equal(conn.send("log", { line: "1" }), true);
	assert.equal(conn.send("log", { line: "2" }), true);
	assert.equal(conn.send("log", { line: "3" }), false);
	assert.equal(errors.length, 1);
	assert.equal(errors[0].code, "resource_exhausted");
	assert.match(errors[0].message, /^log: the send queue is full \(2 messages\)/);
	await assert.rejects(conn.call("get", { id: 1 }), (e) => e.code === "resource_exhausted");
});

test("queue: volatile messages coalesce by endpoint and give way to reliable ones", async () => {
	const { conn, WS } = setup({ maxQueue: 3 });
	conn.send("cursor", { x: 1, y: 1 });
	conn.send("log", { line: "a" });
	conn.send("cursor", { x: 2, y: 2 });
	conn.send("cursor", { x: 3, y: 3 });
	conn.send("scroll", { top: 9 });
	// full (log, cursor 3, scroll): a reliable message drops the oldest volatile one
	assert.equal(conn.send("log", { line: "b" }), true);
	conn.open();
	WS.last.open();
	WS.last.receive({ t: "welcome", conn: "c", heartbeat: 25000 });
	assert.deepEqual(WS.last.sent.slice(1).map((m) => [m.fn, m.args]), [
		["log", { line: "a" }], ["scroll", { top: 9 }], ["log", { line: "b" }]]);
});

test("backoff: full jitter in [0, min(cap, base * 2^n))", () => {
	for (let n = 0; n < 12; n++) {
		const ceiling = Math.min(10000, 250 * 2 ** n);
		assert.equal(backoffDelay(n, 250, 10000, () => 0), 0);
		const high = backoffDelay(n, 250, 10000, () => 0.999999);
		assert.ok(high < ceiling && high >= ceiling - 1, `attempt ${n}: ${high} vs ${ceiling}`);
		for (let i = 0; i < 50; i++) {
			const d = backoffDelay(n);
			assert.ok(d >= 0 && d < ceiling, `attempt ${n}: ${d}`);
		}
	}
	assert.ok(backoffDelay(1000, 250, 10000, () => 0.5) === 5000, "capped, even far out");
});

test("reconnect: each drop waits longer, capped; a welcome starts over", async () => {
	const { conn, clock, WS, welcome } = setup({ backoffBase: 100, backoffCap: 1000 });
	await welcome();
	const delays = [];
	for (let i = 0; i < 6; i++) {
		WS.last.drop(1006);
		assert.equal(conn.state, "offline");
		delays.push(conn.nextRetry);
		await clock.advance(conn.nextRetry);
		assert.equal(WS.instances.length, i + 2, "a new socket after the delay");
	}
	assert.deepEqual(delays, [50, 100, 200, 400, 500, 500]); // random() = 0.5
	WS.last.open();
	WS.last.receive({ t: "welcome", conn: "c2", heartbeat: 25000 });
	WS.last.drop(1001);
	assert.equal(conn.nextRetry, 50);
});

test("ready and connect: the socket first, then the page", async () => {
	const doc = loadingDocument();
	const { conn, WS } = setup({ env: { document: doc } });
	const seen = [];
	conn.on("ready", () => seen.push("ready"));
	conn.on("connect", (d) => seen.push(`connect ${d.conn}`));
	conn.register({ on_ready: () => seen.push("on_ready"), on_connect: () => seen.push("on_connect") });
	conn.open();
	WS.last.open();
	WS.last.receive({ t: "welcome", conn: "c1", heartbeat: 25000 });
	WS.last.receive({ t: "event", name: "room.closed", args: { room: "r" } });
	await flush();
	assert.deepEqual(seen, [], "nothing before the DOM is ready");
	conn.on("room.closed", (a) => seen.push(`event ${a.room}`));
	doc.parsed();
	await flush();
	assert.deepEqual(seen, ["on_ready", "ready", "on_connect", "connect c1", "event r"]);
});

test("ready and connect: the page first, then the socket", async () => {
	const doc = loadingDocument();
	const { conn, clock, WS } = setup({ env: { document: doc } });
	const seen = [];
	conn.on("ready", () => seen.push("ready"));
	conn.on("connect", () => seen.push("connect"));
	doc.parsed();
	await flush();
	assert.deepEqual(seen, [], "ready waits for register() or the page's turn");
	await clock.advance(0);
	assert.deepEqual(seen, ["ready"]);
	conn.open();
	WS.last.open();
	await flush();
	assert.deepEqual(seen, ["ready"], "connect waits for the welcome");
	WS.last.receive({ t: "welcome", conn: "c1", heartbeat: 25000 });
	assert.deepEqual(seen, ["ready", "connect"]);
	// a listener that comes late still hears of both, once
	const late = [];
	conn.on("ready", () => late.push("ready"));
	conn.on("connect", () => late.push("connect"));
	await flush();
	assert.deepEqual(late, ["ready", "connect"]);
	// and connect again after every welcome, disconnect after every close
	WS.last.drop(1006);
	await clock.advance(conn.nextRetry);
	WS.last.open();
	WS.last.receive({ t: "welcome", conn: "c2", heartbeat: 25000 });
	assert.deepEqual(seen, ["ready", "connect", "connect"]);
});

test("disconnect: after each close of a connected socket, never before a connect", async () => {
	const { conn, clock, WS, ready } = setup();
	const seen = [];
	conn.register({ on_disconnect: () => seen.push("handler") });
	conn.on("disconnect", (d) => seen.push(`disconnect ${d.code}`));
	conn.open();
	WS.last.drop(1006);                           // never welcomed
	await ready();
	assert.deepEqual(seen, []);
	await clock.advance(conn.nextRetry);
	WS.last.open();
	WS.last.receive({ t: "welcome", conn: "c", heartbeat: 25000 });
	WS.last.drop(1001, "going away");
	assert.deepEqual(seen, ["handler", "disconnect 1001"]);
});

test("upgrade: upgrade_required once, closed, never reconnects; waiting calls fail", async () => {
	const { conn, clock, WS, welcome } = setup();
	const seen = [];
	conn.on("upgrade_required", (d) => seen.push(d));
	await welcome();
	WS.last.drop(1006);
	const p = conn.call("get", { id: 1 });
	await clock.advance(conn.nextRetry);
	WS.last.open();
	WS.last.receive({ t: "upgrade", schema: "0123456789abcdef" });
	WS.last.drop(4426, "the page is out of date: reload it");
	assert.deepEqual(seen, [{ schema: "0123456789abcdef", page: kitchenSchema().hash }]);
	assert.equal(conn.state, "closed");
	await assert.rejects(p, (e) => e instanceof LvError && e.code === "upgrade_required");
	await clock.advance(60000);
	assert.equal(WS.instances.length, 2, "no reconnect after 4426");
	await assert.rejects(conn.call("get", { id: 1 }), (e) => e.code === "upgrade_required");
});

test("upgrade: a 4426 close alone raises upgrade_required too", async () => {
	const { conn, clock, WS, welcome } = setup();
	let n = 0;
	conn.on("upgrade_required", () => n++);
	await welcome();
	WS.last.drop(4426);
	await clock.advance(60000);
	assert.equal(n, 1);
	assert.equal(WS.instances.length, 1);
});

test("refused (1008): closed for good, reported, no reconnect", async () => {
	const { conn, clock, WS, welcome } = setup();
	const errors = [];
	conn.on("error", (e) => errors.push(e.code));
	await welcome();
	WS.last.drop(1008, "origin");
	await clock.advance(60000);
	assert.equal(conn.state, "closed");
	assert.deepEqual(errors, ["permission_denied"]);
	assert.equal(WS.instances.length, 1);
});

test("heartbeat: ping after a silent interval, close after another, reconnect", async () => {
	const { conn, clock, WS, welcome } = setup();
	const ws = await welcome({ heartbeat: 1000 });
	let disconnects = 0;
	conn.on("disconnect", () => disconnects++);
	await clock.advance(999);
	assert.equal(ws.of("ping").length, 0);
	await clock.advance(1);
	assert.equal(ws.of("ping").length, 1, "a ping after 1000 ms of silence");
	ws.receive({ t: "pong" });
	await clock.advance(999);
	assert.equal(ws.of("ping").length, 1, "the pong was traffic: no second ping yet");
	assert.equal(conn.state, "open");
	await clock.advance(1);
	assert.equal(ws.of("ping").length, 2);
	await clock.advance(999);
	assert.equal(conn.state, "open");
	await clock.advance(1);
	assert.equal(conn.state, "offline", "closed after a second silent interval");
	assert.notEqual(ws.closed, null);
	assert.equal(disconnects, 1);
	await clock.advance(conn.nextRetry);
	assert.equal(WS.instances.length, 2);
});

test("heartbeat: the page answers the server's ping", async () => {
	const { welcome } = setup();
	const ws = await welcome();
	ws.receive({ t: "ping" });
	assert.deepEqual(ws.sent.at(-1), { t: "pong" });
});

test("timeout: the endpoint's, the call's, or 30 s", async () => {
	const { conn, clock, welcome } = setup();
	await welcome();
	const results = [];
	const track = (name, p) => p.then(() => results.push(`${name} ok`), (e) => results.push(`${name} ${e.code} ${e.message}`));
	track("slow", conn.call("slow", { n: 1 }));                 // timeout: 2s in the schema
	track("get", conn.call("get", { id: 1 }));                  // the default
	track("opt", conn.call("get", { id: 2 }, { timeout: 500 }));
	await clock.advance(499);
	assert.deepEqual(results, []);
	await clock.advance(1);
	assert.deepEqual(results, ["opt deadline_exceeded get: no answer within 500 ms"]);
	await clock.advance(1500);
	assert.equal(results[1], "slow deadline_exceeded slow: no answer within 2000 ms");
	await clock.advance(27999);
	assert.equal(results.length, 2);
	await clock.advance(1);
	assert.equal(results[2], "get deadline_exceeded get: no answer within 30000 ms");
});

test("abort: a signal cancels the call; a late answer is ignored", async () => {
	const { conn, welcome } = setup();
	const ws = await welcome();
	const ctl = new AbortController();
	const p = conn.call("get", { id: 1 }, { signal: ctl.signal });
	ctl.abort();
	await assert.rejects(p, (e) => e instanceof LvError && e.code === "cancelled" && e.message === "get: cancelled");
	ws.receive({ t: "ret", id: ws.of("call")[0].id, ok: true, value: item() });
	const done = new AbortController();
	done.abort(new Error("no"));
	await assert.rejects(conn.call("get", { id: 1 }, { signal: done.signal }), (e) => e.code === "cancelled" && e.cause.message === "no");
	assert.equal(ws.of("call").length, 1, "an aborted signal sends nothing");
});

test("calls in flight fail as unavailable when the socket drops", async () => {
	const { conn, WS, welcome } = setup();
	await welcome();
	const p = conn.call("get", { id: 1 });
	await flush();
	WS.last.drop(1006);
	await assert.rejects(p, (e) => e.code === "unavailable" && e.message === "get: the connection closed before the answer");
});

test("http fallback: an http endpoint is POSTed while the socket is down", async () => {
	const posts = [];
	const fetch = async (url, init) => {
		posts.push({ url, init });
		return { status: 200, json: async () => ({ ok: true, value: item({ id: 5 }) }) };
	};
	const { conn, WS, welcome } = setup({ base: "https://example.test/", env: { fetch } });
	await welcome();
	WS.last.drop(1006);
	const v = await conn.call("save", { item: item() });
	assert.equal(v.id, 5);
	assert.equal(posts.length, 1);
	assert.equal(posts[0].url, "https://example.test/lv/rpc/save");
	assert.equal(posts[0].init.method, "POST");
	assert.equal(posts[0].init.headers["Content-Type"], "application/json");
	assert.deepEqual(JSON.parse(posts[0].init.body), { item: item() });
	// a non-http endpoint waits for the socket instead
	let settled = false;
	conn.call("get", { id: 1 }).then(() => (settled = true), () => (settled = true));
	await flush();
	assert.equal(posts.length, 1);
	assert.equal(settled, false);
});

test("http fallback: errors keep their code; a bare HTTP status maps to one", async () => {
	let answer;
	const fetch = async () => answer;
	const { conn, WS, welcome } = setup({ env: { fetch } });
	await welcome();
	WS.last.drop(1006);
	answer = { status: 403, json: async () => ({ ok: false, error: { code: "permission_denied", message: "save: no" } }) };
	await assert.rejects(conn.call("save", { item: item() }), (e) => e.code === "permission_denied" && e.message === "save: no");
	answer = { status: 503, json: async () => { throw new SyntaxError("not json"); } };
	await assert.rejects(conn.call("save", { item: item() }), (e) => e.code === "unavailable" && e.message === "save: HTTP 503 without an lv answer");
	const broken = setup({ env: { fetch: async () => { throw new TypeError("Failed to fetch"); } } });
	await broken.welcome();
	broken.WS.last.drop(1006);
	await assert.rejects(broken.conn.call("save", { item: item() }), (e) => e.code === "unavailable" && e.message === "save: Failed to fetch");
});

test("http fallback: calls queued while connecting go by HTTP when the socket fails", async () => {
	const posts = [];
	const fetch = async (url) => {
		posts.push(url);
		return { status: 200, json: async () => ({ ok: true, value: null }) };
	};
	const { conn, WS } = setup({ env: { fetch } });
	const p = conn.call("save", { item: item() });
	conn.open();
	WS.last.drop(1006);
	assert.equal(await p, null);
	assert.deepEqual(posts, ["/lv/rpc/save"]);
});

test("client.rpc: the handler's answer goes back as cret, async or not", async () => {
	const { conn, welcome, ready } = setup();
	conn.register({ ask: async (q) => q === "ok?", pick: (choices) => choices[1] });
	const ws = await welcome();
	await ready();
	ws.receive({ t: "ccall", id: 3, fn: "ask", args: { question: "ok?" } });
	ws.receive({ t: "ccall", id: 4, fn: "pick", args: { choices: ["a", "b"] } });
	await flush();
	assert.deepEqual(ws.of("cret").sort((a, b) => a.id - b.id),
	                 [{ t: "cret", id: 3, ok: true, value: true }, { t: "cret", id: 4, ok: true, value: "b" }]);
});

test("client.rpc: errors go back with their code", async () => {
	const { conn, welcome, ready } = setup();
	const ws = await welcome();
	await ready();
	const cret = async (msg) => {
		ws.sent.length = 0;
		ws.receive({ t: "ccall", id: 9, ...msg });
		await flush();
		return ws.of("cret")[0];
	};
	assert.deepEqual(await cret({ fn: "ask", args: { question: "q" } }),
	                 { t: "cret", id: 9, ok: false, error: { code: "not_found", message: "ask: the page has no handler for it" } });
	assert.deepEqual(await cret({ fn: "nope", args: {} }),
	                 { t: "cret", id: 9, ok: false, error: { code: "not_found", message: "nope: kitchen has no client.rpc 'nope'" } });
	conn.register({ ask: () => { throw new Error("boom"); }, pick: () => 5 });
	assert.deepEqual(await cret({ fn: "ask", args: { question: "q" } }),
	                 { t: "cret", id: 9, ok: false, error: { code: "internal", message: "ask: boom" } });
	assert.deepEqual(await cret({ fn: "ask", args: { question: 1 } }),
	                 { t: "cret", id: 9, ok: false, error: { code: "invalid_argument", message: "ask: question: expected string, got int", path: "question" } });
	assert.deepEqual(await cret({ fn: "pick", args: { choices: [] } }),
	                 { t: "cret", id: 9, ok: false, error: { code: "internal", message: "pick: result: expected string, got int", path: "result" } });
	conn.register({ ask: async () => { throw new LvError("permission_denied", "not you"); } });
	assert.deepEqual(await cret({ fn: "ask", args: { question: "q" } }),
	                 { t: "cret", id: 9, ok: false, error: { code: "permission_denied", message: "ask: not you" } });
});

test("client.realtime: the handler gets the decoded arguments in order", async () => {
	const { conn, log, welcome, ready } = setup();
	const got = [];
	conn.register({ changed: (it, why) => got.push([it, why]) });
	const ws = await welcome();
	await ready();
	ws.receive({ t: "push", fn: "changed", args: { item: item({ data: "AQ==" }), why: "edit" } });
	assert.equal(got.length, 1);
	assert.deepEqual(got[0][0].data, new Uint8Array([1]));
	assert.equal(got[0][1], "edit");
	const errors = [];
	conn.on("error", (e) => errors.push(e.message));
	ws.receive({ t: "push", fn: "changed", args: { item: item(), why: 3 } });
	assert.deepEqual(errors, ["changed: why: expected string, got int"]);
	assert.equal(got.length, 1);
	ws.receive({ t: "push", fn: "unknown_fn", args: {} });
	assert.match(log.warnings.at(-1), /'unknown_fn', which is not a client.realtime of kitchen/);
});

test("server messages wait for ready, and a push without a handler is reported", async () => {
	const { log, welcome, ready } = setup();
	const ws = await welcome();
	ws.receive({ t: "push", fn: "changed", args: { item: item(), why: "x" } });
	assert.equal(log.warnings.length, 0, "held until ready");
	await ready();
	assert.match(log.warnings[0], /no handler for client.realtime 'changed'/);
});

test("client.on custom event: the handler and the bus both hear it", async () => {
	const { conn, welcome, ready } = setup();
	const got = [];
	conn.register({ closed: (room) => got.push(`handler ${room}`) });
	conn.on("room.closed", (args) => got.push(`bus ${args.room}`));
	const ws = await welcome();
	await ready();
	ws.receive({ t: "event", name: "room.closed", args: { room: "lobby" } });
	assert.deepEqual(got, ["handler lobby", "bus lobby"]);
});

test("t:resync of a group: a resync event naming it, in its place among the pushes; said on the console with no listener", async () => {
	const { conn, log, welcome, ready } = setup();
	const got = [];
	conn.on("resync", (d) => got.push(d));
	const ws = await welcome();
	ws.receive({ t: "push", fn: "changed", args: { item: item(), why: "x" }, seq: 1 });
	ws.receive({ t: "resync", group: "room", reason: "history", seq: 2 });
	ws.receive({ t: "push", fn: "changed", args: { item: item({ name: "b" }), why: "y" }, seq: 3 });
	assert.deepEqual(got, [], "held until ready");
	conn.register({ changed: (it) => got.push(`changed ${it.name}`) });
	await ready();
	assert.deepEqual(got, ["changed a", { reason: "history", group: "room", lost: 0 }, "changed b"]);
	assert.equal(conn.delivery.lastIn, 3, "numbered like any reliable message");
	const quiet = setup();
	const ws2 = await quiet.welcome();
	await quiet.ready();
	ws2.receive({ t: "resync", group: "room", reason: "reset", seq: 1 });
	assert.match(quiet.log.warnings.at(-1), /group 'room': messages were missed \(reset\); listen to 'resync'/);
	assert.equal(log.warnings.length, 0);
});

test("t:error: a failed send is an error event naming the endpoint", async () => {
	const { conn, welcome, ready } = setup();
	const errors = [];
	conn.on("error", (e) => errors.push([e.code, e.fn, e.message, e.path]));
	const ws = await welcome();
	await ready();
	ws.receive({ t: "error", fn: "log", error: { code: "invalid_argument", message: "log: line: expected string, got int", path: "line" } });
	assert.deepEqual(errors, [["invalid_argument", "log", "log: line: expected string, got int", "line"]]);
});

test("register: names that are not client endpoints are warned about, not thrown", () => {
	const { conn, log } = setup();
	conn.register({ get: () => 1, nothing: () => 2, changed: "not a function", ask: () => true });
	assert.equal(log.warnings.length, 3);
	assert.match(log.warnings[0], /'get' is not a client endpoint of kitchen \(it is a server.rpc\)/);
	assert.match(log.warnings[1], /'nothing' is not a client endpoint of kitchen \(no such endpoint\)/);
	assert.match(log.warnings[2], /the handler for 'changed' is not a function/);
});

test("send: bad arguments or a wrong endpoint throw an LvError", () => {
	const { conn } = setup();
	assert.throws(() => conn.send("log", { line: 1 }), (e) => e instanceof LvError && e.message === "log: line: expected string, got int");
	assert.throws(() => conn.send("get", { id: 1 }), (e) => e.code === "not_found" && /has no server.realtime 'get' \(it is a server.rpc\)/.test(e.message));
});

test("page.add: the page bus hears the connections on it, until dispose takes them off", async () => {
	const seen = [];
	const off = page.on("custom.thing", (d) => seen.push(d));
	const schema = kitchenSchema();
	const a = page.add(createConnection(schema, { autoConnect: false }));
	assert.equal(page.add(a), a, "adding twice is once");
	assert.ok(page.connections.includes(a));
	a.on("custom.thing", () => {});
	a.dispose();
	assert.equal(a.state, "closed");
	assert.ok(!page.connections.includes(a));
	assert.throws(() => a.open(), /was disposed/);
	off();
	assert.deepEqual(seen, []);
});

test("window.lv: no global at import; in a browser the page is window.lv while it has a connection", async () => {
	const { execFileSync } = await import("node:child_process");
	const url = new URL("../../runtime/js/lv.js", import.meta.url).href;
	const schema = JSON.stringify(kitchenSchema());
	const out = execFileSync(process.execPath, ["--input-type=module", "-e", `
		globalThis.window = globalThis;
		const m = await import(${JSON.stringify(url)});
		const before = "lv" in globalThis;
		const c = m.page.add(m.createConnection(${schema}, { autoConnect: false }));
		const during = [globalThis.lv === m.page, typeof globalThis.lv.on, typeof globalThis.lv.scan,
			typeof globalThis.lv.commands.add, globalThis.lv.allowEval];
		c.dispose();
		console.log(JSON.stringify([before, during, "lv" in globalThis]));
	`], { encoding: "utf8" });
	assert.deepEqual(JSON.parse(out), [false, [true, "function", "function", "function", false], false]);
});

test("configure: new texts reach the modes' default lists, not the ones the page replaced", async () => {
	const { conn, log, WS, welcome } = setup();
	conn.setMode("SERVER_ERROR_500", { enter: [] });
	conn.configure({ texts: { offline: "Gone", serverError: "Oops" } });
	await welcome();
	WS.last.drop(1006);
	assert.deepEqual(log.infos, ["lv: Gone"]);
	assert.deepEqual(conn.modes.get("SERVER_ERROR_500").enter, [], "the page's list is kept");
	assert.equal(conn.modes.get("SERVER_ERROR_500").exit[0][0], "lv.clear_notifications");
});

test("acks: the server's numbered messages are acknowledged once, ackDelay ms after the first, up to the last", async () => {
	const { conn, clock, welcome, ready } = setup({ ackDelay: 300 });
	conn.register({ changed: () => {} });
	const ws = await welcome({ session: "s1" });
	await ready();
	for (let seq = 1; seq <= 3; seq++)
		ws.receive({ t: "push", fn: "changed", args: { item: item(), why: "x" }, seq });
	await clock.advance(299);
	assert.deepEqual(ws.of("ack"), [], "no ack before ackDelay");
	await clock.advance(1);
	assert.deepEqual(ws.of("ack"), [{ t: "ack", seq: 3 }], "one ack for all three");
	ws.receive({ t: "push", fn: "changed", args: { item: item(), why: "x" }, seq: 4 });
	await clock.advance(300);
	assert.deepEqual(ws.of("ack").map((m) => m.seq), [3, 4], "the next one waits its own delay");
});

test("acks: at once when a quarter of the welcome's window waits, in messages or in bytes", async () => {
	const { conn, clock, welcome, ready } = setup({ ackDelay: 60000 });
	conn.register({ changed: () => {} });
	const ws = await welcome({ session: "s1", window: { messages: 40, bytes: 4000 } });
	await ready();
	const push = (seq, why = "x") => ws.receive({ t: "push", fn: "changed", args: { item: item(), why }, seq });
	for (let seq = 1; seq <= 9; seq++)
		push(seq);
	await clock.advance(0);
	assert.deepEqual(ws.of("ack"), [], "9 of a window of 40: not yet");
	push(10);
	await clock.advance(0);
	assert.deepEqual(ws.of("ack"), [{ t: "ack", seq: 10 }], "10 of 40: at once");
	push(11, "y".repeat(1000));   // over 1000 bytes, a quarter of 4000, alone
	await clock.advance(0);
	assert.deepEqual(ws.of("ack").map((m) => m.seq), [10, 11]);
	assert.deepEqual(clock.pending().filter((ms) => ms === 60000), [], "no delayed ack left behind");
});

test("acks: at once after ackEvery messages, however large the window", async () => {
	const { conn, clock, welcome, ready } = setup({ ackDelay: 60000, ackEvery: 5 });
	conn.register({ changed: () => {} });
	const ws = await welcome({ session: "s1", window: { messages: 4096, bytes: 8 << 20 } });
	await ready();
	for (let seq = 1; seq <= 4; seq++)
		ws.receive({ t: "push", fn: "changed", args: { item: item(), why: "x" }, seq });
	await clock.advance(0);
	assert.deepEqual(ws.of("ack"), [], "4 of ackEvery 5: not yet");
	ws.receive({ t: "push", fn: "changed", args: { item: item(), why: "x" }, seq: 5 });
	await clock.advance(0);
	assert.deepEqual(ws.of("ack"), [{ t: "ack", seq: 5 }]);
});
