// App.jsx - the dashboard in React: the plant (the server's state, shared by every page watching it) and this page's view of it (its own state, sort and filter, which the server reads), both through useLvState.
import { memo, useEffect, useState } from "react";
import { useLvState } from "./useLvState.js";

const SHOWN = 100;

/* A machine's row: drawn again only when the server changed that machine. */
const Row = memo(function Row({ m }) {
	return (
		<tr className={m.ok ? "" : "hot"} data-name={m.name}>
			<td>{m.name}</td>
			<td className="num">{m.temp.toFixed(1)}</td>
			<td className="num">{m.load}</td>
		</tr>
	);
});

export function App({ client, plant: name }) {
	const store = client.state.plant.of(name);
	const plant = useLvState(store);
	const view = useLvState(client.state.view);
	const [seen, setSeen] = useState("");
	useEffect(() => {
		client.watch(name);
	}, [client, name]);

	const setView = (path) => (e) => client.state.view.set(path, e.target.value);
	const ask = async () => setSeen(JSON.stringify(await client.my_view()));
	const all = plant ? Object.values(plant.machines) : [];
	const by = view.sort === "temp" || view.sort === "load" ? view.sort : "name";
	const rows = all.filter((m) => m.name.includes(view.filter))
		.sort((a, b) => (by === "name" ? a.name.localeCompare(b.name) : b[by] - a[by]));
	return (
		<>
			<header>
				<h1>Plant {name}</h1>
				<span className="stat">tick <b id="tick">{plant ? plant.tick : "–"}</b></span>
				<span className="stat">machines <b id="count">{all.length}</b></span>
				<span className="stat">too hot <b id="hot">{all.filter((m) => !m.ok).length}</b></span>
				<span className="stat">revision <b id="rev">{store.rev}</b></span>
			</header>
			<p>
				<label>filter <input id="filter" placeholder="m01" value={view.filter} onChange={setView("/filter")} /></label>
				<label> sort by <select id="sort" value={view.sort} onChange={setView("/sort")}>
					<option value="name">name</option>
					<option value="temp">temperature</option>
					<option value="load">load</option>
				</select></label>
				<button id="ask" onClick={ask}>what the server sees</button> <code id="seen">{seen}</code>
			</p>
			<div id="alarms">{plant?.alarms.map((a, i) => <div key={i}>{a}</div>)}</div>
			<table>
				<thead><tr><th>machine</th><th>°C</th><th>load %</th></tr></thead>
				<tbody id="rows">{rows.slice(0, SHOWN).map((m) => <Row key={m.name} m={m} />)}</tbody>
			</table>
			<p id="more">{rows.length > SHOWN ? `and ${rows.length - SHOWN} more` : ""}</p>
		</>
	);
}
