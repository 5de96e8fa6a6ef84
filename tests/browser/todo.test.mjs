// todo.test.mjs - examples/todo in Chromium: two people's pages on one
// table; each sees its own list and the shared one change live as the
// other works, never the other's own items; an edit made stale by the
// other's change is refused and said so; a row written by another
// program straight into the database reaches both pages. On the default
// store, a SQLite file, and on a real PostgreSQL (started here in a
// temporary folder, on a Unix socket there).
import { after, before, describe, test } from "node:test";
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { startPostgres } from "../integration/postgres.mjs";
import { launch, openPage, shot, startServer, stopServer } from "./harness.mjs";

/* The two stores: where the server keeps the table, and how another
 * program writes into it. */
const stores = {
	sqlite: async () => {
		const dir = mkdtempSync(join(tmpdir(), "lv-todo-"));
		const file = join(dir, "todo.db");
		return {
			uri: file,
			sql: (q) => execFileSync("sqlite3", [file, q]),
			stop: async () => rmSync(dir, { recursive: true, force: true }),
		};
	},
	postgresql: async () => {
		const pg = await startPostgres();
		await pg.createDatabase("todo");
		return { uri: pg.uri("todo"), sql: (q) => pg.psql("todo", q), stop: () => pg.stop() };
	},
};

for (const [name, open] of Object.entries(stores))
	describe(`on ${name}`, () => suite(name, open));

