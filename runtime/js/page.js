// page.js - what a page has once, whatever the number of schemas: the command whitelist, allowEval, listeners for every connection, scans over all of them, and window.lv while it has a connection.
import { Callback } from "./binding.js";
import { BUILTINS, Commands } from "./commands.js";
import { coreOf } from "./connection.js";
import { VERSION } from "./options.js";

export class Page {
	#listeners = [];
	#global = false;

	constructor() {
		this.version = VERSION;
		this.connections = [];
		this.commands = new Commands(BUILTINS);
		this.allowEval = false;
	}

	/** Listens to an event of every connection, present and future. */
	on(event, fn) {
		this.#listeners.push([event, fn]);
		for (const c of this.connections)
			c.on(event, fn);
		return () => this.off(event, fn);
	}

	off(event, fn) {
		this.#listeners = this.#listeners.filter(([e, f]) => !(e === event && f === fn));
		for (const c of this.connections)
			c.off(event, fn);
	}

	/** Binds data-lv-on-* attributes under root; see Connection.scan. */
	scan(root) {
		const c = this.connections[0];
		if (!c)
			throw new Error("lv.scan: no connection yet (make a client with the module lvc generated first)");
		return c.scan(root);
	}

	/** Binds a callback (object or name) to an element's event. */
	bind(element, eventName, callback) {
		if (callback === undefined) {
			callback = eventName;
			eventName = undefined;
		}
		const c = callback instanceof Callback ? callback.connection
			: this.connections.find((x) => coreOf(x)?.binding.callbackEndpoint(String(callback))) || this.connections[0];
		if (!c)
			throw new Error("lv.bind: no connection yet");
		return c.bind(element, eventName, callback);
	}

	/** Shows a notification (see the lv.notify command). */
	notify(message, kwargs) {
		return this.connections[0]?.notify(message, kwargs) ?? null;
	}

	/**
	 * Puts a connection on the page: the page's listeners hear it, scans
	 * see its callbacks, and in a browser window.lv is the page while it
	 * has a connection. conn.dispose() takes it off. Returns conn.
	 */
	add(conn) {
		if (this.connections.includes(conn))
			return conn;
		this.connections.push(conn);
		for (const [e, f] of this.#listeners)
			conn.on(e, f);
		if (typeof window !== "undefined" && globalThis.lv === undefined) {
			globalThis.lv = this;
			this.#global = true;
		}
		return conn;
	}

	/** Takes a connection off the page (dispose() does it). */
	remove(conn) {
		const i = this.connections.indexOf(conn);
		if (i < 0)
			return;
		this.connections.splice(i, 1);
		for (const [e, f] of this.#listeners)
			conn.off(e, f);
		if (this.connections.length === 0 && this.#global) {
			this.#global = false;
			if (globalThis.lv === this)
				delete globalThis.lv;
		}
	}
}

/** The page: made at import, inert until a connection is added to it. */
export const page = new Page();
