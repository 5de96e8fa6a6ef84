// dashboard.test.mjs - synchronised state in Chromium: a plant of 1,000
// machines changing ten times a second, shared as group state; two pages
// and a late joiner end equal to the server's copy once the plant is
// quiet; each page's own view (sort, filter) reaches the server and
// redraws the page.
import { after, before, test } from "node:test";
import assert from "node:assert/strict";
import { launch, openPage, shot, startServer, stopServer } from "./harness.mjs";

let server, browser;
const errors = [];
before(async () => {
	server = await startServer("dashboard");
	browser = await launch();
});
after(async () => {
	await browser?.close();
	await stopServer(server);
});

const ready = (page) => page.waitForFunction(() => globalThis.dashboard?.plant.get()?.tick > 0, null,
	{ timeout: 10000 });
const value = (page) => page.evaluate(() => ({
	plant: globalThis.dashboard.plant.get(),
	rev: globalThis.dashboard.plant.rev,
}));

test("two pages and a late joiner see the plant the server has", async () => {
	const a = await openPage(browser, server.url, errors);
	const b = await openPage(browser, server.url, errors);
	await ready(a);
	await ready(b);
	// it keeps changing: revisions go by on both
	const r0 = (await value(a)).rev;
	await a.waitForFunction((r) => globalThis.dashboard.plant.rev > r + 3, r0, { timeout: 5000 });
	await a.waitForSelector("#rows tr");
	await shot(a, "dashboard-live");
	const late = await openPage(browser, server.url, errors);
	await ready(late);
	// a quiet plant: everything flushed; then every page equals the server
	const tick = await a.evaluate(() => globalThis.dashboard.client.pause(true));
	const want = JSON.parse(await a.evaluate(() => globalThis.dashboard.client.plant_json("north")));
	assert.equal(want.tick, tick);
	assert.equal(Object.keys(want.machines).length, 1000);
	for (const page of [a, b, late]) {
		await page.waitForFunction((t) => globalThis.dashboard.plant.get().tick === t, tick, { timeout: 5000 });
		assert.deepEqual((await value(page)).plant, want);
	}
	const shown = await a.$$eval("#rows tr", (rows) => rows.length);
	assert.equal(shown, 100, "the first 100 machines drawn");
	await a.evaluate(() => globalThis.dashboard.client.pause(false));
	assert.deepEqual(errors, []);
	for (const page of [a, b, late])
		await page.close();
});

test("a page's own view reaches the server and redraws only that page", async () => {
	const a = await openPage(browser, server.url, errors);
	const b = await openPage(browser, server.url, errors);
	await ready(a);
	await ready(b);
	// the plant held still, so that only the view changes what is drawn
	await a.evaluate(() => globalThis.dashboard.client.pause(true));
	await a.fill("#filter", "m012");
	await a.selectOption("#sort", "temp");
	await a.waitForFunction(() => document.querySelectorAll("#rows tr").length === 10);
	const names = await a.$$eval("#rows tr", (rows) => rows.map((r) => r.dataset.name));
	assert.ok(names.every((n) => n.startsWith("m012")), names.join(" "));
	await a.click("#ask");
	await a.waitForFunction(() => document.getElementById("seen").textContent.includes("m012"));
	assert.deepEqual(JSON.parse(await a.$eval("#seen", (el) => el.textContent)), { sort: "temp", filter: "m012" });
	assert.equal(await b.$$eval("#rows tr", (rows) => rows.length), 100, "b's view is its own");
	await b.click("#ask");
	await b.waitForFunction(() => document.getElementById("seen").textContent !== "");
	assert.deepEqual(JSON.parse(await b.$eval("#seen", (el) => el.textContent)), { sort: "name", filter: "" });
	// a value of the wrong type is refused on the page, before it is sent
	const refused = await a.evaluate(() => {
		try {
			globalThis.dashboard.view.set("/sort", 5);
			return null;
		} catch (e) {
			return `${e.code}: ${e.message}`;
		}
	});
	assert.match(refused, /^invalid_argument: state view: sort: /);
	assert.equal(await a.evaluate(() => globalThis.dashboard.view.get().sort), "temp", "taken back");
	await shot(a, "dashboard-filtered");
	await a.evaluate(() => globalThis.dashboard.client.pause(false));
	assert.deepEqual(errors, []);
});