function suite(name, open) {
	let server, browser, store;
	const errors = [];
	before(async () => {
		store = await open();
		server = await startServer("todo", 0, { LV_STORE: store.uri });
		browser = await launch();
	});
	after(async () => {
		await browser?.close();
		await stopServer(server);
		await store?.stop();
		assert.deepEqual(errors, [], "no uncaught error in a page");
	});

	async function enter(name) {
		const page = await openPage(browser, server.url, errors);
		await page.fill("#name", name);
		await page.click("#signin button");
		await page.waitForSelector("#app:not([hidden])");
		await page.waitForFunction(() => globalThis.todo?.lists);
		return page;
	}

	/* The titles a page shows in list `id` ("mine" or "shared"). */
	const titles = (page, id) => page.$$eval(`#${id} li`, (lis) =>
		lis.map((li) => li.querySelector(".title")?.textContent ?? li.querySelector("input.edit")?.value));
	const shows = (page, id, want) => page.waitForFunction(([id, want]) =>
		JSON.stringify([...document.querySelectorAll(`#${id} li`)].map((li) =>
			li.querySelector(".title")?.textContent ?? li.querySelector("input.edit")?.value)) === JSON.stringify(want),
		[id, want], { timeout: 5000 }).catch(async (e) => {
		throw new Error(`#${id} shows ${JSON.stringify(await titles(page, id))}, not ${JSON.stringify(want)}: ${e.message}`);
	});

	async function add(page, title, shared = false) {
		await page.fill("#title", title);
		await page.setChecked("#share", shared);
		await page.click("#add button");
		await page.waitForFunction(() => document.getElementById("title").value === "");
	}

	const row = (page, list, title) => page.locator(`#${list} li`, { hasText: title });

	let ann, bob;

	test("each person sees their own list and the shared one, live", async () => {
		ann = await enter("ann");
		bob = await enter("bob");
		await add(ann, "milk");
		await add(ann, "paint the fence", true);
		await add(bob, "call the plumber");
		await shows(ann, "mine", ["milk"]);
		await shows(ann, "shared", ["paint the fence"]);
		await shows(bob, "mine", ["call the plumber"]);
		await shows(bob, "shared", ["paint the fence"]);
		assert.equal(await ann.textContent("#shared-count"), "(1)");
		assert.match(await bob.textContent("#shared li .owner"), /ann/, "bob's page says whose it is");
		assert.equal(await bob.locator("#shared li .remove").count(), 0, "only the owner may remove it");
	});

	test("the row policy keeps a person's own items from everyone else", async () => {
		const milk = await ann.evaluate(() => globalThis.todo.lists.mine.getSnapshot().rows[0]);
		const seen = await bob.evaluate(async (id) => {
			const todos = globalThis.todo.client.model.todos;
			const out = {};
			for (const [op, fn] of [["retrieve", () => todos.retrieve(id)],
			                        ["list", () => todos.list({ where: { owner: "ann" } })]]) {
				try { out[op] = await fn(); } catch (e) { out[op] = e.code; }
			}
			try { await todos.update({ ...out.row, id, owner: "ann", title: "x", done: false, shared: true, rev: 1 }); }
			catch (e) { out.update = e.code; }
			try { await todos.delete(id, 1); } catch (e) { out.delete = e.code; }
			try { await todos.create({ owner: "ann", title: "as ann" }); } catch (e) { out.create = e.code; }
			return out;
		}, milk.id);
		assert.equal(seen.retrieve, "not_found");
		assert.deepEqual(seen.list.rows.map((t) => t.title), ["paint the fence"], "ann's shared item only");
		assert.equal(seen.list.count, 1);
		assert.equal(seen.update, "not_found");
		assert.equal(seen.delete, "not_found");
		assert.equal(seen.create, "permission_denied");
		await shows(ann, "mine", ["milk"]);
	});

	test("a change on one page reaches the other's shared list", async () => {
		await row(bob, "shared", "paint the fence").locator(".toggle").check();
		await ann.waitForSelector("#shared li.done", { timeout: 5000 });
		assert.equal(await ann.isChecked("#shared li .toggle"), true);
		await shot(ann, `todo-ann-${name}`);
		await shot(bob, `todo-bob-${name}`);
	});

	test("an edit made stale by someone else's change is refused and shown", async () => {
		await row(ann, "shared", "paint the fence").locator("button.edit").click();
		await ann.fill("#shared li input.edit", "paint the fence green");
		// Meanwhile bob renames it.
		await row(bob, "shared", "paint the fence").locator("button.edit").click();
		await bob.fill("#shared li input.edit", "paint the fence white");
		await bob.click("#shared li .save");
		await shows(bob, "shared", ["paint the fence white"]);
		// ann's page took bob's change in while she typed; her save carries
		// the version she began from.
		await ann.click("#shared li .save");
		await ann.waitForFunction(() => /someone changed it first/.test(document.getElementById("error").textContent),
			null, { timeout: 5000 });
		await shows(ann, "shared", ["paint the fence white"]);
		await shows(bob, "shared", ["paint the fence white"]);
		await shot(ann, `todo-stale-${name}`);
		// Once she has seen it, her edit from the current version goes through.
		await row(ann, "shared", "white").locator("button.edit").click();
		await ann.fill("#shared li input.edit", "paint the fence green");
		await ann.click("#shared li .save");
		await shows(bob, "shared", ["paint the fence green"]);
		assert.equal(await ann.textContent("#error"), "");
	});

	test("removing an item takes it off every page that shows it", async () => {
		await add(ann, "bread", true);
		await shows(bob, "shared", ["paint the fence green", "bread"]);
		await row(ann, "shared", "bread").locator(".remove").click();
		await shows(bob, "shared", ["paint the fence green"]);
		await row(ann, "mine", "milk").locator(".remove").click();
		await shows(ann, "mine", []);
	});

	test("a row another program writes into the database reaches both pages", async () => {
		const yes = name === "sqlite" ? "1" : "true", no = name === "sqlite" ? "0" : "false";
		await store.sql(`INSERT INTO todos (owner, title, done, shared, rev) VALUES ('carl', 'from the shell', ${no}, ${yes}, 1);`);
		await shows(ann, "shared", ["paint the fence green", "from the shell"]);
		await shows(bob, "shared", ["paint the fence green", "from the shell"]);
		assert.match(await ann.textContent("#shared-count"), /\(2\)/);
	});

	test("a reload reads the lists back from the database", async () => {
		await ann.goto(`${server.url}?user=ann`);
		await ann.waitForFunction(() => globalThis.todo?.lists);
		await shows(ann, "shared", ["paint the fence green", "from the shell"]);
		await shows(ann, "mine", []);
		await shows(bob, "mine", ["call the plumber"]);
	});
}
