// counter.test.mjs - the liveview style in Chromium: callbacks bound from
// HTML, the server answering with morph and notify, a focused input that
// keeps its text and caret while the page around it is redrawn, and a
// group blocked while a slow one runs.
import { after, before, test } from "node:test";
import assert from "node:assert/strict";
import { launch, openPage, shot, startServer, stopServer } from "./harness.mjs";

let server, browser, page;
const errors = [];
before(async () => {
	server = await startServer("counter");
	browser = await launch();
	page = await openPage(browser, server.url, errors);
});
after(async () => {
	await browser?.close();
	await stopServer(server);
});

const count = () => page.$eval("#count", (el) => el.textContent);

test("clicks are callbacks; the server morphs the count", async () => {
	await page.click("#plus1");
	await page.click("#plus5");
	await page.click("#plus1");
	await page.waitForFunction(() => document.getElementById("count").textContent === "7");
	await page.click("#minus1");
	await page.waitForFunction(() => document.getElementById("count").textContent === "6");
	await shot(page, "counter-6");
});

test("the input being edited keeps its text and caret through a morph", async () => {
	await page.click("#title");
	await page.fill("#title", "Apples");
	// Put the caret in the middle, then make the server redraw the section.
	await page.evaluate(() => document.getElementById("title").setSelectionRange(3, 3));
	await page.waitForFunction(() => document.getElementById("heading").textContent === "Apples");
	await page.evaluate(() => document.getElementById("title").setSelectionRange(3, 3));
	const before = await count();
	await page.evaluate(() => document.getElementById("plus1").click());
	await page.waitForFunction((n) => document.getElementById("count").textContent === String(n + 1),
	                           Number(before));
	const state = await page.evaluate(() => {
		const el = document.getElementById("title");
		return { focused: document.activeElement === el, value: el.value, caret: el.selectionStart };
	});
	assert.equal(state.value, "Apples", JSON.stringify(state));
	assert.equal(state.focused, true, "focus kept");
	assert.equal(state.caret, 3, "caret kept");

	// Typing on while the server redraws with the older title: what the
	// user typed since stays (the rename is debounced, so it has not gone).
	await page.keyboard.press("End");
	await page.keyboard.type("!!");
	const n = Number(await count());
	await page.evaluate(() => document.getElementById("plus1").click());
	await page.waitForFunction((m) => document.getElementById("count").textContent === String(m + 1), n);
	const typed = await page.evaluate(() => {
		const el = document.getElementById("title");
		return { value: el.value, caret: el.selectionStart, heading: document.getElementById("heading").textContent };
	});
	assert.equal(typed.value, "Apples!!", JSON.stringify(typed));
	assert.equal(typed.caret, 8);
	await shot(page, "counter-title");
});

test("reset asks first, then notifies", async () => {
	page.once("dialog", (d) => d.accept());
	await page.click("#reset");
	await page.waitForFunction(() => document.getElementById("count").textContent === "0");
	await page.waitForFunction(() => document.body.textContent.includes("The count is back to zero."));
});

test("a slow callback blocks the count group until it answers", async () => {
	await page.click("#slow");
	await page.click("#plus1");   // arrives while "count" is blocked
	await page.waitForFunction(() => document.body.textContent.includes("The slow work is done."),
	                           null, { timeout: 5000 });
	assert.equal(await count(), "0", "the blocked click did not count");
	await page.click("#plus1");
	await page.waitForFunction(() => document.getElementById("count").textContent === "1");
	assert.deepEqual(errors.map(String), []);
});
