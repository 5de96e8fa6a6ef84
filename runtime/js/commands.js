// commands.js - the client commands a server answers with, hypergen style:
// [NAME, ARG..., {KWARGS}], the keyword object last and optional. Only the
// commands in the page's whitelist run: lv's own (below) and those the page
// adds with lv.commands.add(name, fn). Anything else is reported on the
// console and skipped.
import { morph } from "./dom.js";

function isPlainObject(v) {
	if (v === null || typeof v !== "object" || Array.isArray(v))
		return false;
	const p = Object.getPrototypeOf(v);
	return p === null || p === Object.prototype;
}

/** The whitelist: command name -> fn(args, kwargs, connection, context). */
export class Commands {
	#map;
	#builtin;

	constructor(builtins = {}) {
		this.#map = new Map(Object.entries(builtins));
		this.#builtin = new Set(Object.keys(builtins));
	}

	/**
	 * Adds a command the server may send. fn(args, kwargs, connection,
	 * {source}) gets the positional arguments as a list and the keyword
	 * object ({} when there is none). Names beginning "lv." are lv's own.
	 */
	add(name, fn) {
		if (typeof name !== "string" || !name)
			throw new TypeError("lv.commands.add: the name must be a non-empty string");
		if (typeof fn !== "function")
			throw new TypeError(`lv.commands.add: '${name}' needs a function`);
		if (name.startsWith("lv.") || this.#builtin.has(name))
			throw new Error(`lv.commands.add: '${name}' is one of lv's own commands; choose another name`);
		this.#map.set(name, fn);
		return this;
	}

	remove(name) {
		if (this.#builtin.has(name))
			throw new Error(`lv.commands.remove: '${name}' is one of lv's own commands`);
		return this.#map.delete(name);
	}

	has(name) {
		return this.#map.has(name);
	}

	get(name) {
		return this.#map.get(name);
	}

	names() {
		return [...this.#map.keys()];
	}
}

/**
 * Runs a list of commands in order. A malformed or unknown command, or one
 * that throws, is reported on the console and the rest still run. Each
 * command gets context: {source} (who runs it: "server", "page",
 * "mode:NAME"), and block(groups) / release(groups) as that source.
 */
export function runCommands(registry, conn, cmds, context, log) {
	if (cmds === undefined || cmds === null)
		return;
	if (!Array.isArray(cmds)) {
		log.error("lv: commands must be a list of [NAME, ARG..., {KWARGS}]; got", cmds);
		return;
	}
	for (const cmd of cmds) {
		if (!Array.isArray(cmd) || typeof cmd[0] !== "string") {
			log.error("lv: a command is [NAME, ARG..., {KWARGS}]; skipped", cmd);
			continue;
		}
		const name = cmd[0];
		const args = cmd.slice(1);
		const kwargs = args.length && isPlainObject(args[args.length - 1]) ? args.pop() : {};
		const fn = registry.get(name);
		if (!fn) {
			log.error(`lv: unknown command '${name}' skipped: it is not in the page's whitelist ` +
			          "(add it with lv.commands.add)");
			continue;
		}
		try {
			fn(args, kwargs, conn, context);
		} catch (e) {
			log.error(`lv: command '${name}' failed:`, e);
		}
	}
}

function element(conn, ref, what) {
	const doc = conn.document;
	if (!doc)
		throw new Error(`${what}: there is no document`);
	if (ref && typeof ref === "object" && ref.nodeType === 1)
		return ref;
	const s = String(ref ?? "");
	const el = doc.getElementById(s) || (/^[#.[]/.test(s) ? doc.querySelector(s) : null);
	if (!el)
		throw new Error(`${what}: no element '${s}' in the page`);
	return el;
}

function groupsOf(args) {
	const list = args.flat().map(String).filter(Boolean);
	return list.length ? list : ["*"];
}

/** lv's own commands. */
export const BUILTINS = Object.freeze({
	/* ["lv.morph", ID, HTML, {outer}] : the element's content becomes HTML, by
	 * a DOM diff that keeps focus, caret, scroll and the input being edited;
	 * data-lv-on-* attributes in the new content are bound. */
	"lv.morph"([id, html], { outer = false }, conn) {
		const el = element(conn, id, "lv.morph");
		const result = morph(el, html ?? "", { outer });
		try {
			conn.scan(result);
		} catch (e) {
			conn.env.console.error(e.message);
		}
	},

	/* ["lv.notify", TEXT, {sticky, group, throttle, level, timeout}] */
	"lv.notify"([message], kwargs, conn) {
		conn.notify(message, kwargs);
	},

	/* ["lv.clear_notifications", GROUP?] or [..., {group}] */
	"lv.clear_notifications"([group], kwargs, conn) {
		conn.clearNotifications(group ?? kwargs.group);
	},

	/* ["lv.focus", ID_OR_SELECTOR, {select}] */
	"lv.focus"([id], { select = false }, conn) {
		const el = element(conn, id, "lv.focus");
		el.focus();
		if (select && typeof el.select === "function")
			el.select();
	},

	/* ["lv.blur", ID_OR_SELECTOR?] : the element, or whatever has focus */
	"lv.blur"([id], kwargs, conn) {
		const el = id === undefined ? conn.document?.activeElement : element(conn, id, "lv.blur");
		el?.blur?.();
	},

	/* ["lv.block", GROUP...] : input to these concurrency groups (all of them
	 * when none is named, or "*") raises "blocked" until lv.release. */
	"lv.block"(args, kwargs, conn, ctx) {
		ctx.block(groupsOf(args));
	},

	/* ["lv.release", GROUP...] : undoes lv.block of the same source. */
	"lv.release"(args, kwargs, conn, ctx) {
		ctx.release(groupsOf(args));
	},

	/* ["lv.set_state", KEY, VALUE, ...] or ["lv.set_state", {state, modes}]:
	 * sets keys of the page's state (null deletes), and replaces the enter
	 * and/or exit command lists of modes: {modes: {OFFLINE: {enter: [...]}}}. */
	"lv.set_state"(args, { state, modes }, conn) {
		const patch = {};
		for (let i = 0; i + 1 < args.length; i += 2)
			patch[String(args[i])] = args[i + 1];
		if (state && typeof state === "object")
			Object.assign(patch, state);
		if (Object.keys(patch).length)
			conn.setState(patch);
		if (modes && typeof modes === "object")
			for (const [name, lists] of Object.entries(modes))
				conn.setMode(name, lists || {});
	},

	/* ["lv.switch_mode", MODE] : runs the current mode's exit commands, then
	 * MODE's enter commands. */
	"lv.switch_mode"([name], kwargs, conn) {
		if (typeof name !== "string" || !name)
			throw new Error("lv.switch_mode: needs a mode name");
		conn.switchMode(name);
	},

	/* ["lv.redirect", URL, {replace}] */
	"lv.redirect"([url], { replace = false }, conn) {
		const loc = conn.env.location;
		if (!loc)
			throw new Error("lv.redirect: there is no location to change");
		if (replace)
			loc.replace(String(url));
		else
			loc.assign(String(url));
	},

	/* ["lv.eval", CODE] : only when the page allows it (connect option
	 * allowEval, or lv.allowEval = true); the code sees the connection as lv. */
	"lv.eval"([code], kwargs, conn) {
		if (!conn.allowEval) {
			conn.env.console.error("lv: lv.eval refused: the page has not allowed it " +
			                       "(set lv.allowEval = true, or connect({ allowEval: true }))");
			return;
		}
		new Function("lv", String(code))(conn);
	},
});
