// package.test.js - the browser runtime as users get it from npm: runtime/js
// packed by npm pack (exactly the modules lv.js reaches, its types, its
// package.json and README), installed from the tarball into a project of
// its own outside the repository, with no registry (the morphdom it needs
// packed from the lock file's copy); node imports it and a module lvc wrote
// with --js-runtime @lv/runtime, and tsc --strict checks both against the
// package's types, with node's resolution and with a bundler's.
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, test } from "node:test";

import { LVC, ROOT } from "./helpers.js";

const RUNTIME = join(ROOT, "runtime/js");
const TSC = join(ROOT, "node_modules/typescript/bin/tsc");
const pkg = JSON.parse(readFileSync(join(RUNTIME, "package.json"), "utf8"));

let tmp, project;

/* npm with a cache of its own: nothing comes from the user's or the registry. */
function npm(args, cwd) {
	return execFileSync("npm", [...args, "--cache", join(tmp, "cache"), "--no-audit", "--no-fund",
	                            "--loglevel=error"], { cwd, encoding: "utf8", stdio: "pipe" });
}

/* The runtime's modules that lv.js imports, itself included, and the
 * packages they import. */
function reached() {
	const files = new Set(), packages = new Set(), todo = ["lv.js"];
	while (todo.length) {
		const f = todo.pop();
		if (files.has(f))
			continue;
		files.add(f);
		const text = readFileSync(join(RUNTIME, f), "utf8");
		for (const [, spec] of text.matchAll(/^(?:import|export)\b[^;]*?\bfrom\s+"([^"]+)"/gms)) {
			if (spec.startsWith("./"))
				todo.push(spec.slice(2));
			else
				packages.add(spec);
		}
	}
	return { files, packages };
}

before(() => {
	tmp = mkdtempSync(join(tmpdir(), "lv-npm-"));
	project = join(tmp, "app");
	execFileSync("mkdir", ["-p", project]);
});
after(() => rmSync(tmp, { recursive: true, force: true }));

test("package.json: ESM, exports '.' as lv.js with lv.d.ts, no side effects, the version of lv.js", async () => {
	assert.equal(pkg.name, "@lv/runtime");
	assert.equal(pkg.type, "module");
	assert.deepEqual(pkg.exports["."], { types: "./lv.d.ts", default: "./lv.js" });
	assert.equal(pkg.types, "./lv.d.ts");
	assert.equal(pkg.sideEffects, false);
	const { VERSION } = await import("../../runtime/js/options.js");
	assert.equal(pkg.version, VERSION);
	assert.deepEqual(Object.keys(pkg.dependencies).sort(), [...reached().packages].sort(),
		"a dependency for every package the modules import, and no other");
});

test("npm pack: exactly the modules lv.js reaches, lv.d.ts, package.json and the README", () => {
	const [dry] = JSON.parse(npm(["pack", "--dry-run", "--json"], RUNTIME));
	const want = [...reached().files, "lv.d.ts", "package.json", "README.md"].sort();
	assert.deepEqual(dry.files.map((f) => f.path).sort(), want);
});

