// callbacks.test.js - client.callback: binding and its validation, the
// concurrency models, blocked groups, debounce, confirm, and reading the
// arguments from the page.
import assert from "node:assert/strict";
import { test } from "node:test";

import { LvError, page as lvPage } from "../../runtime/js/lv.js";
import { fakeElement, flush, page, setup } from "./helpers.js";

const applied = [];
lvPage.commands.add("test.record", ([v]) => applied.push(v));

/* A connection, welcomed and ready, whose callbacks take their arguments
 * from the element's n (and q). */
async function live(options = {}) {
	const h = setup(options);
	const fromEl = (ev, el) => ({ id: el.n });
	h.conn.register({
		clicked: fromEl, save_one: fromEl, save_two: fromEl, like: fromEl, publish: fromEl, remove: fromEl,
		search: (ev, el) => ({ q: el.q }), typed: (ev, el) => ({ text: el.value }),
	});
	h.ws = await h.welcome();
	await h.ready();
	h.click = (el, type = "click") => el.dispatchEvent(new Event(type, { cancelable: true }));
	h.calls = () => h.ws.of("call").map((m) => [m.fn, m.args]);
	h.answer = (i, extra = {}) => h.ws.receive({ t: "ret", id: h.ws.of("call")[i].id, ok: true, value: null, ...extra });
	return h;
}

