// modes.js - what the page shows and runs: execution modes and their enter/exit commands, the page state, running commands, and notifications.
import { runCommands } from "./commands.js";
import { Notifier } from "./dom.js";
import { MAIN, OFFLINE, SERVER_ERROR_500 } from "./options.js";

const notifiers = new WeakMap();   // document -> Notifier, shared by its connections

export class Modes {
	#core;
	#stock = new Map();    // the default lists last made, by mode
	#backlog = [];         // commands held until the DOM is ready
	#notes = new Set();    // the notifications this connection showed

	constructor(core) {
		this.#core = core;
		this.mode = MAIN;
		this.modes = new Map([[MAIN, { enter: [], exit: [] }]]);
		this.pageState = {};
		this.defaults();
	}

	/* OFFLINE: a sticky notification and every group blocked, undone on
	 * exit. SERVER_ERROR_500: a sticky error notification. Only the lists
	 * the page has not replaced are (re)made, with the current texts. */
	defaults() {
		const t = this.#core.options.texts;
		const defaults = {
			[OFFLINE]: {
				enter: [["lv.notify", t.offline, { sticky: true, group: "lv.offline", level: "warning" }], ["lv.block", "*"]],
				exit: [["lv.clear_notifications", { group: "lv.offline" }], ["lv.release", "*"]],
			},
			[SERVER_ERROR_500]: {
				enter: [["lv.notify", t.serverError, { sticky: true, group: "lv.error", level: "error" }]],
				exit: [["lv.clear_notifications", { group: "lv.error" }]],
			},
		};
		for (const [name, lists] of Object.entries(defaults)) {
			const m = this.modes.get(name) || { enter: null, exit: null };
			const stock = this.#stock.get(name) || {};
			if (!m.enter || m.enter === stock.enter)
				m.enter = lists.enter;
			if (!m.exit || m.exit === stock.exit)
				m.exit = lists.exit;
			this.#stock.set(name, { enter: lists.enter, exit: lists.exit });
			this.modes.set(name, m);
		}
	}

	/* Runs commands as source ("page", "server", "mode:NAME", "lv"); before
	 * the DOM is ready they wait. */
	run(cmds, source) {
		const core = this.#core;
		if (cmds === undefined || cmds === null)
			return;
		if (!core.endpoints.domReady && core.conn.document) {
			this.#backlog.push([cmds, source]);
			return;
		}
		const binding = core.binding;
		runCommands(core.conn.commands, core.conn, cmds, {
			source,
			block: (groups) => binding.blockGroups(groups, source),
			release: (groups) => binding.releaseGroups(groups, source),
		}, core.env.console);
	}

	flushBacklog() {
		const backlog = this.#backlog;
		this.#backlog = [];
		for (const [cmds, source] of backlog)
			this.run(cmds, source);
	}

	clear() {
		this.#backlog = [];
	}

	setState(patch) {
		for (const [k, v] of Object.entries(patch || {})) {
			if (v === null)
				delete this.pageState[k];
			else
				this.pageState[k] = v;
		}
		this.#core.events.emit("page_state", this.pageState);
	}

	setMode(name, { enter, exit } = {}) {
		const m = this.modes.get(name) || { enter: [], exit: [] };
		if (enter !== undefined) {
			if (!Array.isArray(enter))
				throw new TypeError(`lv.setMode('${name}'): enter must be a list of commands`);
			m.enter = enter;
		}
		if (exit !== undefined) {
			if (!Array.isArray(exit))
				throw new TypeError(`lv.setMode('${name}'): exit must be a list of commands`);
			m.exit = exit;
		}
		this.modes.set(name, m);
	}

	switchMode(name) {
		if (name === this.mode)
			return;
		const previous = this.mode;
		this.mode = name;
		this.run(this.modes.get(previous)?.exit, `mode:${previous}`);
		this.run(this.modes.get(name)?.enter, `mode:${name}`);
		this.#core.events.emit("mode", { mode: name, previous });
	}

	// ---- notifications ----------------------------------------------------------------

	#notifier() {
		const doc = this.#core.conn.document;
		if (!doc)
			return null;
		let n = notifiers.get(doc);
		if (!n)
			notifiers.set(doc, (n = new Notifier(doc, this.#core.env)));
		return n;
	}

	notify(message, kwargs = {}) {
		const n = this.#notifier();
		if (!n) {
			this.#core.env.console.info(`lv: ${message}`);
			return null;
		}
		const note = n.notify(message, kwargs);
		if (note) {
			this.#notes.add(note);
			if (this.#notes.size > 64)
				for (const old of this.#notes)
					if (!old.isConnected)
						this.#notes.delete(old);
		}
		return note;
	}

	clearNotifications(group) {
		this.#notifier()?.clear(group);
	}

	/* dispose: the notifications this connection showed go, with their timers. */
	removeNotes() {
		const n = this.#notifier();
		for (const note of this.#notes)
			n?.remove(note);
		this.#notes.clear();
	}
}