test("installed from its tarball, node imports it and a module lvc generated for it", () => {
	const [packed] = JSON.parse(npm(["pack", "--json", "--pack-destination", tmp], RUNTIME));
	const morphdom = join(ROOT, "node_modules/morphdom");
	const [dep] = JSON.parse(npm(["pack", "--json", "--pack-destination", tmp], morphdom));
	writeFileSync(join(project, "package.json"), JSON.stringify({ name: "app", private: true, type: "module" }));
	npm(["install", "--offline", join(tmp, packed.filename), join(tmp, dep.filename)], project);

	execFileSync(LVC, [join(ROOT, "examples/dashboard/dashboard.lv"), "-o", project,
	                   "--js-runtime", "@lv/runtime"], { stdio: "pipe" });
	const generated = readFileSync(join(project, "dashboard.lv.js"), "utf8");
	assert.match(generated, /^import \{ clientModule \} from "@lv\/runtime";$/m);
	writeFileSync(join(project, "check.mjs"), `
import * as lv from "@lv/runtime";
import * as dashboard from "./dashboard.lv.js";
const store = lv.createStore({ n: 1 });
let seen = null;
store.subscribe((s) => { seen = s; });
store.set("/n", 2);
const client = dashboard.createClient({ autoConnect: false });
const before = client.state.view.get();
client.state.view.set("/filter", "m0");
const out = {
	resolved: import.meta.resolve("@lv/runtime"),
	version: lv.VERSION,
	seen,
	module: dashboard.schema.module,
	sameLvError: dashboard.LvError === lv.LvError,
	functions: ["watch", "my_view", "pause", "plant_json"].filter((n) => typeof client[n] === "function"),
	before,
	after: client.state.view.get(),
	plant: client.state.plant.of("north").get(),
};
client.dispose();
try {
	await import("@lv/runtime/store.js");
	out.deep = "imported";
} catch (e) {
	out.deep = e.code;
}
console.log(JSON.stringify(out));
`);
	const out = JSON.parse(execFileSync("node", ["check.mjs"], { cwd: project, encoding: "utf8" }));
	assert.ok(out.resolved.endsWith("/app/node_modules/@lv/runtime/lv.js"), out.resolved);
	assert.equal(out.version, pkg.version);
	assert.deepEqual(out.seen, { n: 2 });
	assert.equal(out.module, "dashboard");
	assert.equal(out.sameLvError, true, "the generated module and the page share one runtime");
	assert.deepEqual(out.functions, ["watch", "my_view", "pause", "plant_json"]);
	assert.deepEqual(out.before, { sort: "name", filter: "" });
	assert.deepEqual(out.after, { sort: "name", filter: "m0" });
	assert.equal(out.plant, null, "a server state is null until the server's snapshot");
	assert.equal(out.deep, "ERR_PACKAGE_PATH_NOT_EXPORTED", "only '.' is exported");
});

test("tsc --strict: a page in TypeScript against the installed types, node's resolution and a bundler's", () => {
	writeFileSync(join(project, "page.ts"), `
import { LvError, VERSION, createStore, type PageState, type Store } from "@lv/runtime";
import { createClient, type Client, type Plant, type View } from "./dashboard.lv.js";

const client: Client = createClient({ autoConnect: false });
const view: PageState<View> = client.state.view;
view.set("/filter", "m0");
const plant: Plant | null = client.state.plant.of("north").get();
export const machines: number = plant ? Object.keys(plant.machines).length : 0;
const store: Store<{ n: number }> = createStore({ n: 1 });
export const n: number = store.get().n;
export const version: string = VERSION;

export async function seen(): Promise<View | string> {
	try {
		return await client.my_view();
	} catch (e) {
		if (e instanceof LvError)
			return e.code;
		throw e;
	}
}

// Wrong uses are errors: the types are the package's, not any.
// @ts-expect-error watch takes the plant's name, a string
void client.watch(5);
// @ts-expect-error the store holds a number at n
export const s: string = store.get().n;
`);
	const base = { strict: true, noEmit: true, target: "es2022", lib: ["es2022", "dom"], types: [],
	               skipLibCheck: false };
	for (const [module, moduleResolution] of [["nodenext", "nodenext"], ["esnext", "bundler"]]) {
		writeFileSync(join(project, "tsconfig.json"), JSON.stringify({
			compilerOptions: { ...base, module, moduleResolution }, files: ["page.ts"],
		}));
		let diagnostics = "";
		try {
			execFileSync("node", [TSC, "-p", "tsconfig.json"], { cwd: project, encoding: "utf8", stdio: "pipe" });
		} catch (e) {
			diagnostics = `${e.stdout}${e.stderr}`;
		}
		assert.equal(diagnostics, "", `moduleResolution ${moduleResolution}`);
	}
	const listed = execFileSync("node", [TSC, "-p", "tsconfig.json", "--listFiles"], { cwd: project, encoding: "utf8" });
	assert.match(listed, /\/app\/node_modules\/@lv\/runtime\/lv\.d\.ts$/m, "the types come from the package");
});

test("lvc --js-runtime: in --help; an empty specifier or one with a quote is a usage error", () => {
	assert.match(execFileSync(LVC, ["--help"], { encoding: "utf8" }), /--js-runtime SPEC/);
	for (const bad of ["", 'a"b', "a\\b"]) {
		let status = 0, stderr = "";
		try {
			execFileSync(LVC, ["--js-runtime", bad, "x.lv"], { stdio: "pipe" });
		} catch (e) {
			status = e.status;
			stderr = String(e.stderr);
		}
		assert.equal(status, 2, JSON.stringify(bad));
		assert.match(stderr, /--js-runtime takes a module specifier/);
	}
});
