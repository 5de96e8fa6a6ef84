// app.js - the dashboard page: the plant's state (the server's, shared by
// every page watching it) drawn as it changes, and this page's view (its
// own state: sort and filter), which the server reads.
import { connect } from "./dashboard.lv.js";

const client = connect();
const plant = client.state.plant.of("north");
const view = client.state.view;
const $ = (id) => document.getElementById(id);
const SHOWN = 100;

function draw() {
	const p = plant.get();
	const v = view.get();
	$("rev").textContent = String(plant.rev);
	if (!p)
		return;
	const all = Object.values(p.machines);
	$("tick").textContent = String(p.tick);
	$("count").textContent = String(all.length);
	$("hot").textContent = String(all.filter((m) => !m.ok).length);
	$("alarms").replaceChildren(...p.alarms.map((a) => Object.assign(document.createElement("div"), { textContent: a })));
	const by = v.sort === "temp" || v.sort === "load" ? v.sort : "name";
	const rows = all.filter((m) => m.name.includes(v.filter))
		.sort((a, b) => (by === "name" ? a.name.localeCompare(b.name) : b[by] - a[by]));
	$("rows").replaceChildren(...rows.slice(0, SHOWN).map((m) => {
		const tr = document.createElement("tr");
		tr.className = m.ok ? "" : "hot";
		tr.dataset.name = m.name;
		for (const [text, num] of [[m.name, false], [m.temp.toFixed(1), true], [String(m.load), true]])
			tr.appendChild(Object.assign(document.createElement("td"), { textContent: text, className: num ? "num" : "" }));
		return tr;
	}));
	$("more").textContent = rows.length > SHOWN ? `and ${rows.length - SHOWN} more` : "";
}

// One drawing per animation frame, whatever the number of revisions.
let queued = false;
const redraw = () => {
	if (!queued) {
		queued = true;
		requestAnimationFrame(() => {
			queued = false;
			draw();
		});
	}
};
plant.subscribe(redraw);
view.subscribe(redraw);

$("filter").addEventListener("input", (e) => view.set("/filter", e.target.value));
$("sort").addEventListener("change", (e) => view.set("/sort", e.target.value));
$("ask").addEventListener("click", async () => {
	$("seen").textContent = JSON.stringify(await client.my_view());
});

await client.watch("north");
// For the browser test: the stores this page draws.
globalThis.dashboard = { client, plant, view };
