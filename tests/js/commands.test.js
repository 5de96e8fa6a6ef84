// commands.test.js - the command whitelist and each of lv's commands, and
// the execution modes whose enter and exit lists are commands.
import assert from "node:assert/strict";
import { test } from "node:test";

import { page as lvPage } from "../../runtime/js/lv.js";
import { flush, page, setup } from "./helpers.js";

const applied = [];
lvPage.commands.add("test.mark", ([v]) => applied.push(v));

async function withPage(html, options = {}) {
	const p = await page(html);
	const h = setup({ ...options, env: { document: p.document, window: p.window, ...(options.env || {}) } });
	await h.ready();
	return { ...p, ...h };
}

test("whitelist: an unknown command is reported and skipped; the rest still run", async () => {
	const { conn, log } = setup();
	await flush();
	applied.length = 0;
	conn.run([["test.mark", "before"], ["nope.cmd", 1, { a: 1 }], [5, "x"], "lv.notify", ["test.mark", "after"]]);
	assert.deepEqual(applied, ["before", "after"]);
	assert.equal(log.errors.length, 3);
	assert.match(log.errors[0], /^lv: unknown command 'nope\.cmd' skipped: it is not in the page's whitelist/);
	assert.match(log.errors[1], /^lv: a command is \[NAME, ARG\.\.\., \{KWARGS\}\]; skipped/);
});

test("whitelist: pages add commands, not under lv.'s names; kwargs come last", () => {
	const { conn } = setup();
	const got = [];
	lvPage.commands.add("test.args", (args, kwargs, c, ctx) => got.push([args, kwargs, c === conn, ctx.source]));
	assert.throws(() => lvPage.commands.add("lv.mine", () => {}), /'lv\.mine' is one of lv's own commands/);
	assert.throws(() => lvPage.commands.add("test.x", 5), /needs a function/);
	assert.equal(conn.commands, lvPage.commands);
	conn.run([["test.args", 1, [2], { k: 3 }], ["test.args", { only: "kwargs" }], ["test.args"]]);
	assert.deepEqual(got, [[[1, [2]], { k: 3 }, true, "page"], [[], { only: "kwargs" }, true, "page"], [[], {}, true, "page"]]);
	lvPage.commands.remove("test.args");
	assert.equal(lvPage.commands.has("test.args"), false);
});

test("answers: a ret's commands run before the call settles", async () => {
	const { conn, welcome } = setup();
	const ws = await welcome();
	applied.length = 0;
	const p = conn.call("get", { id: 1 }).then(() => applied.push("settled"));
	await flush();
	ws.receive({ t: "ret", id: ws.of("call")[0].id, ok: true, value: { id: 1, name: "a", tags: [] }, cmds: [["test.mark", "cmd"]] });
	await p;
	assert.deepEqual(applied, ["cmd", "settled"]);
});

const MORPH = `<!doctype html><html><head></head><body>
<div id="box">
  <label>Name</label>
  <input id="name" value="old">
  <input id="other" value="a">
  <p id="count">1</p>
  <div id="keep" data-lv-keep>local</div>
</div>
<div id="form"><input name="who" value=""></div>
<div id="slot"></div>
</body></html>`;

test("lv.morph: updates the content and keeps focus, caret and the value being edited", async () => {
	const { document, conn } = await withPage(MORPH);
	const input = document.getElementById("name");
	input.focus();
	input.value = "typed by user";
	input.setSelectionRange(3, 5);
	document.getElementById("other").value = "b";
	conn.run([["lv.morph", "box", `
  <label class="x">Name</label>
  <input id="name" value="server" class="changed">
  <input id="other" value="c">
  <p id="count">2</p>
  <div id="keep" data-lv-keep>from the server</div>`, {}]]);
	assert.equal(document.getElementById("name"), input, "the same element");
	assert.equal(document.activeElement, input, "still focused");
	assert.equal(input.value, "typed by user");
	assert.deepEqual([input.selectionStart, input.selectionEnd], [3, 5]);
	assert.equal(input.className, "changed", "its attributes do update");
	assert.equal(document.getElementById("other").value, "c", "an input not being edited takes the new value");
	assert.equal(document.getElementById("count").textContent, "2");
	assert.equal(document.querySelector("label").className, "x");
	assert.equal(document.getElementById("keep").textContent, "local", "data-lv-keep is left alone");
});

test("lv.morph: a focused control that gets replaced is given back focus, value and caret", async () => {
	const { document, conn } = await withPage(MORPH);
	const who = document.querySelector("[name=who]");
	who.focus();
	who.value = "ann";
	who.setSelectionRange(1, 2);
	conn.run([["lv.morph", "form", `<span>hint</span><textarea name="who"></textarea>`]]);
	const now = document.querySelector("[name=who]");
	assert.equal(now.nodeName, "TEXTAREA");
	assert.equal(document.activeElement, now);
	assert.equal(now.value, "ann");
	assert.deepEqual([now.selectionStart, now.selectionEnd], [1, 2]);
});

test("lv.morph: new content with data-lv-on-* is bound; a missing target is reported", async () => {
	const { document, conn, log, welcome } = await withPage(MORPH);
	const ws = await welcome();
	conn.run([["lv.morph", "slot", `<button id="b" data-lv-arg-id="3" data-lv-on-click="clicked">b</button>`]]);
	document.getElementById("b").dispatchEvent(new document.defaultView.Event("click"));
	await flush();
	assert.deepEqual(ws.of("call").map((m) => [m.fn, m.args]), [["clicked", { id: 3 }]]);
	conn.run([["lv.morph", "nowhere", "<b>x</b>"]]);
	assert.match(log.errors.at(-1), /lv\.morph: no element 'nowhere' in the page/);
});

test("lv.notify: an accessible container, styles added once, timeouts", async () => {
	const { document, conn, clock } = await withPage("<!doctype html><body></body>");
	conn.run([["lv.notify", "Saved"], ["lv.notify", "Again", { level: "success" }]]);
	const box = document.getElementById("lv-notifications");
	assert.equal(box.getAttribute("role"), "status");
	assert.equal(box.getAttribute("aria-live"), "polite");
	assert.equal(document.querySelectorAll("#lv-style").length, 1);
	assert.deepEqual([...box.querySelectorAll(".lv-note-text")].map((n) => n.textContent), ["Saved", "Again"]);
	await clock.advance(3999);
	assert.equal(box.children.length, 2);
	await clock.advance(1);
	assert.equal(box.children.length, 0, "non-sticky ones go after 4 s");
});

test("closed for good (upgrade): the offline notice goes, the reload notice stays", async () => {
	const { document, conn, WS, clock, welcome } = await withPage("<p>x</p>");
	await welcome();
	WS.last.drop(1006);                                   // offline: "Reconnecting…"
	const box = document.getElementById("lv-notifications");
	const texts = () => [...box.querySelectorAll(".lv-note")].map((n) => n.textContent);
	assert.ok(texts().some((t) => t.startsWith(conn.options.texts.offline)), texts().join(" | "));
	await clock.advance(conn.nextRetry);
	WS.last.open();
	WS.last.receive({ t: "upgrade", schema: "0123456789abcdef" });
	WS.last.drop(4426, "the page is out of date: reload it");
	assert.equal(conn.state, "closed");
	assert.ok(!texts().some((t) => t.startsWith(conn.options.texts.offline)), texts().join(" | "));
	assert.ok(texts().some((t) => t.startsWith(conn.options.texts.upgrade)), texts().join(" | "));
});

test("lv.notify: sticky stays until dismissed; group replaces; throttle skips; errors are alerts", async () => {
	const { document, conn, clock } = await withPage("<!doctype html><body></body>");
	conn.run([["lv.notify", "Offline", { sticky: true }]]);
	await clock.advance(60000);
	const box = document.getElementById("lv-notifications");
	const sticky = box.querySelector(".lv-note");
	assert.equal(sticky.textContent.startsWith("Offline"), true);
	const close = sticky.querySelector("button");
	assert.equal(close.getAttribute("aria-label"), "Dismiss");
	close.click();
	assert.equal(box.children.length, 0);
	conn.run([["lv.notify", "one", { group: "g", sticky: true }], ["lv.notify", "two", { group: "g", sticky: true }]]);
	assert.deepEqual([...box.querySelectorAll(".lv-note-text")].map((n) => n.textContent), ["two"]);
	conn.run([["lv.notify", "busy", { throttle: 1000 }], ["lv.notify", "busy", { throttle: 1000 }]]);
	assert.equal(box.querySelectorAll(".lv-note").length, 2);
	await clock.advance(1000);
	conn.run([["lv.notify", "busy", { throttle: 1000 }], ["lv.notify", "bad", { level: "error", sticky: true }]]);
	assert.equal(box.lastChild.getAttribute("role"), "alert");
	conn.run([["lv.clear_notifications", { group: "g" }]]);
	assert.deepEqual([...box.querySelectorAll(".lv-note-text")].map((n) => n.textContent), ["busy", "busy", "bad"],
	                 "group g cleared; the throttle let the second busy through after 1 s");
	conn.run([["lv.clear_notifications"]]);
	assert.equal(box.children.length, 0);
});

test("lv.focus and lv.blur", async () => {
	const { document, conn } = await withPage(MORPH);
	conn.run([["lv.focus", "other", { select: true }]]);
	assert.equal(document.activeElement.id, "other");
	conn.run([["lv.focus", "[name=who]"]]);
	assert.equal(document.activeElement.name, "who");
	conn.run([["lv.blur"]]);
	assert.equal(document.activeElement, document.body);
});

test("lv.block and lv.release: the server's blocks are its own", async () => {
	const { conn, ready, welcome } = setup();
	await ready();
	const ws = await welcome();
	const server = async (cmds) => {
		ws.receive({ t: "cmd", cmds });
		await flush();
	};
	await server([["lv.block", "edit", "feed"]]);
	assert.equal(conn.isBlocked("edit"), true);
	assert.equal(conn.isBlocked("other"), false);
	conn.release("edit");                               // the page's release does not undo it
	assert.equal(conn.isBlocked("edit"), true);
	await server([["lv.release", "edit"]]);
	assert.equal(conn.isBlocked("edit"), false);
	assert.equal(conn.isBlocked("feed"), true);
	await server([["lv.block"]]);
	assert.equal(conn.isBlocked("anything"), true, "no name: every group");
	await server([["lv.release", "*"]]);
	assert.equal(conn.isBlocked("feed"), false);
	assert.equal(conn.isBlocked("anything"), false);
});

test("lv.set_state: page state, and the modes' command lists", async () => {
	const { conn, WS, welcome } = setup();
	await flush();
	const states = [];
	conn.on("page_state", (s) => states.push({ ...s }));
	conn.run([["lv.set_state", "user", "ann", "n", 2], ["lv.set_state", { state: { n: null, theme: "dark" } }]]);
	assert.deepEqual(conn.pageState, { user: "ann", theme: "dark" });
	assert.deepEqual(states, [{ user: "ann", n: 2 }, { user: "ann", theme: "dark" }]);
	applied.length = 0;
	conn.run([["lv.set_state", { modes: { OFFLINE: { enter: [["test.mark", "offline"]], exit: [["test.mark", "online"]] } } }]]);
	await welcome();
	WS.last.drop(1006);
	assert.equal(conn.mode, "OFFLINE");
	assert.equal(conn.isBlocked("edit"), false, "the new enter list does not block");
	conn.open();
	WS.last.open();
	WS.last.receive({ t: "welcome", conn: "c", heartbeat: 25000 });
	assert.deepEqual(applied, ["offline", "online"]);
});

test("lv.switch_mode: exit commands of the old mode, enter of the new, a mode event", () => {
	const { conn } = setup();
	applied.length = 0;
	const modes = [];
	conn.on("mode", (m) => modes.push(m));
	conn.setMode("EDIT", { enter: [["test.mark", "enter edit"]], exit: [["test.mark", "exit edit"]] });
	conn.setMode("MAIN", { exit: [["test.mark", "exit main"]] });
	conn.run([["lv.switch_mode", "EDIT"], ["lv.switch_mode", "EDIT"], ["lv.switch_mode", "MAIN"]]);
	assert.deepEqual(applied, ["exit main", "enter edit", "exit edit"]);
	assert.deepEqual(modes, [{ mode: "EDIT", previous: "MAIN" }, { mode: "MAIN", previous: "EDIT" }]);
	assert.throws(() => conn.setMode("X", { enter: "no" }), /enter must be a list of commands/);
});

test("modes: OFFLINE shows a sticky notification and blocks; the welcome undoes both", async () => {
	const { document, conn, WS, welcome } = await withPage("<!doctype html><body></body>");
	await welcome();
	WS.last.drop(1006);
	const note = () => document.querySelector('.lv-note[data-group="lv.offline"]');
	assert.equal(conn.mode, "OFFLINE");
	assert.match(note().textContent, /Connection lost/);
	assert.equal(conn.isBlocked("edit"), true);
	conn.open();
	WS.last.open();
	WS.last.receive({ t: "welcome", conn: "c", heartbeat: 25000 });
	assert.equal(conn.mode, "MAIN");
	assert.equal(note(), null);
	assert.equal(conn.isBlocked("edit"), false);
});

test("modes: SERVER_ERROR_500 on an internal answer, left on the next good one", async () => {
	const { document, conn, welcome } = await withPage("<!doctype html><body></body>");
	const ws = await welcome();
	const p = conn.call("get", { id: 1 });
	await flush();
	ws.receive({ t: "ret", id: ws.of("call")[0].id, ok: false, error: { code: "internal", message: "get: internal error" } });
	await assert.rejects(p, (e) => e.code === "internal");
	assert.equal(conn.mode, "SERVER_ERROR_500");
	assert.notEqual(document.querySelector('.lv-note[data-group="lv.error"]'), null);
	const q = conn.call("get", { id: 1 });
	await flush();
	ws.receive({ t: "ret", id: ws.of("call")[1].id, ok: true, value: { id: 1, name: "a", tags: [] } });
	await q;
	assert.equal(conn.mode, "MAIN");
	assert.equal(document.querySelector('.lv-note[data-group="lv.error"]'), null);
});

test("lv.redirect: assign, or replace", () => {
	const went = [];
	const { conn } = setup({ env: { location: { assign: (u) => went.push(["assign", u]), replace: (u) => went.push(["replace", u]) } } });
	conn.run([["lv.redirect", "/next"], ["lv.redirect", "/login", { replace: true }]]);
	assert.deepEqual(went, [["assign", "/next"], ["replace", "/login"]]);
});

test("lv.eval: refused unless the page allows it", () => {
	const { conn, log } = setup();
	conn.run([["lv.eval", "lv.pageState.evaluated = true"]]);
	assert.equal(conn.pageState.evaluated, undefined);
	assert.match(log.errors[0], /lv\.eval refused: the page has not allowed it/);
	conn.allowEval = true;
	conn.run([["lv.eval", "lv.pageState.evaluated = true"]]);
	assert.equal(conn.pageState.evaluated, true);
	const other = setup({ allowEval: true });
	other.conn.run([["lv.eval", "lv.pageState.x = 1"]]);
	assert.equal(other.conn.pageState.x, 1);
	lvPage.allowEval = true;
	const third = setup();
	third.conn.run([["lv.eval", "lv.pageState.y = 2"]]);
	lvPage.allowEval = false;
	assert.equal(third.conn.pageState.y, 2);
});

test("t:cmd: server commands run (after ready)", async () => {
	const { welcome, ready } = setup();
	applied.length = 0;
	const ws = await welcome();
	ws.receive({ t: "cmd", cmds: [["test.mark", "pushed"]] });
	assert.deepEqual(applied, []);
	await ready();
	assert.deepEqual(applied, ["pushed"]);
});
