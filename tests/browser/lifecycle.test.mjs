// lifecycle.test.mjs - a client disposed and made again on a real page (what
// a hot reload does): dispose closes the socket and removes every listener
// lv.js added to window, document and the bound buttons; the new client
// opens one socket, binds once, and the page works as before.
import { after, before, test } from "node:test";
import assert from "node:assert/strict";
import { launch, openPage, startServer, stopServer } from "./harness.mjs";

let server, browser;
before(async () => {
	server = await startServer("counter");
	browser = await launch();
});
after(async () => {
	await browser?.close();
	await stopServer(server);
});

/* Runs in the page before its scripts: keeps the live listeners lv.js
 * added (by target) and counts the WebSockets not closed. */
function instrument() {
	const live = new Set();
	const add = EventTarget.prototype.addEventListener;
	const remove = EventTarget.prototype.removeEventListener;
	const key = (t, type, fn, o) => ({ t, type, fn, capture: !!(typeof o === "boolean" ? o : o?.capture) });
	EventTarget.prototype.addEventListener = function (type, fn, o) {
		// only lv.js's (playwright adds listeners of its own to window)
		if (!(this instanceof WebSocket) && /\/lv\.js:\d/.test(new Error().stack))
			live.add(key(this, type, fn, o));
		return add.call(this, type, fn, o);
	};
	EventTarget.prototype.removeEventListener = function (type, fn, o) {
		const k = key(this, type, fn, o);
		for (const x of live)
			if (x.t === k.t && x.type === k.type && x.fn === k.fn && x.capture === k.capture)
				live.delete(x);
		return remove.call(this, type, fn, o);
	};
	const sockets = [];
	const Native = window.WebSocket;
	window.WebSocket = class extends Native {
		constructor(...a) {
			super(...a);
			sockets.push(this);
		}
	};
	window.__lv_probe = () => {
		const where = (t) => (t === window ? "window" : t === document ? "document" : t.id || t.nodeName);
		return {
			// (a once listener that has fired is gone without a remove call)
			listeners: [...live].filter((x) => x.type !== "DOMContentLoaded")
				.map((x) => `${where(x.t)}:${x.type}`).sort(),
			sockets: sockets.filter((s) => s.readyState <= 1).length,
		};
	};
}

test("dispose, then a new client: one socket, one set of listeners, the page works", async () => {
	const errors = [];
	const context = await browser.newContext();
	await context.addInitScript(instrument);
	const page = await openPage(context, server.url, errors);
	const probe = () => page.evaluate(() => window.__lv_probe());
	await page.waitForFunction(async () => (await import("./counter.lv.js")).connect().lv.state === "open");
	await page.click("#plus1");
	await page.waitForFunction(() => document.getElementById("count").textContent === "1");
	const first = await probe();
	assert.equal(first.sockets, 1);
	assert.ok(first.listeners.includes("window:pagehide"), first.listeners.join(" "));
	assert.ok(first.listeners.includes("plus1:click"), first.listeners.join(" "));

	// what a hot reload does with the old module's client
	const gone = await page.evaluate(async () => {
		const client = (await import("./counter.lv.js")).connect();
		client.dispose();
		return { state: client.lv.state, global: "lv" in window };
	});
	assert.deepEqual(gone, { state: "closed", global: false });
	await page.waitForFunction(() => window.__lv_probe().sockets === 0);
	assert.deepEqual((await probe()).listeners, [], "dispose removed every listener lv.js added");
	await page.click("#plus1");                       // nothing bound: nothing happens
	assert.equal(await page.$eval("#count", (el) => el.textContent), "1");

	await page.evaluate(async () => {
		const mod = await import("./counter.lv.js");
		const client = mod.connect();
		client.register(await import("./counter_handlers.js"));
	});
	await page.waitForFunction(async () => (await import("./counter.lv.js")).connect().lv.state === "open");
	const second = await probe();
	assert.equal(second.sockets, 1, "one socket after the reload");
	assert.deepEqual(second.listeners, first.listeners, "the same listeners as the first client, once");
	await page.click("#plus5");
	await page.waitForFunction(() => !["1", "0"].includes(document.getElementById("count").textContent));
	assert.deepEqual(errors, []);
	await context.close();
});
