// chat-rooms.test.mjs - the chat server's own state stays bounded, in
// Chromium: a room goes with its last member (one who moves to another
// room, closes the page, or whose socket drops and whose session is not
// resumed within LV_RESUME_MS), `join` is held to its rate (10/s), and past
// the cap on rooms (CHAT_MAX_ROOMS, 3 here) a new room is refused while
// the rooms that exist can still be joined.
import { after, before, test } from "node:test";
import assert from "node:assert/strict";
import { connect, createServer } from "node:net";
import { launch, openPage, startServer, stopServer } from "./harness.mjs";

const MAX_ROOMS = 3;
let server, browser;
const errors = [];
before(async () => {
	process.env.CHAT_MAX_ROOMS = String(MAX_ROOMS);   // read by the server started here
	// A page Chromium closes says goodbye (1001) and its session ends at
	// once; on a loaded machine its socket can also just drop, and then the
	// session waits resume_ms for it: 2 s here rather than 120.
	server = await startServer("chat", 0, { LV_RESUME_MS: "2000" });
	browser = await launch();
});
after(async () => {
	await browser?.close();
	await stopServer(server);
});

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

/* A page of the chat, signed in nowhere yet. */
const page = () => openPage(browser, server.url, errors);

/* Calls chat.lv's `fn` in the page: { ok, value } or { ok: false, code, message }. */
function call(p, fn, ...args) {
	return p.evaluate(async ({ fn, args }) => {
		const client = (await import("./chat.lv.js")).connect();
		try {
			return { ok: true, value: await client[fn](...args) };
		} catch (err) {
			return { ok: false, code: err.code, message: err.message };
		}
	}, { fn, args });
}

async function join(p, room, name) {
	const r = await call(p, "join", room, name);
	assert.ok(r.ok, `join ${room}: ${r.message}`);
	return r.value;
}

const rooms = async (p) => (await call(p, "rooms")).value.sort();

/* Polls the rooms until they are `want` (a closed page leaves when the
 * server sees it go, or its session's 2 s are over), for up to 15 s. */
async function roomsBecome(p, want) {
	let got;
	for (const end = Date.now() + 15000; Date.now() < end;) {
		got = await rooms(p);
		if (JSON.stringify(got) === JSON.stringify(want)) return;
		await sleep(100);
	}
	assert.deepEqual(got, want);
}

test("a room goes with its last member: moving on or closing the page frees it", async () => {
	const watcher = await page();
	assert.deepEqual(await rooms(watcher), []);
	const ann = await page();
	const bob = await page();
	await join(ann, "start", "ann");
	await join(bob, "start", "bob");
	await call(ann, "post", "start", "hello");
	// ann hops through twenty rooms: each is freed as she leaves it, with its
	// history; "start" stays, bob is still there
	for (let i = 0; i < 20; i++) {
		await join(ann, `hop${i}`, "ann");
		assert.deepEqual(await rooms(watcher), [`hop${i}`, "start"].sort());
		await sleep(110);                     // within join's rate
	}
	// a room that was freed and made again starts empty
	await bob.close();
	await roomsBecome(watcher, ["hop19"]);
	await join(ann, "start", "ann");
	assert.deepEqual(await rooms(watcher), ["start"]);
	assert.deepEqual(await call(ann, "members", "start"), { ok: true, value: ["ann"] });
	// the last member closes her page: nothing is left
	await ann.close();
	await roomsBecome(watcher, []);
	await watcher.close();
});

test("join is held to its rate (10/s): a burst past it is refused, then it is let in again", async () => {
	const p = await page();
	const burst = await p.evaluate(async () => {
		const { join } = (await import("./chat.lv.js")).connect();
		const out = [];
		for (let i = 0; i < 20; i++) {
			try {
				await join(`burst${i % 2}`, "eve");
				out.push("ok");
			} catch (err) {
				out.push(`${err.code}: ${err.message}`);
			}
		}
		return out;
	});
	const ok = burst.filter((r) => r === "ok").length;
	assert.ok(ok >= 10 && ok <= 12, `${ok} of 20 let through: ${burst.join(", ")}`);
	const refused = burst.filter((r) => r !== "ok");
	assert.match(refused[0], /^resource_exhausted: .*over its rate of 10 per 1000 ms/);
	// the page is still in the room of its last join that went through
	assert.equal((await rooms(p)).length, 1);
	await sleep(1100);
	await join(p, "after", "eve");
	assert.deepEqual(await rooms(p), ["after"]);
	await p.close();
});

test(`past ${MAX_ROOMS} rooms a new one is refused; existing ones can still be joined`, async () => {
	const watcher = await page();
	await roomsBecome(watcher, []);
	const pages = [];
	for (let i = 0; i < MAX_ROOMS; i++) {
		pages.push(await page());
		await join(pages[i], `r${i}`, `p${i}`);
	}
	const late = await page();
	const refused = await call(late, "join", "one-too-many", "late");
	assert.equal(refused.ok, false);
	assert.equal(refused.code, "resource_exhausted");
	assert.match(refused.message, new RegExp(`has its ${MAX_ROOMS} rooms`));
	await join(late, "r0", "late");         // an existing room: fine
	// p1 is alone in r1: moving to a new room frees r1 first, so it fits
	await join(pages[1], "r1b", "p1");
	// p0 shares r0 with late: its room stays, and a new one does not fit
	const full = await call(pages[0], "join", "r0b", "p0");
	assert.equal(full.code, "resource_exhausted");
	assert.deepEqual(await rooms(watcher), ["r0", "r1b", "r2"]);
	// a page that goes makes room
	await pages[2].close();
	await roomsBecome(watcher, ["r0", "r1b"]);
	await join(pages[0], "r0b", "p0");
	assert.deepEqual(await rooms(watcher), ["r0", "r0b", "r1b"]);
	for (const p of [pages[0], pages[1], late, watcher]) await p.close();
	assert.deepEqual(errors.map(String), []);
});

test("a page whose socket drops without a goodbye leaves its room once its session has waited LV_RESUME_MS", async () => {
	// The page reaches the server through a loopback relay that can cut
	// its sockets: no close frame, as when a network goes.
	const cut = new Set();
	const relay = createServer((inbound) => {
		const outbound = connect(server.port, "127.0.0.1");
		inbound.pipe(outbound).pipe(inbound);
		const pair = { inbound, outbound };
		cut.add(pair);
		const drop = () => { inbound.destroy(); outbound.destroy(); cut.delete(pair); };
		inbound.on("error", drop).on("close", drop);
		outbound.on("error", drop).on("close", drop);
	});
	await new Promise((res) => relay.listen(0, "127.0.0.1", res));
	const watcher = await page();
	await roomsBecome(watcher, []);
	const away = await browser.newPage();
	await away.goto(`http://127.0.0.1:${relay.address().port}/`);
	await join(away, "away", "zoe");
	assert.deepEqual(await rooms(watcher), ["away"]);
	relay.close();   // no new connections: the page cannot come back
	const t0 = Date.now();
	for (const { inbound, outbound } of cut) { inbound.destroy(); outbound.destroy(); }
	await roomsBecome(watcher, []);
	const waited = Date.now() - t0;
	// not at once (the session waits for its page), nor after the default 120 s
	assert.ok(waited >= 1500, `the room went after ${waited} ms, before the 2 s wait`);
	await away.close();
	await watcher.close();
});

test("LV_RESUME_MS that is not a number of milliseconds stops the server, saying so", async () => {
	await assert.rejects(startServer("chat", 0, { LV_RESUME_MS: "2s" }),
	                     /exited .*LV_RESUME_MS is '2s': expected milliseconds/s);
});
