// chat-nodes.test.mjs - the chat example on two nodes sharing a real Redis
// (LV_BROKER), in Chromium: ann's page on node A, bob's through a loopback
// balancer that sends each connection to node B while it lives, else to A.
// Each page sees the other's messages, typing and presence; then node B is
// killed (SIGKILL): bob's page resumes its session on A through the
// balancer, and has every message ann posted meanwhile, once each, in
// order, and can post again. (The example keeps a room's history in each
// node's memory: what bob said on B is not in A's.)
import { after, before, test } from "node:test";
import assert from "node:assert/strict";
import { connect, createServer } from "node:net";
import { launch, openPage, startServer, stopServer } from "./harness.mjs";
import { startRedis } from "../integration/redis.mjs";

let redis, a, b, browser, balancer;
const errors = [];
const sockets = new Set();

/* Sends each new connection to node B while it accepts, else to A. */
function startBalancer() {
	return new Promise((resolve) => {
		const server = createServer((inbound) => {
			inbound.pause();
			sockets.add(inbound);
			inbound.on("close", () => sockets.delete(inbound));
			inbound.on("error", () => inbound.destroy());
			const to = (targets) => {
				const outbound = connect(targets[0], "127.0.0.1");
				outbound.once("connect", () => {
					sockets.add(outbound);
					outbound.on("close", () => { sockets.delete(outbound); inbound.destroy(); });
					inbound.on("close", () => outbound.destroy());
					inbound.pipe(outbound).pipe(inbound);
					inbound.resume();
				});
				outbound.once("error", () => {
					outbound.destroy();
					if (targets.length > 1) to(targets.slice(1));
					else inbound.destroy();
				});
			};
			to([b.port, a.port]);
		});
		server.listen(0, "127.0.0.1", () => resolve(server));
	});
}

before(async () => {
	redis = await startRedis();
	const env = (id) => ({ LV_BROKER: `unix:${redis.socket}`, LV_NODE_ID: id });
	a = await startServer("chat", 0, env("web-a"));
	b = await startServer("chat", 0, env("web-b"));
	balancer = await startBalancer();
	browser = await launch();
});
after(async () => {
	await browser?.close();
	balancer?.close();
	for (const s of sockets) s.destroy();
	await stopServer(a);
	if (b && b.proc.exitCode === null && b.proc.signalCode === null) await stopServer(b);
	await redis?.stop();
});

async function enter(url, name, room = "lobby") {
	const page = await openPage(browser, url, errors);
	await page.fill("#name", name);
	await page.fill("#room", room);
	await page.click("#signin button");
	await page.waitForSelector("#chat:not([hidden])");
	return page;
}

/* The texts of the messages a page shows, in order. */
const texts = (page) => page.$$eval("#messages li:not(.note) span", (els) => els.map((e) => e.textContent));
const has = (page, sel, what) => page.waitForFunction(({ sel, what }) =>
	document.querySelector(sel).textContent.includes(what), { sel, what }, { timeout: 15000 });

async function post(page, text) {
	await page.fill("#text", text);
	await page.press("#text", "Enter");
	await page.waitForFunction(() => document.getElementById("text").value === "");
}

let ann, bob;

test("a page on each node sees the other's messages, typing and presence", async () => {
	ann = await enter(a.url, "ann");
	bob = await enter(`http://127.0.0.1:${balancer.address().port}/`, "bob");
	// each lists the other, who is on the other node
	await has(ann, "#members", "bob");
	await has(bob, "#members", "ann");
	await post(ann, "hi bob, from node A");
	await has(bob, "#messages", "hi bob, from node A");
	await post(bob, "hi ann, from node B");
	await has(ann, "#messages", "hi ann, from node B");
	await bob.type("#text", "typ");
	await has(ann, "#typing", "bob is typing");
	await ann.type("#text", "typ");
	await has(bob, "#typing", "ann is typing");
	await ann.fill("#text", "");
	await bob.fill("#text", "");
});

test("bob's node is killed: his page resumes on the other node with the whole conversation", async () => {
	const before = await texts(bob);
	b.proc.kill("SIGKILL");
	await new Promise((resolve) => b.proc.once("exit", resolve));
	const sent = [];
	for (let i = 0; i < 5; i++) {
		sent.push(`while B was gone ${i}`);
		await post(ann, sent[i]);
	}
	await has(bob, "#messages", sent[4]);
	// The page joins its room again on every connect and shows the
	// history of the node it is on now (the example keeps it in each
	// node's memory); the messages ann posted meanwhile are each there
	// once, in order, whether they came as pushes or in that history.
	const after = await texts(bob);
	assert.deepEqual(after.filter((t) => sent.includes(t)), sent, "every message once, in order");
	assert.equal(after.filter((t) => t === before[0]).length, 1, "and what ann said before, once");
	// and the conversation goes on from bob's side, now on node A
	await post(bob, "back, through node A");
	await has(ann, "#messages", "back, through node A");
	assert.equal((await texts(ann)).filter((t) => t === "back, through node A").length, 1);
	assert.deepEqual(errors.map(String), []);
});
