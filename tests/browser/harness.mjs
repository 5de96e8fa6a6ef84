// harness.mjs - what the browser tests share: an example server started
// on a free loopback port, and Debian's Chromium driven by playwright-core.
import { spawn } from "node:child_process";
import { mkdirSync } from "node:fs";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { chromium } from "playwright-core";

export const root = resolve(dirname(fileURLToPath(import.meta.url)), "../..");
const build = process.env.B ? resolve(root, process.env.B) : join(root, "build");
export const shots = join(build, "browser");
mkdirSync(shots, { recursive: true });

/* Starts examples/NAME's server; resolves once it listens. `port` 0 lets
 * it pick a free one; pass the old port to restart on the same address;
 * `env` adds to its environment. */
export function startServer(name, port = 0, env = {}) {
	return new Promise((resolvePromise, reject) => {
		const bin = process.env.LV_EXAMPLE_BIN ? resolve(root, process.env.LV_EXAMPLE_BIN) :
		            join(build, "examples", name, name);
		const proc = spawn(bin, [String(port || -1)], {
			cwd: join(root, "examples", name),
			env: { ...process.env, ...env },
			stdio: ["ignore", "pipe", "pipe"],
		});
		let out = "";
		const timer = setTimeout(() => {
			proc.kill("SIGKILL");
			reject(new Error(`${name} did not start: ${out}`));
		}, 10000);
		proc.stdout.on("data", (d) => {
			out += d;
			const m = /http:\/\/([\d.]+):(\d+)\//.exec(out);
			if (m) {
				clearTimeout(timer);
				resolvePromise({ proc, port: Number(m[2]), url: `http://${m[1]}:${m[2]}/` });
			}
		});
		proc.stderr.on("data", (d) => {
			out += d;
			process.stderr.write(`[${name} server] ${d}`);
		});
		proc.on("exit", (code) => {
			clearTimeout(timer);
			reject(new Error(`${name} exited (${code}) before listening: ${out}`));
		});
	});
}

/* Stops a server started here, by its pid, and waits for it to go. */
export function stopServer(server) {
	return new Promise((res) => {
		if (!server || server.proc.exitCode !== null) return res();
		server.proc.once("exit", () => res());
		server.proc.kill("SIGTERM");
		setTimeout(() => server.proc.kill("SIGKILL"), 5000).unref();
	});
}

export async function launch() {
	return chromium.launch({
		executablePath: process.env.CHROMIUM || "/usr/bin/chromium",
		headless: true,
		args: ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
		       "--disable-background-networking", "--disable-component-update",
		       "--disable-sync", "--disable-dev-shm-usage"],
	});
}

/* A page that fails the test on any uncaught error in it. */
export async function openPage(browser, url, errors = []) {
	const page = await browser.newPage();
	page.on("pageerror", (err) => errors.push(err));
	await page.goto(url);
	return page;
}

export async function shot(page, name) {
	await page.screenshot({ path: join(shots, `${name}.png`), fullPage: true });
}
