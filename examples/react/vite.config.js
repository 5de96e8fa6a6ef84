// vite.config.js - Vite's build of the React page: `vite build examples/react --outDir DIR`, with the stubs lvc wrote (--js-runtime @lv/runtime) in LV_GEN.
import react from "@vitejs/plugin-react";
import { resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { defineConfig } from "vite";

const here = (path) => fileURLToPath(new URL(path, import.meta.url));

export default defineConfig({
	root: here("."),
	base: "./",
	plugins: [react()],
	resolve: {
		// "@gen/dashboard.lv.js": where lvc wrote the page's stubs (make: build/examples/react/gen)
		alias: { "@gen": resolve(process.env.LV_GEN || here("../../build/examples/react/gen")) },
	},
	build: {
		outDir: here("../../build/examples/react/static"),
		target: "es2022",
	},
});