test("bind: only a declared client.callback can be bound, and it says so at once", () => {
	const { conn } = setup();
	const el = fakeElement();
	assert.throws(() => conn.bind(el, "get"),
	              { message: "lv.bind: 'get' is a server.rpc of kitchen, not a client.callback; only client.callback endpoints can be bound to DOM events" });
	assert.throws(() => conn.bind(el, "click", "nope"),
	              /^Error: lv\.bind: 'nope' is not declared in kitchen \(its client\.callbacks are: clicked, form_sent, like, /);
	assert.throws(() => conn.bind(el, () => 1), /lv\.bind: expected a Callback .* got function/);
	assert.throws(() => conn.bind(null, "clicked"), { message: "lv.bind: 'clicked' needs an element to bind to; got null" });
	assert.throws(() => conn.callback("ask"), /lv\.callback: 'ask' is a client\.rpc of kitchen, not a client\.callback/);
	assert.equal(conn.callback("clicked"), conn.callback("clicked"));
});

test("bind: by Callback or name, once per element and event; unbind stops it", async () => {
	const h = await live();
	const el = fakeElement("BUTTON", { n: 4 });
	const off = h.conn.bind(el, h.conn.callback("clicked"));
	assert.equal(h.conn.bind(el, "clicked"), off, "binding again is the same binding");
	h.click(el);
	await flush();
	assert.deepEqual(h.calls(), [["clicked", { id: 4 }]]);
	h.answer(0);
	off();
	h.click(el);
	await flush();
	assert.equal(h.calls().length, 1);
	const other = fakeElement("DIV", { n: 5 });
	h.conn.callback("clicked").bind(other, "dblclick");
	h.click(other);
	h.click(other, "dblclick");
	await flush();
	assert.deepEqual(h.calls(), [["clicked", { id: 4 }], ["clicked", { id: 5 }]]);
});

test("callback: a handler returning false sends nothing; bad arguments are an error event", async () => {
	const h = await live();
	const errors = [];
	h.conn.on("error", (e) => errors.push(e.message));
	h.conn.register({ clicked: () => false, like: () => ({ id: "x" }) });
	const a = fakeElement(), b = fakeElement();
	h.conn.bind(a, "clicked");
	h.conn.bind(b, "like");
	h.click(a);
	h.click(b);
	await flush();
	assert.deepEqual(h.calls(), []);
	assert.deepEqual(errors, ["like: id: expected int, got string"]);
});

test("serial: one at a time; the next is read and sent when the first is answered", async () => {
	const h = await live();
	const a = fakeElement("BUTTON", { n: 1 }), b = fakeElement("BUTTON", { n: 2 });
	h.conn.bind(a, "save_one");
	h.conn.bind(b, "save_two");           // same group "edit"
	h.click(a);
	h.click(b);
	b.n = 22;                             // values are read when the call is sent
	await flush();
	assert.deepEqual(h.calls(), [["save_one", { id: 1 }]]);
	h.answer(0);
	await flush();
	assert.deepEqual(h.calls(), [["save_one", { id: 1 }], ["save_two", { id: 22 }]]);
});

test("parallel: sent at once, answers applied as they come", async () => {
	const h = await live();
	applied.length = 0;
	const a = fakeElement("BUTTON", { n: 1 }), b = fakeElement("BUTTON", { n: 2 });
	h.conn.bind(a, "like");
	h.conn.bind(b, "like");
	h.click(a);
	h.click(b);
	await flush();
	assert.deepEqual(h.calls(), [["like", { id: 1 }], ["like", { id: 2 }]]);
	h.answer(1, { cmds: [["test.record", "second"]] });
	await flush();
	assert.deepEqual(applied, ["second"]);
	h.answer(0, { cmds: [["test.record", "first"]] });
	await flush();
	assert.deepEqual(applied, ["second", "first"]);
});

test("receive_serial: sent at once, answers applied in the order sent", async () => {
	const h = await live();
	applied.length = 0;
	const a = fakeElement("INPUT", { q: "a" }), b = fakeElement("INPUT", { q: "ab" });
	h.conn.bind(a, "search");
	h.conn.bind(b, "search");
	h.click(a);
	h.click(b);
	await flush();
	assert.deepEqual(h.calls(), [["search", { q: "a" }], ["search", { q: "ab" }]]);
	h.answer(1, { cmds: [["test.record", "ab"]] });
	await flush();
	assert.deepEqual(applied, [], "the later answer waits for the earlier one");
	h.answer(0, { cmds: [["test.record", "a"]] });
	await flush();
	assert.deepEqual(applied, ["a", "ab"]);
});

test("blocks: groups are held back while the call runs; input to them raises blocked", async () => {
	const h = await live();
	const blocked = [];
	h.conn.on("blocked", (d) => { blocked.push([d.group, d.callback, d.offline]); d.preventDefault(); });
	const pub = fakeElement("BUTTON", { n: 1 }), edit = fakeElement("BUTTON", { n: 2 }), like = fakeElement("BUTTON", { n: 3 });
	h.conn.bind(pub, "publish");
	h.conn.bind(edit, "save_one");
	h.conn.bind(like, "like");
	h.click(pub);
	await flush();
	assert.equal(h.conn.isBlocked("edit"), true);
	h.click(edit);
	h.click(like);
	await flush();
	assert.deepEqual(blocked, [["edit", "save_one", false], ["feed", "like", false]]);
	assert.deepEqual(h.calls(), [["publish", { id: 1 }]]);
	h.answer(0);
	await flush();
	assert.equal(h.conn.isBlocked("edit"), false);
	h.click(edit);
	await flush();
	assert.deepEqual(h.calls(), [["publish", { id: 1 }], ["save_one", { id: 2 }]]);
});

test("blocked: without preventDefault a brief notification says so", async () => {
	const h = await live();
	h.conn.block("edit");
	const el = fakeElement("BUTTON", { n: 1 });
	h.conn.bind(el, "save_one");
	h.click(el);
	await flush();
	assert.deepEqual(h.log.infos, ["lv: Busy: please wait\u2026"]);
	assert.deepEqual(h.calls(), []);
	h.conn.release("edit");
	h.click(el);
	await flush();
	assert.deepEqual(h.calls(), [["save_one", { id: 1 }]]);
});

test("offline: every group is blocked (OFFLINE mode), and released on reconnect", async () => {
	const h = await live();
	const blocked = [];
	h.conn.on("blocked", (d) => blocked.push(d.offline));
	const el = fakeElement("BUTTON", { n: 1 });
	h.conn.bind(el, "clicked");
	h.ws.drop(1006);
	assert.equal(h.conn.mode, "OFFLINE");
	h.click(el);
	await flush();
	assert.deepEqual(blocked, [true]);
	await h.clock.advance(h.conn.nextRetry);
	h.WS.last.open();
	h.WS.last.receive({ t: "welcome", conn: "c2", heartbeat: 25000 });
	assert.equal(h.conn.mode, "MAIN");
	h.click(el);
	await flush();
	assert.deepEqual(h.WS.last.of("call").map((m) => m.fn), ["clicked"]);
});

test("debounce: one call, debounce ms after the last event, with the last value", async () => {
	const h = await live();
	const el = fakeElement("INPUT", { value: "a" });
	h.conn.bind(el, h.conn.callback("typed"));        // its declared event: input
	h.click(el, "input");
	await h.clock.advance(100);
	el.value = "ab";
	h.click(el, "input");
	await h.clock.advance(200);
	el.value = "abc";
	h.click(el, "input");
	await h.clock.advance(299);
	assert.deepEqual(h.calls(), []);
	await h.clock.advance(1);
	assert.deepEqual(h.calls(), [["typed", { text: "abc" }]]);
});

test("confirm: the declared question is asked; no means nothing is sent", async () => {
	const asked = [];
	let answer = false;
	const h = await live({ env: { window: { confirm: (q) => { asked.push(q); return answer; } } } });
	const el = fakeElement("BUTTON", { n: 9 });
	h.conn.bind(el, "remove");
	h.click(el);
	await flush();
	assert.deepEqual(asked, ["Really delete?"]);
	assert.deepEqual(h.calls(), []);
	answer = true;
	h.click(el);
	await flush();
	assert.deepEqual(h.calls(), [["remove", { id: 9 }]]);
});

test("answers: commands run, errors are error events, internal enters SERVER_ERROR_500", async () => {
	const h = await live();
	applied.length = 0;
	const errors = [];
	h.conn.on("error", (e) => errors.push(e.code));
	const el = fakeElement("BUTTON", { n: 1 });
	h.conn.bind(el, "clicked");
	h.click(el);
	await flush();
	h.ws.receive({ t: "ret", id: h.ws.of("call")[0].id, ok: false, error: { code: "internal", message: "clicked: internal error" } });
	await flush();
	assert.deepEqual(errors, ["internal"]);
	assert.equal(h.conn.mode, "SERVER_ERROR_500");
	h.click(el);
	await flush();
	h.answer(1, { cmds: [["test.record", "ok"]] });
	await flush();
	assert.deepEqual(applied, ["ok"]);
	assert.equal(h.conn.mode, "MAIN", "a good answer leaves SERVER_ERROR_500");
});

const FORM = `<!doctype html><html><head></head><body>
<form id="f" data-lv-on-submit="form_sent">
  <input name="title" value="Hello">
  <input name="count" value=" 12 ">
  <input name="price" value="2.5">
  <input type="checkbox" name="urgent" checked>
  <input type="checkbox" name="tags" value="a" checked>
  <input type="checkbox" name="tags" value="b">
  <input type="checkbox" name="tags" value="c" checked>
  <input type="radio" name="level" value="low"><input type="radio" name="level" value="mid" checked>
  <input name="note" value="">
  <button id="go" type="submit">Go</button>
</form>
<form id="g"><select name="tags" multiple><option selected>x</option><option>y</option><option selected>z</option></select>
  <input name="count" value="1.5"><input name="price" value="abc"><input name="urgent" value="maybe"></form>
<input id="q" value="outside">
<button id="del" data-lv-arg-id="7" data-lv-on-click="kitchen.clicked">x</button>
<div id="bad" data-lv-on-click="nope get"></div>
</body></html>`;

test("argsFrom: reads the form's controls and coerces them to the parameter types", async () => {
	const { document } = await page(FORM);
	const { conn } = setup({ env: { document } });
	const go = document.getElementById("go");
	assert.deepEqual(conn.argsFrom(go, ["title", "count", "price", "urgent", "tags", "level", "note", "page"], "form_sent"), {
		title: "Hello", count: 12, price: 2.5, urgent: true, tags: ["a", "c"], level: "mid",
	});
	const g = document.getElementById("g");
	assert.deepEqual(conn.argsFrom(g, ["tags"], "form_sent"), { tags: ["x", "z"] });
	assert.deepEqual(conn.argsFrom(go, ["q"], "search"), { q: "outside" }, "by id, outside the form");
	assert.deepEqual(conn.argsFrom(document.getElementById("del"), ["id"], "clicked"), { id: 7 }, "data-lv-arg-id");
});

test("argsFrom: a value that does not coerce is LvError invalid_argument with its path", async () => {
	const { document } = await page(FORM);
	const { conn } = setup({ env: { document } });
	const g = document.getElementById("g");
	const bad = (name) => {
		try {
			conn.argsFrom(g, [name], "form_sent");
		} catch (e) {
			assert.ok(e instanceof LvError);
			return [e.code, e.message, e.path];
		}
		assert.fail("no error");
	};
	assert.deepEqual(bad("count"), ["invalid_argument", "form_sent: count: expected int, got a number with a fraction", "count"]);
	assert.deepEqual(bad("price"), ["invalid_argument", "form_sent: price: expected float, got 'abc'", "price"]);
	assert.deepEqual(bad("urgent"), ["invalid_argument", "form_sent: urgent: expected bool, got 'maybe'", "urgent"]);
});

test("scan: data-lv-on-* is bound at ready; unknown names are reported together", async () => {
	const { document } = await page(FORM);
	const h = setup({ env: { document } });
	const ws = await h.welcome();
	await h.ready();
	// the automatic scan bound #f and #del, and reported #bad on the console
	assert.match(h.log.errors[0], /^lv\.scan: <div#bad> data-lv-on-click: 'nope' is not declared in kitchen .*; <div#bad> data-lv-on-click: 'get' is a server\.rpc of kitchen, not a client\.callback/);
	const submit = new document.defaultView.Event("submit", { cancelable: true });
	document.getElementById("f").dispatchEvent(submit);
	document.getElementById("del").dispatchEvent(new document.defaultView.Event("click"));
	await flush();
	assert.equal(submit.defaultPrevented, true, "a submit handled by lv does not leave the page");
	assert.deepEqual(ws.of("call").map((m) => [m.fn, m.args]), [
		["form_sent", { title: "Hello", count: 12, price: 2.5, urgent: true, tags: ["a", "c"], level: "mid" }],
		["clicked", { id: 7 }]]);
	// scanning again binds nothing twice, and throws for the bad names
	const err = (() => { try { h.conn.scan(document); } catch (e) { return e; } })();
	assert.equal(err.errors.length, 2);
	ws.receive({ t: "ret", id: ws.of("call")[1].id, ok: true, value: null });   // clicked is serial
	document.getElementById("del").dispatchEvent(new document.defaultView.Event("click"));
	await flush();
	assert.equal(ws.of("call").length, 3);
});
