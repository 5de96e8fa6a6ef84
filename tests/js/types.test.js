// types.test.js - lv.d.ts checked against the code by tsc --strict: every
// export lv.d.ts declares is in lv.js with a type it can be given (the JS
// read with allowJs, its JSDoc included), and every export of lv.js is
// declared; the same for a generated module against its NAME.lv.d.ts; the
// integration app's NAME.lv.d.ts compiles; and so does a page in TypeScript
// that uses the store and the patch functions as React would.
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { copyFileSync, readdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { test } from "node:test";

import { ROOT, generate, tempDir } from "./helpers.js";

const TSC = join(ROOT, "node_modules/.bin/tsc");
const RUNTIME = join(ROOT, "runtime/js");
const STRICT = ["--strict", "--noEmit", "--target", "es2022", "--module", "esnext",
                "--moduleResolution", "bundler", "--lib", "es2022,dom"];

/* tsc's diagnostics ("" when there are none). */
function tsc(dir, args) {
	try {
		execFileSync(TSC, args, { cwd: dir, stdio: "pipe" });
		return "";
	} catch (e) {
		return `${e.stdout}${e.stderr}` || String(e);
	}
}

/* The check: impl's exports can be typed as decl's, and decl names them all. */
const conformance = (impl, decl) => `
import * as impl from "${impl}";
import type * as decl from "${decl}";
export const declared: typeof decl = impl;
type Undeclared = Exclude<keyof typeof impl, keyof typeof decl>;
export const everyExportDeclared: [Undeclared] extends [never] ? true : Undeclared = true;
`;

test("tsc --strict: lv.d.ts describes lv.js (the code, read with allowJs, against the declarations)", () => {
	const dir = tempDir("types-runtime");
	for (const f of readdirSync(RUNTIME))
		if (f.endsWith(".js") && f !== "build.mjs")
			copyFileSync(join(RUNTIME, f), join(dir, f));
	// beside the code under another name, so that ./lv.js is the code
	copyFileSync(join(RUNTIME, "lv.d.ts"), join(dir, "declared.d.ts"));
	writeFileSync(join(dir, "check.ts"), conformance("./lv.js", "./declared"));
	assert.equal(tsc(dir, [...STRICT, "--allowJs", "check.ts"]), "");
});

test("tsc --strict: a generated module (kitchen.lv.js) is what its kitchen.lv.d.ts says", () => {
	const dir = generate(join(ROOT, "tests/js/fixtures/kitchen.lv"), "types-kitchen");
	for (const f of readdirSync(RUNTIME))
		if (f.endsWith(".js") || f.endsWith(".d.ts"))
			copyFileSync(join(RUNTIME, f), join(dir, f));
	copyFileSync(join(dir, "kitchen.lv.js"), join(dir, "kitchen_impl.js"));
	writeFileSync(join(dir, "check.ts"), conformance("./kitchen_impl.js", "./kitchen.lv.js"));
	assert.equal(tsc(dir, [...STRICT, "--allowJs", "check.ts"]), "");
	// and the generated JavaScript itself type-checks against lv.d.ts
	assert.equal(tsc(dir, [...STRICT, "--allowJs", "--checkJs", "kitchen_impl.js", "kitchen_handlers.js"]), "");
});

test("tsc --strict: the integration app's app.lv.d.ts with lv.d.ts", () => {
	const dir = generate(join(ROOT, "tests/integration/app.lv"), "types-app");
	copyFileSync(join(RUNTIME, "lv.d.ts"), join(dir, "lv.d.ts"));
	assert.equal(tsc(dir, [...STRICT, "app.lv.d.ts", "lv.d.ts"]), "");
});

test("tsc --strict: a page in TypeScript with createStore (useSyncExternalStore's signature) and the patch functions", () => {
	const dir = tempDir("types-store");
	copyFileSync(join(RUNTIME, "lv.d.ts"), join(dir, "lv.d.ts"));
	writeFileSync(join(dir, "page.ts"), `
import { PatchError, StoreError, applyPatch, coalesce, createStore, diff, type PatchOp, type Store } from "./lv.js";

// React's, as @types/react declares it
declare function useSyncExternalStore<S>(subscribe: (onStoreChange: () => void) => () => void, getSnapshot: () => S): S;

interface Plant { temp: number; valves: boolean[] }
const plant = createStore<Plant>();               // the server's: null until its snapshot
const now: Plant | null = useSyncExternalStore(plant.subscribe, plant.get);
const temp = useSyncExternalStore(plant.subscribe, () => plant.select<number>("/temp"));
const t: number | undefined = temp;
const off: () => void = plant.subscribePath<number>("/temp", (v, prev) => { const n: number | undefined = v ?? prev; });
off();
try {
	plant.apply(12, [{ op: "replace", path: "", value: { temp: 20, valves: [] } }]);
} catch (e) {
	if (e instanceof StoreError && e.code === "revision") { const want: number | undefined = e.expected; }
	if (e instanceof PatchError) { const where: string = e.path; const i: number = e.index; }
}

const prefs: Store<{ theme: string }> = createStore({ theme: "light" }, { freeze: true, onError: console.error });
prefs.set("/theme", "dark");
prefs.update((s) => ({ ...s, theme: "blue" }));
const batch: PatchOp[] | null = prefs.takePending();
const rev: number = prefs.rev;

const ops: PatchOp[] = diff({ a: 1 }, { a: 2 });
const next = applyPatch<{ a: number }>({ a: 1 }, coalesce(ops, { addCreates: true }), { freeze: false });
const a: number = next.a;

// @ts-expect-error: an add needs its value
const bad: PatchOp = { op: "add", path: "/x" };
// @ts-expect-error: the next snapshot of a Store<{theme: string}> is one too
prefs.update(() => 3);
// @ts-expect-error: rev is read-only
prefs.rev = 2;
export { now, t, batch, rev, a, bad };
`);
	assert.equal(tsc(dir, [...STRICT, "page.ts"]), "");
});
