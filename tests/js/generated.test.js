// generated.test.js - lv.js against what lvc generates: the .d.ts files
// type-check with lv.d.ts, the generated module and handler file work with
// lv.js, and the bundle builds.
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { copyFileSync, readFileSync, readdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { test } from "node:test";
import { pathToFileURL } from "node:url";

import { ROOT, fakeWebSocketClass, flush, generate, recordingConsole, tempDir } from "./helpers.js";

const TSC = join(ROOT, "node_modules/.bin/tsc");
const RUNTIME = join(ROOT, "runtime/js");

function tsc(dir, args) {
	try {
		execFileSync(TSC, args, { cwd: dir, stdio: "pipe" });
		return "";
	} catch (e) {
		return `${e.stdout}${e.stderr}`;
	}
}

/* The generated files of an .lv, with lv.js (its modules and types) beside them. */
function withRuntime(lv, prefix) {
	const dir = generate(join(ROOT, lv), prefix);
	for (const f of readdirSync(RUNTIME))
		if (f.endsWith(".js") || f.endsWith(".d.ts"))
			copyFileSync(join(RUNTIME, f), join(dir, f));
	return dir;
}

test("tsc --strict: the chat example's chat.lv.d.ts with lv.d.ts", () => {
	const dir = withRuntime("examples/chat/chat.lv", "tsc-chat");
	assert.equal(tsc(dir, ["--strict", "--noEmit", "chat.lv.d.ts", "lv.d.ts"]), "");
});

test("tsc --strict: every kind of endpoint (kitchen.lv.d.ts), and a page written in TypeScript", () => {
	const dir = withRuntime("tests/js/fixtures/kitchen.lv", "tsc-kitchen");
	assert.equal(tsc(dir, ["--strict", "--noEmit", "kitchen.lv.d.ts", "lv.d.ts"]), "");
	writeFileSync(join(dir, "page.ts"), `
import { argsFrom, connect, createClient, Level, type Client, type Item } from "./kitchen.lv.js";
import { LvError, page, type Connection, type CallOptions } from "./lv.js";
export async function main(el: HTMLElement): Promise<Item | null> {
	const kitchen: Client = connect({ autoConnect: false });
	const { get, save, slow, cursor, clicked, register, lv } = kitchen;
	const other = createClient({ url: "ws://elsewhere/lv/ws" });
	other.dispose();
	const read: Record<string, unknown> = argsFrom(el, ["id"], "clicked");
	void read;
	const opts: CallOptions = { timeout: 100, signal: new AbortController().signal };
	const it: Item = await get(1, opts);
	await slow(2);
	cursor(1, 2);
	const off: () => void = clicked.bind(el);
	off();
	lv.bind(el, "dblclick", clicked);
	lv.bind(el, "clicked");
	const unsub = lv.on("state", (s) => { const x: "connecting" | "open" | "offline" | "closed" = s; void x; });
	unsub();
	lv.on("error", (e) => console.log(e.code, e.path));
	lv.on("blocked", (b) => b.preventDefault());
	lv.on("room.closed", (d) => console.log(d));
	register({
		ask: async (q) => q.length > 0,
		pick: (choices) => choices[0] ?? null,
		changed: (item, why) => console.log(item.tags, why),
		closed: (room) => console.log(room),
		on_ready: () => {},
		clicked: (ev, elem) => ({ id: Number(elem.getAttribute("data-id")) }),
		typed: () => false,
	});
	const c: Connection = kitchen.lv;
	c.run([["lv.notify", "hi", { sticky: true }]]);
	page.commands.add("app.beep", (args, kwargs) => console.log(args, kwargs));
	const lvl: Level = Level.mid;
	try {
		return await save({ ...it, level: lvl });
	} catch (e) {
		if (e instanceof LvError && e.code === "deadline_exceeded")
			return null;
		throw e;
	}
}
`);
	assert.equal(tsc(dir, ["--strict", "--noEmit", "--target", "es2022", "--module", "esnext",
	                       "--moduleResolution", "bundler", "page.ts"]), "");
});

test("tsc --strict: a contract with models (client.model with ModelBinding), and a page that names its bindings", () => {
	const dir = withRuntime("tests/cases/valid/models/input.lv", "tsc-models");
	writeFileSync(join(dir, "page.ts"), `
import type { Client, Tag, Todo } from "./input.lv.js";
import type { ModelBinding } from "./lv.js";
declare const client: Client;
export const todos: ModelBinding<Todo, number, "id", "rev"> = client.model.todos;
export const admin: ModelBinding<Todo, number, "id", "rev"> = client.model.todos_admin;
export const tags: ModelBinding<Tag, string, "name", "version"> = client.model.tags;
export const row: Todo = { id: 1, owner: "ann", title: "t", labels: [], rev: 1 };
`);
	assert.equal(tsc(dir, ["--strict", "--noEmit", "input.lv.d.ts", "lv.d.ts"]), "");
	assert.equal(tsc(dir, ["--strict", "--noEmit", "--target", "es2022", "--module", "esnext",
	                       "--moduleResolution", "bundler", "page.ts"]), "");
	// and there is no client.model where the contract has no binding
	writeFileSync(join(dir, "no_model.ts"), `
import type { Client } from "./input.lv.js";
declare const client: Client;
// @ts-expect-error: no binding is named nothing
export const none = client.model.nothing;
`);
	assert.equal(tsc(dir, ["--strict", "--noEmit", "--target", "es2022", "--module", "esnext",
	                       "--moduleResolution", "bundler", "no_model.ts"]), "");
});

test("the generated module's schema lists each binding: its model, ops, key, version, filter, order, limit", async () => {
	const dir = withRuntime("tests/cases/valid/models/input.lv", "js-models");
	const { schema } = await import(pathToFileURL(join(dir, "input.lv.js")).href);
	assert.deepEqual(Object.keys(schema.models), ["tags", "todos", "todos_admin"]);
	assert.deepEqual(schema.models.todos, {
		model: "Todo", ops: ["retrieve", "list", "create", "update", "delete", "subscribe", "unsubscribe"],
		key: "id", version: "rev", filter: ["owner", "done", "priority"], order: ["title", "rev"], limit: 100,
	});
	assert.deepEqual(schema.models.todos_admin.ops, ["delete"]);
	assert.deepEqual(schema.models.tags, {
		model: "Tag", ops: ["retrieve", "list"], key: "name", version: "version", filter: [], order: ["name"], limit: 500,
	});
	assert.equal(schema.types.Todo.kind, "struct", "the model's struct is a type of the schema");
	assert.equal(schema.endpoints["todos.list"], undefined, "the operations are the runtime's, not endpoints of the schema");
	const plain = withRuntime("examples/chat/chat.lv", "js-no-models");
	const chat = await import(pathToFileURL(join(plain, "chat.lv.js")).href);
	assert.equal(chat.schema.models, undefined, "no models member without bindings");
});

test("the generated module and handler file work with lv.js", async () => {
	const dir = withRuntime("tests/js/fixtures/kitchen.lv", "module");
	const WS = fakeWebSocketClass();
	const log = recordingConsole();
	const env = { WebSocket: WS, console: log, document: undefined, window: undefined };
	const mod = await import(pathToFileURL(join(dir, "kitchen.lv.js")).href);
	const handlers = await import(pathToFileURL(join(dir, "kitchen_handlers.js")).href);
	const { page } = await import(pathToFileURL(join(dir, "lv.js")).href);
	await new Promise((r) => setTimeout(r, 5));
	assert.equal(WS.instances.length, 0, "importing opens nothing");
	assert.equal(page.connections.length, 0);
	const client = mod.connect({ url: "ws://test/lv/ws", env });
	assert.equal(mod.connect(), client, "connect() gives the same client every time");
	assert.notEqual(mod.createClient({ autoConnect: false, env }).lv, client.lv, "createClient makes another");
	assert.ok(page.connections.includes(client.lv));
	assert.equal(client.clicked, client.lv.callback("clicked"));
	assert.equal(client.schema, mod.schema);
	assert.deepEqual(mod.Level, { low: "low", mid: "mid", high: "high" });
	const { get, cursor, save, register } = client;    // the functions need no this
	register(handlers);
	assert.deepEqual(log.warnings, [], "every handler of the generated file is a client endpoint");
	// a handler file may export helpers too: they are listed, quietly
	writeFileSync(join(dir, "more.js"), "export function on_disconnect() {}\nexport const helper = 1;\n");
	register(await import(pathToFileURL(join(dir, "more.js")).href));
	assert.deepEqual(log.warnings, []);
	assert.deepEqual(log.debugs, ["lv.register: exports that are not client endpoints of kitchen, left alone: helper"]);
	const p = get(5);
	cursor(1, 2);
	const s = save({ id: 1, name: "n", tags: [] });
	await new Promise((r) => setTimeout(r, 5));     // the socket opens a turn after connect()
	assert.equal(WS.instances.length, 1);
	const ws = WS.last;
	ws.open();
	ws.receive({ t: "welcome", conn: "c", heartbeat: 25000 });
	assert.deepEqual(ws.sent.map((m) => [m.t, m.fn, m.args]), [
		["hello", undefined, undefined], ["call", "get", { id: 5 }], ["send", "cursor", { x: 1, y: 2 }],
		["call", "save", { item: { id: 1, name: "n", tags: [] } }]]);
	const [c1, c2] = ws.of("call");
	ws.receive({ t: "ret", id: c1.id, ok: true, value: { id: 5, name: "five", tags: ["t"] } });
	ws.receive({ t: "ret", id: c2.id, ok: true, value: null });
	assert.equal((await p).name, "five");
	assert.equal(await s, null);
	// the stub of a client.rpc answers internal, with its message
	ws.receive({ t: "ccall", id: 1, fn: "ask", args: { question: "q" } });
	await flush();
	assert.deepEqual(ws.of("cret"), [{ t: "cret", id: 1, ok: false,
		error: { code: "unavailable", message: "ask: no code yet: write it in kitchen_handlers.js" } }]);
	// a callback's stub reads its arguments from the page, typed
	const el = { nodeName: "BUTTON", getAttribute: (n) => (n === "data-lv-arg-id" ? "7" : null),
		hasAttribute: (n) => n === "data-lv-arg-id" };
	assert.deepEqual(mod.argsFrom(el, ["id"], "clicked"), { id: 7 });
	client.dispose();
	assert.equal(client.lv.state, "closed");
	assert.notEqual(mod.connect({ autoConnect: false, env }), client, "after dispose, connect() makes a new one");
	for (const c of [...page.connections])
		c.dispose();
	assert.equal(page.connections.length, 0);
});

test("build.mjs bundles lv.js and morphdom into one module with no bare imports", async () => {
	const dir = tempDir("bundle");
	const out = join(dir, "lv.js");
	execFileSync(process.execPath, [join(RUNTIME, "build.mjs"), out], { stdio: "pipe" });
	const text = readFileSync(out, "utf8");
	assert.doesNotMatch(text, /^\s*import\s/m, "no import left");
	assert.match(text, /morphdom/i);
	const m = await import(pathToFileURL(out).href);
	for (const name of ["clientModule", "createConnection", "LvError", "page", "backoffDelay"])
		assert.ok(name in m, `the bundle exports ${name}`);
	const e = new m.LvError("not_found", "x: no", "p");
	assert.equal(e.status, 404);
});
