// app.js - the todo page: sign in under a name, then two live lists of the
// todos table, this person's own items and the shared ones, each redrawn
// when anyone's change to it commits. An edit carries the version it was
// started from, so one made stale by someone else's change is refused and
// said so here.
import { connect } from "./todo.lv.js";

const client = connect();
const todos = client.model.todos;
const $ = (id) => document.getElementById(id);
const editing = new Map();   // id -> the row as it was when its edit began

function say(text) {
	$("error").textContent = text;
}

// What a refused change tells the person.
function refused(err, what) {
	if (err?.code === "aborted")
		say(`${what} was not saved: someone changed it first. This is the list as it is now.`);
	else
		say(`${what} failed: ${err?.message ?? err}`);
}

function item(t, me) {
	const li = document.createElement("li");
	li.dataset.id = String(t.id);
	li.className = t.done ? "done" : "";
	const done = Object.assign(document.createElement("input"), { type: "checkbox", checked: t.done });
	done.className = "toggle";
	done.addEventListener("change", () =>
		todos.update({ ...t, done: done.checked }).catch((e) => refused(e, `"${t.title}"`)));
	li.append(done);
	if (editing.has(t.id)) {
		const input = Object.assign(document.createElement("input"), { value: editing.get(t.id).title });
		input.className = "edit";
		const save = Object.assign(document.createElement("button"), { textContent: "save" });
		save.className = "save";
		save.addEventListener("click", async () => {
			const from = editing.get(t.id);
			editing.delete(t.id);
			try {
				await todos.update({ ...from, title: input.value });
				say("");
			} catch (e) {
				refused(e, `Your edit of "${from.title}"`);
			}
			draw();
		});
		li.append(input, save);
	} else {
		const title = Object.assign(document.createElement("span"), { textContent: t.title });
		title.className = "title";
		const edit = Object.assign(document.createElement("button"), { textContent: "edit" });
		edit.className = "edit";
		edit.addEventListener("click", () => {
			editing.set(t.id, t);
			draw();
		});
		li.append(title, edit);
	}
	if (t.owner !== me) {
		li.append(Object.assign(document.createElement("span"), { textContent: t.owner, className: "owner" }));
	} else {
		const del = Object.assign(document.createElement("button"), { textContent: "×", title: "remove" });
		del.className = "remove";
		del.addEventListener("click", () => todos.delete(t.id, t.rev).catch((e) => refused(e, `Removing "${t.title}"`)));
		li.append(del);
	}
	return li;
}

let lists = null;
let me = "";

function draw() {
	for (const [name, live] of Object.entries(lists)) {
		const { rows, count } = live.getSnapshot();
		$(name).replaceChildren(...rows.map((t) => item(t, me)));
		$(`${name}-count`).textContent = `(${count})`;
	}
}

async function start(name) {
	await client.sign_in(name);
	me = await client.whoami();
	$("who").textContent = me;
	$("signin").hidden = true;
	$("me").hidden = false;
	$("app").hidden = false;
	// The row policy shows each page its own items and the shared ones.
	lists = {
		mine: await todos.subscribe({ where: { owner: me, shared: false }, order: ["id"] }, { key: "mine" }),
		shared: await todos.subscribe({ where: { shared: true }, order: ["id"] }, { key: "shared" }),
	};
	for (const live of Object.values(lists))
		live.subscribe(draw);
	draw();
	// For the browser test: what this page holds.
	globalThis.todo = { client, lists, me };
}

$("signin").addEventListener("submit", (e) => {
	e.preventDefault();
	start($("name").value.trim()).catch((err) => say(`Signing in failed: ${err.message}`));
});

$("add").addEventListener("submit", async (e) => {
	e.preventDefault();
	try {
		await todos.create({ owner: me, title: $("title").value, shared: $("share").checked });
		$("title").value = "";
		say("");
	} catch (err) {
		refused(err, "Adding it");
	}
});

const wanted = new URLSearchParams(location.search).get("user");
if (wanted)
	start(wanted).catch((err) => say(`Signing in failed: ${err.message}`));
