// binding.js - client.callback endpoints bound to DOM events: bind and scan, debounce, confirm, concurrency groups and blocking, and arguments read from the page.
import { encodeArgs } from "./codec.js";
import { readArgs } from "./dom.js";
import { codecError } from "./errors.js";

function describe(el) {
	if (!el || !el.nodeName)
		return String(el);
	let s = el.nodeName.toLowerCase();
	if (el.id)
		s += `#${el.id}`;
	return `<${s}>`;
}

/** A client.callback of a schema, ready to bind to DOM events. */
export class Callback {
	constructor(conn, ep) {
		this.name = ep.name;
		this.connection = conn;
		this.endpoint = ep;
		Object.freeze(this);
	}

	/** Binds to element's eventName (default: the callback's declared event). */
	bind(element, eventName) {
		return this.connection.bind(element, eventName, this);
	}

	toString() {
		return this.name;
	}
}

/* The connection whose callback handler is running (argsFrom of the
 * generated module reads the callback from it). */
let building = null;

/** The connection building a callback's arguments right now, if any. */
export function buildingConnection() {
	return building;
}

/** Reads names from the page, typed as callback fn's parameters (or current's). */
export function argsFromCodec(codec, current, element, names, fn) {
	let ep = null;
	if (fn) {
		const e = codec.endpoints.get(fn);
		ep = e && e.kind === "client.callback" ? e : null;
	} else {
		ep = current;
	}
	if (!ep)
		ep = [...codec.endpoints.values()].find((e) => e.kind === "client.callback" &&
			names.every((n) => e.paramNames.includes(n))) || null;
	const types = new Map();
	if (ep)
		for (const f of ep.args.fields)
			types.set(f.name, f.optional || f.hasDefault ? { kind: "optional", elem: f.type } : f.type);
	return readArgs(element, names, types, ep ? ep.name : "argsFrom");
}

export class Binding {
	#core;
	#callbacks = new Map();
	#bound = new WeakMap();   // element -> Map("event name" -> unbind)
	#debounce = new WeakMap();
	#bindings = new Set();    // every unbind function, for dispose
	#groups = new Map();
	#blockers = new Map();    // group -> Set of tokens
	#current = null;          // the callback whose arguments are being built

	constructor(core) {
		this.#core = core;
	}

	callbackEndpoint(name) {
		const ep = this.#core.codec.endpoints.get(name);
		return ep && ep.kind === "client.callback" ? ep : null;
	}

	bindError(name, where) {
		const codec = this.#core.codec;
		const ep = codec.endpoints.get(name);
		const declared = [...codec.endpoints.values()].filter((e) => e.kind === "client.callback").map((e) => e.name);
		const list = declared.length ? `its client.callbacks are: ${declared.join(", ")}` : "it declares no client.callback";
		if (ep)
			return new Error(`${where}: '${name}' is a ${ep.kind} of ${codec.module}, not a client.callback; ` +
			                 "only client.callback endpoints can be bound to DOM events");
		return new Error(`${where}: '${name}' is not declared in ${codec.module} (${list})`);
	}

	callback(name) {
		let cb = this.#callbacks.get(name);
		if (cb)
			return cb;
		const ep = this.callbackEndpoint(name);
		if (!ep)
			throw this.bindError(name, "lv.callback");
		this.#callbacks.set(name, (cb = new Callback(this.#core.conn, ep)));
		return cb;
	}

	bind(element, eventName, callback) {
		const conn = this.#core.conn;
		let ep;
		if (callback instanceof Callback) {
			if (callback.connection !== conn)
				return callback.connection.bind(element, eventName, callback);
			ep = callback.endpoint;
		} else if (typeof callback === "string") {
			ep = this.callbackEndpoint(callback);
			if (!ep)
				throw this.bindError(callback, "lv.bind");
		} else {
			throw new Error("lv.bind: expected a Callback (from the generated module, or lv.callback(name)) " +
			                `or the name of a client.callback; got ${callback === null ? "null" : typeof callback}`);
		}
		if (!element || typeof element.addEventListener !== "function")
			throw new Error(`lv.bind: '${ep.name}' needs an element to bind to; got ${element === null ? "null" : typeof element}`);
		const ev = eventName || ep.dom_event || "click";
		let map = this.#bound.get(element);
		if (!map)
			this.#bound.set(element, (map = new Map()));
		const key = `${ev} ${ep.name}`;
		if (map.has(key))
			return map.get(key);
		const listener = (event) => this.#fire(ep, element, event);
		element.addEventListener(ev, listener);
		const unbind = () => {
			element.removeEventListener(ev, listener);
			map.delete(key);
			this.#bindings.delete(unbind);
		};
		map.set(key, unbind);
		this.#bindings.add(unbind);
		return unbind;
	}

