// main.jsx - the React page's entry: the page's client of dashboard.lv, and the app drawn with it.
import { StrictMode } from "react";
import { createRoot } from "react-dom/client";
import { connect } from "@gen/dashboard.lv.js";
import { App } from "./App.jsx";

const client = connect();
import.meta.hot?.dispose(() => client.dispose());

createRoot(document.getElementById("root")).render(
	<StrictMode>
		<App client={client} plant="north" />
	</StrictMode>,
);
// For the browser test: the page's client.
globalThis.dashboard = { client };
