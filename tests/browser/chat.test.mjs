// chat.test.mjs - two pages chatting through the C server, in Chromium:
// messages, typing, history for a late joiner, presence, a question the
// server asks one page, and the offline mode across a server restart.
import { after, before, test } from "node:test";
import assert from "node:assert/strict";
import { launch, openPage, shot, startServer, stopServer } from "./harness.mjs";

let server, browser;
const errors = [];
before(async () => {
	server = await startServer("chat");
	browser = await launch();
});
after(async () => {
	await browser?.close();
	await stopServer(server);
});

async function enter(name, room = "lobby") {
	const page = await openPage(browser, server.url, errors);
	await page.fill("#name", name);
	await page.fill("#room", room);
	await page.click("#signin button");
	await page.waitForSelector("#chat:not([hidden])");
	return page;
}

const text = (page, sel) => page.$eval(sel, (el) => el.textContent);

let ann, bob;

test("two pages in one room see each other's messages and typing", async () => {
	ann = await enter("ann");
	bob = await enter("bob");
	await ann.fill("#text", "hi bob");
	await ann.press("#text", "Enter");
	await bob.waitForFunction(() => document.getElementById("messages").textContent.includes("hi bob"));
	await ann.waitForFunction(() => document.getElementById("text").value === "");
	await bob.type("#text", "hel");
	await ann.waitForFunction(() => document.getElementById("typing").textContent.includes("bob is typing"));
	await shot(ann, "chat-ann");
	await shot(bob, "chat-bob");
});

test("a page that joins late gets the history, and everyone sees it arrive", async () => {
	const carl = await enter("carl");
	assert.match(await text(carl, "#messages"), /ann\s*hi bob/);
	await ann.waitForFunction(() => document.getElementById("members").textContent.includes("carl"));
	assert.match(await text(ann, "#messages"), /carl joined/);
	await carl.close();
	await ann.waitForFunction(() => !document.getElementById("members").textContent.includes("carl"));
});

test("the server's question is answered in one page and acted on", async () => {
	ann.once("dialog", (dialog) => {
		assert.match(dialog.message(), /Clear the history of #lobby/);
		dialog.accept();
	});
	await ann.click("#clear");
	await bob.waitForFunction(() => document.getElementById("messages").textContent.includes("ann cleared the history"));
	assert.doesNotMatch(await text(bob, "#messages"), /hi bob/);
	await shot(bob, "chat-cleared");
});

test("with its socket refused, a page still posts over HTTP", async () => {
	const page = await browser.newPage();
	page.on("pageerror", (err) => errors.push(err));
	await page.routeWebSocket(/\/lv\/ws$/, (ws) => ws.close({ code: 1011, reason: "refused by the test" }));
	await page.goto(server.url);
	const sent = await page.evaluate(async () => {
		const { post } = (await import("./chat.lv.js")).connect();
		return post("lobby", "sent over http");
	});
	assert.equal(sent.from, "(http)");
	assert.equal(sent.text, "sent over http");
	await bob.waitForFunction(() => document.getElementById("messages").textContent.includes("sent over http"));
	await page.close();
});

test("stopping the server shows offline; restarting clears it and delivers what was queued", async () => {
	const port = server.port;
	await stopServer(server);
	await ann.waitForFunction(() => document.getElementById("status").textContent === "offline");
	await shot(ann, "chat-offline");
	// Asked while offline: queued, and answered once the server is back.
	const pending = ann.evaluate(async () => {
		const { members } = (await import("./chat.lv.js")).connect();
		return members("lobby");
	});
	server = await startServer("chat", port);
	await ann.waitForFunction(() => document.getElementById("status").textContent === "online",
	                          null, { timeout: 20000 });
	const list = await pending;
	assert.ok(Array.isArray(list));
	// Both pages rejoined by themselves, and chat goes on.
	await bob.waitForFunction(() => document.getElementById("status").textContent === "online",
	                          null, { timeout: 20000 });
	await ann.waitForFunction(() => document.getElementById("members").textContent.includes("bob"),
	                          null, { timeout: 20000 });
	await bob.fill("#text", "back again");
	await bob.press("#text", "Enter");
	await ann.waitForFunction(() => document.getElementById("messages").textContent.includes("back again"));
	await shot(ann, "chat-back");
	assert.deepEqual(errors.map(String), []);
});
