// helpers.js - what the lv.js tests share: the schema of fixtures/kitchen.lv
// as lvc generates it, a clock the tests move by hand, a WebSocket the tests
// play the server through, a console that records, and a jsdom page.
import { execFileSync } from "node:child_process";
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { runInNewContext } from "node:vm";

import { createConnection } from "../../runtime/js/lv.js";

export const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), "../..");
export const LVC = join(ROOT, "build/lvc");

const made = [];
process.on("exit", () => {
	for (const d of made)
		rmSync(d, { recursive: true, force: true });
});

/** A fresh folder under build/ (so that node finds node_modules from it),
 * removed when the test process ends. */
export function tempDir(prefix) {
	const base = join(ROOT, "build/js-test");
	mkdirSync(base, { recursive: true });
	const d = mkdtempSync(join(base, `${prefix}-`));
	made.push(d);
	return d;
}

/** Runs lvc on an .lv file into a fresh folder; returns the folder. */
export function generate(lvFile, prefix = "gen") {
	if (!existsSync(LVC))
		throw new Error("build/lvc is missing: run 'make lvc' first");
	const out = tempDir(prefix);
	execFileSync(LVC, [lvFile, "-o", out], { stdio: "pipe" });
	return out;
}

let kitchen = null;

/** The schema object lvc writes into kitchen.lv.js. */
export function kitchenSchema() {
	if (kitchen)
		return kitchen;
	const dir = generate(join(ROOT, "tests/js/fixtures/kitchen.lv"), "kitchen");
	const text = readFileSync(join(dir, "kitchen.lv.js"), "utf8");
	const m = /export const schema = Object\.freeze\(([\s\S]*?)\);\n/.exec(text);
	if (!m)
		throw new Error("kitchen.lv.js has no 'export const schema = Object.freeze(...)'");
	// a JavaScript object literal (JSON values): evaluated apart from the tests
	kitchen = JSON.parse(JSON.stringify(runInNewContext(`(${m[1]})`)));
	return kitchen;
}

/** Lets every pending promise callback run. */
export function flush() {
	return new Promise((r) => setImmediate(r));
}

/** Timers that run when the test says so. */
export class FakeClock {
	constructor() {
		this.t = 0;
		this.seq = 0;
		this.timers = new Map();
		this.setTimeout = (fn, ms) => {
			const id = ++this.seq;
			this.timers.set(id, { at: this.t + Math.max(0, Number(ms) || 0), fn, id });
			return id;
		};
		this.clearTimeout = (id) => {
			this.timers.delete(id);
		};
		this.now = () => this.t;
	}

	/** Moves time on by ms, running each timer due, in order, with its promises. */
	async advance(ms) {
		const end = this.t + ms;
		await flush();
		for (;;) {
			let next = null;
			for (const tm of this.timers.values())
				if (tm.at <= end && (!next || tm.at < next.at || (tm.at === next.at && tm.id < next.id)))
					next = tm;
			if (!next)
				break;
			this.timers.delete(next.id);
			this.t = next.at;
			next.fn();
			await flush();
		}
		this.t = end;
		await flush();
	}

	/** The delays of the pending timers, soonest first. */
	pending() {
		return [...this.timers.values()].map((t) => t.at - this.t).sort((a, b) => a - b);
	}
}

/** A WebSocket class of its own for one test: the test plays the server. */
export function fakeWebSocketClass() {
	class FakeWebSocket {
		constructor(url) {
			this.url = url;
			this.sent = [];
			this.closed = null;
			this.readyState = 0;
			FakeWebSocket.instances.push(this);
		}

		send(text) {
			if (this.readyState !== 1)
				throw new Error("InvalidStateError: not open");
			this.sent.push(JSON.parse(text));
		}

		close(code, reason) {
			this.closed = { code, reason };
			this.readyState = 2;
		}

		// the server's side
		open() {
			this.readyState = 1;
			this.onopen?.({});
		}

		receive(msg) {
			this.onmessage?.({ data: typeof msg === "string" ? msg : JSON.stringify(msg) });
		}

		drop(code = 1006, reason = "") {
			this.readyState = 3;
			this.onclose?.({ code, reason });
		}

		/** The messages sent of type t. */
		of(t) {
			return this.sent.filter((m) => m.t === t);
		}
	}
	FakeWebSocket.instances = [];
	Object.defineProperty(FakeWebSocket, "last", { get: () => FakeWebSocket.instances.at(-1) });
	return FakeWebSocket;
}

/** A console that records instead of printing. */
export function recordingConsole() {
	const c = { errors: [], warnings: [], infos: [], debugs: [] };
	c.debug = (...a) => c.debugs.push(a.map(String).join(" "));
	c.error = (...a) => c.errors.push(a.map(String).join(" "));
	c.warn = (...a) => c.warnings.push(a.map(String).join(" "));
	c.info = (...a) => c.infos.push(a.map(String).join(" "));
	c.log = c.info;
	return c;
}

/**
 * A connection on the kitchen schema with a fake clock, socket and console
 * (no document unless env.document is given). Nothing opens by itself.
 */
export function setup(options = {}) {
	const clock = new FakeClock();
	const WS = fakeWebSocketClass();
	const log = recordingConsole();
	const { env: envOverride, schema, ...rest } = options;
	const env = {
		WebSocket: WS,
		setTimeout: clock.setTimeout,
		clearTimeout: clock.clearTimeout,
		now: clock.now,
		random: () => 0.5,
		console: log,
		document: undefined,
		window: undefined,
		location: undefined,
		fetch: undefined,
		...envOverride,
	};
	const conn = createConnection(schema || kitchenSchema(), { autoConnect: false, url: "ws://test/lv/ws", ...rest, env });
	const h = {
		conn, clock, WS, log,
		/** Opens the socket and has the server welcome it; returns the socket. */
		async welcome(extra = {}) {
			conn.open();
			const ws = WS.last;
			ws.open();
			ws.receive({ t: "welcome", conn: "c1", heartbeat: 25000, ...extra });
			await flush();
			return ws;
		},
		/** Gets the page to ready (no document: a turn after start). */
		async ready() {
			await clock.advance(0);
		},
	};
	return h;
}

/** A DOM element the tests can dispatch events on, without a document. */
export function fakeElement(nodeName = "BUTTON", props = {}) {
	const el = new EventTarget();
	Object.assign(el, { nodeName, type: "button", getAttribute: () => null, ...props });
	return el;
}

/** A jsdom page (jsdom is only needed by the tests of DOM work). */
export async function page(html = "<!doctype html><html><head></head><body></body></html>") {
	const { JSDOM } = await import("jsdom");
	const dom = new JSDOM(html, { pretendToBeVisual: true });
	const w = dom.window;
	// morphdom reads these globals
	globalThis.HTMLElement = w.HTMLElement;
	globalThis.document = w.document;
	return { dom, window: w, document: w.document };
}