	unbindAll() {
		for (const unbind of [...this.#bindings])
			unbind();
	}

	/* Binds data-lv-on-* under root; names resolve in cores, this one first. */
	scan(root, cores) {
		const errors = [];
		const els = [];
		if (root.nodeType === 1)
			els.push(root);
		if (typeof root.querySelectorAll === "function")
			els.push(...root.querySelectorAll("*"));
		let n = 0;
		for (const el of els) {
			for (const attr of [...(el.attributes || [])]) {
				if (!attr.name.startsWith("data-lv-on-"))
					continue;
				const ev = attr.name.slice("data-lv-on-".length);
				for (const raw of attr.value.trim().split(/\s+/).filter(Boolean)) {
					const dot = raw.indexOf(".");
					const mod = dot > 0 ? raw.slice(0, dot) : null;
					const name = dot > 0 ? raw.slice(dot + 1) : raw;
					const c = cores.find((x) => (!mod || x.codec.module === mod) && x.binding.callbackEndpoint(name));
					if (!c) {
						const owner = cores.find((x) => !mod || x.codec.module === mod) || this.#core;
						errors.push(owner.binding.bindError(name, `${describe(el)} data-lv-on-${ev}`));
						continue;
					}
					c.conn.bind(el, ev, name);
					n++;
				}
			}
		}
		if (errors.length) {
			const e = new Error(`lv.scan: ${errors.map((x) => x.message).join("; ")}`);
			e.errors = errors;
			throw e;
		}
		return n;
	}

	/* A bound DOM event: debounce, blocked groups, confirm, concurrency. */
	#fire(ep, element, event) {
		if (event && typeof event.preventDefault === "function") {
			const tag = element.nodeName;
			const submitter = (tag === "BUTTON" || tag === "INPUT") && (element.type === "submit" || element.type === "image");
			if (event.type === "submit" || (event.type === "click" && (tag === "A" || submitter)))
				event.preventDefault();
		}
		if (ep.debounce > 0) {
			const core = this.#core;
			let timers = this.#debounce.get(element);
			if (!timers)
				this.#debounce.set(element, (timers = new Map()));
			if (timers.has(ep.name))
				core.cancel(timers.get(ep.name));
			timers.set(ep.name, core.later(() => {
				timers.delete(ep.name);
				this.#arrive(ep, element, event);
			}, ep.debounce));
			return;
		}
		this.#arrive(ep, element, event);
	}

	#group(name, model) {
		let g = this.#groups.get(name);
		if (!g)
			this.#groups.set(name, (g = { name, model, running: 0, waiting: [], order: [] }));
		return g;
	}

	#arrive(ep, element, event) {
		const core = this.#core;
		const g = this.#group(ep.group || ep.name, ep.concurrency || "serial");
		if (this.isBlocked(g.name))
			return this.#blocked(ep, g, element, event, "blocked");
		if (ep.confirm) {
			const w = core.env.window;
			if (w && typeof w.confirm === "function" && !w.confirm(ep.confirm))
				return;
		}
		const job = { ep, element, event };
		if (g.model === "serial" && g.running > 0) {
			if (g.waiting.length >= core.options.maxWaiting)
				return this.#blocked(ep, g, element, event, "full");
			g.waiting.push(job);
			return;
		}
		this.#runJob(g, job);
	}

	#blocked(ep, g, element, event, reason) {
		const core = this.#core;
		let prevented = false;
		const detail = {
			group: g.name, callback: ep.name, element, event, reason,
			offline: core.conn.state !== "open",
			preventDefault() {
				prevented = true;
			},
		};
		core.events.emit("blocked", detail);
		if (!prevented)
			core.modes.notify(detail.offline ? core.options.texts.offlineBlocked : core.options.texts.blocked,
			                  { group: "lv.blocked", throttle: 1000, timeout: 1500, level: "warning" });
	}

	async #runJob(g, job) {
		const core = this.#core;
		const { ep, element, event } = job;
		g.running++;
		const slot = g.model === "receive_serial" ? { done: false, apply: null } : null;
		if (slot)
			g.order.push(slot);
		const token = {};
		const blocks = Array.isArray(ep.blocks) ? ep.blocks : [];
		const finish = (apply) => {
			g.running--;
			this.releaseGroups(blocks, token);
			if (slot) {
				slot.done = true;
				slot.apply = apply;
				while (g.order.length && g.order[0].done)
					g.order.shift().apply();
			} else {
				apply();
			}
			if (g.model === "serial" && g.running === 0 && g.waiting.length)
				this.#runJob(g, g.waiting.shift());
		};
		let wire;
		try {
			const args = await this.#buildArgs(ep, element, event);
			if (args === false || args === null || args === undefined)
				return finish(() => {});
			wire = encodeArgs(ep, args);
		} catch (e) {
			return finish(() => core.error(codecError(ep.name, e)));
		}
		this.blockGroups(blocks, token);
		core.calls.request(ep, wire, {}).then(
			(answer) => finish(() => {
				try {
					core.calls.settle(ep, answer);
				} catch (e) {
					core.error(e);
				}
			}),
			(e) => finish(() => core.error(e)));
	}

	#buildArgs(ep, element, event) {
		const h = this.#core.endpoints.handler(ep.name);
		const outer = building;
		this.#current = ep;
		building = this.#core.conn;
		try {
			return h ? h(event, element) : this.argsFrom(element, ep.paramNames);
		} finally {
			this.#current = null;
			building = outer;
		}
	}

	argsFrom(element, names, fn) {
		return argsFromCodec(this.#core.codec, this.#current, element, names, fn);
	}

	// ---- concurrency groups -----------------------------------------------------------

	isBlocked(group) {
		return (this.#blockers.get(group)?.size ?? 0) > 0 || (this.#blockers.get("*")?.size ?? 0) > 0;
	}

	blockGroups(groups, token) {
		for (const g of groups) {
			let set = this.#blockers.get(g);
			if (!set)
				this.#blockers.set(g, (set = new Set()));
			set.add(token);
		}
	}

	releaseGroups(groups, token) {
		for (const g of groups) {
			if (g === "*")
				for (const set of this.#blockers.values())
					set.delete(token);
			else
				this.#blockers.get(g)?.delete(token);
		}
	}
}
