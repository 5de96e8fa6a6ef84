// build.mjs - bundles lv.js and morphdom into one ES module for the server
// to serve:  node runtime/js/build.mjs [OUT]   (default build/js/lv.js)
// lv.js itself needs no build step; the bundle only resolves the "morphdom"
// import, which a browser cannot resolve without an import map.
import { build } from "esbuild";
import { dirname, resolve } from "node:path";
import { fileURLToPath } from "node:url";

const here = dirname(fileURLToPath(import.meta.url));
const out = resolve(process.argv[2] || "build/js/lv.js");

await build({
	entryPoints: [resolve(here, "lv.js")],
	outfile: out,
	bundle: true,
	format: "esm",
	platform: "browser",
	target: ["es2020"],
	minify: process.argv.includes("--minify"),
	sourcemap: false,
	legalComments: "inline",
	logLevel: "warning",
});
console.log(`lv.js bundled into ${process.argv[2] || "build/js/lv.js"}`);
