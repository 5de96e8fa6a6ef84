// hello.test.mjs - the hello example in Chromium: a call answered, and a
// push that reaches every page.
import { after, before, test } from "node:test";
import assert from "node:assert/strict";
import { launch, openPage, shot, startServer, stopServer } from "./harness.mjs";

let server, browser;
before(async () => {
	server = await startServer("hello");
	browser = await launch();
});
after(async () => {
	await browser?.close();
	await stopServer(server);
});

test("greet answers and every page hears of it", async () => {
	const errors = [];
	const a = await openPage(browser, server.url, errors);
	const b = await openPage(browser, server.url, errors);
	await a.fill("#name", "Ada");
	await a.click("button");
	await a.waitForFunction(() => document.getElementById("answer").textContent === "Hello, Ada!");
	await b.waitForFunction(() => document.getElementById("log").textContent.includes("Ada was greeted"));
	await shot(a, "hello-a");
	await shot(b, "hello-b");
	assert.deepEqual(errors, []);
});

test("a bad argument is refused in the page, with the server's wording", async () => {
	const page = await openPage(browser, server.url);
	const message = await page.evaluate(async () => {
		const { greet } = (await import("./hello.lv.js")).connect();
		try {
			await greet(42);
			return "no error";
		} catch (err) {
			return `${err.name} ${err.code}: ${err.message}`;
		}
	});
	assert.match(message, /invalid_argument: greet: name: expected string, got int/);
});
