// react.test.mjs - examples/react in Chromium: the dashboard's page in React, built by Vite with the runtime imported as the npm package and served by the C server; the plant the server owns appears and keeps changing in what React drew, equal to the server's copy once quiet; the page's own view, written from controlled inputs, reaches the server and comes back from it.
import { after, before, test } from "node:test";
import assert from "node:assert/strict";
import { launch, openPage, shot, startServer, stopServer } from "./harness.mjs";

let server, browser;
const errors = [];
before(async () => {
	server = await startServer("react");
	browser = await launch();
});
after(async () => {
	await browser?.close();
	await stopServer(server);
});

/* A page of the example, with what it asked the server for and what it logged as errors. */
async function open() {
	const requests = [];
	const page = await browser.newPage();
	page.on("request", (r) => requests.push(new URL(r.url()).pathname));
	page.on("console", (m) => m.type() === "error" && errors.push(m.text()));
	page.on("pageerror", (e) => errors.push(e));
	await page.goto(server.url);
	await page.waitForFunction(() => Number(document.getElementById("tick")?.textContent) > 0, null,
		{ timeout: 10000 });
	return { page, requests };
}
const tick = (page) => page.$eval("#tick", (el) => Number(el.textContent));
const rows = (page) => page.$$eval("#rows tr", (trs) => trs.map((tr) =>
	[...tr.cells].map((td) => td.textContent)));
const asRow = (m) => [m.name, m.temp.toFixed(1), String(m.load)];

test("the C server serves Vite's build; the runtime is inside the bundle", async () => {
	const { page, requests } = await open();
	const scripts = requests.filter((p) => p.endsWith(".js"));
	assert.ok(scripts.length >= 1 && scripts.every((p) => /^\/assets\/[\w-]+\.js$/.test(p)), scripts.join(" "));
	assert.ok(!requests.includes("/lv.js") && !requests.includes("/dashboard.lv.js"),
		"neither the server's lv.js nor its copy of the module");
	const index = await page.request.get(server.url);
	assert.equal(index.status(), 200);
	assert.match(await index.text(), /<div id="root"><\/div>/);
	await page.close();
	assert.deepEqual(errors, []);
});

test("the server's plant appears in what React drew, keeps changing, and ends equal to the server's", async () => {
	const { page } = await open();
	const t0 = await tick(page);
	await page.waitForFunction((t) => Number(document.getElementById("tick").textContent) > t + 3, t0,
		{ timeout: 5000 });
	assert.equal(await page.$eval("#count", (el) => el.textContent), "1000");
	await shot(page, "react-live");
	// a quiet plant: the last flush drawn, then the page shows what the server has
	const quiet = await page.evaluate(() => globalThis.dashboard.client.pause(true));
	await page.waitForFunction((t) => Number(document.getElementById("tick").textContent) === t, quiet,
		{ timeout: 5000 });
	const want = JSON.parse(await page.evaluate(() => globalThis.dashboard.client.plant_json("north")));
	assert.equal(want.tick, quiet);
	const machines = Object.values(want.machines);
	const first = machines.sort((a, b) => a.name.localeCompare(b.name)).slice(0, 100).map(asRow);
	assert.deepEqual(await rows(page), first);
	assert.equal(await page.$eval("#hot", (el) => Number(el.textContent)), machines.filter((m) => !m.ok).length);
	assert.equal(await page.$eval("#more", (el) => el.textContent), "and 900 more");
	await page.evaluate(() => globalThis.dashboard.client.pause(false));
	await page.close();
	assert.deepEqual(errors, []);
});

test("the page's view, written from its inputs, reaches the server and redraws only that page", async () => {
	const a = await open();
	const b = await open();
	const quiet = await a.page.evaluate(() => globalThis.dashboard.client.pause(true));
	await a.page.waitForFunction((t) => Number(document.getElementById("tick").textContent) === t, quiet,
		{ timeout: 5000 });
	await a.page.fill("#filter", "m012");
	await a.page.selectOption("#sort", "temp");
	await a.page.waitForFunction(() => document.querySelectorAll("#rows tr").length === 10);
	assert.equal(await a.page.inputValue("#filter"), "m012", "the input shows the state");
	const want = JSON.parse(await a.page.evaluate(() => globalThis.dashboard.client.plant_json("north")));
	const hottest = Object.values(want.machines).filter((m) => m.name.includes("m012"))
		.sort((x, y) => y.temp - x.temp).map(asRow);
	assert.deepEqual(await a.page.evaluate(() => globalThis.dashboard.client.state.view.get()),
		{ sort: "temp", filter: "m012" });
	// the server reads the page's state: the round trip
	await a.page.click("#ask");
	await a.page.waitForFunction(() => document.getElementById("seen").textContent !== "");
	assert.deepEqual(JSON.parse(await a.page.$eval("#seen", (el) => el.textContent)), { sort: "temp", filter: "m012" });
	assert.deepEqual((await rows(a.page)).map((r) => r[0]), hottest.map((r) => r[0]));
	// the other page's view is its own
	assert.equal((await rows(b.page)).length, 100);
	await b.page.click("#ask");
	await b.page.waitForFunction(() => document.getElementById("seen").textContent !== "");
	assert.deepEqual(JSON.parse(await b.page.$eval("#seen", (el) => el.textContent)), { sort: "name", filter: "" });
	// a write of the wrong type is refused on the page; the inputs keep the state's value
	const refused = await a.page.evaluate(() => {
		try {
			globalThis.dashboard.client.state.view.set("/sort", 5);
			return null;
		} catch (e) {
			return e.code;
		}
	});
	assert.equal(refused, "invalid_argument");
	assert.equal(await a.page.inputValue("#sort"), "temp");
	await shot(a.page, "react-filtered");
	await a.page.evaluate(() => globalThis.dashboard.client.pause(false));
	await a.page.close();
	await b.page.close();
	assert.deepEqual(errors, []);
});
