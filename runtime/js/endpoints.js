// endpoints.js - the page's side of the client endpoints: register(), the ready/connect/disconnect lifecycle, and the server's pushes, events, calls and commands to the page.
import { decodeArgs, encode, positional } from "./codec.js";
import { LvError, codecError } from "./errors.js";

const CLIENT_KINDS = new Set(["client.realtime", "client.rpc", "client.callback", "client.on"]);

export class Endpoints {
	#core;
	#handlers = new Map();
	#lifecycle = new Map();   // "ready" -> endpoint
	#custom = new Map();      // custom event -> endpoint
	#inbox = [];              // server messages held until ready
	#warned = new Set();
	#domReady = false;
	#pageTurn = false;
	#registered = false;
	#readyFired = false;
	#connectEmitted = false;

	constructor(core) {
		this.#core = core;
		for (const ep of core.codec.endpoints.values())
			if (ep.kind === "client.on")
				(ep.lifecycle ? this.#lifecycle : this.#custom).set(ep.event, ep);
	}

	get domReady() {
		return this.#domReady;
	}

	get readyFired() {
		return this.#readyFired;
	}

	get connectEmitted() {
		return this.#connectEmitted;
	}

	/* The page's handler of an endpoint, if it registered one. */
	handler(name) {
		return this.#handlers.get(name);
	}

	warnOnce(key, msg) {
		if (this.#warned.has(key))
			return;
		this.#warned.add(key);
		this.#core.env.console.warn(msg);
	}

	/* Connection.register: see there. */
	register(handlers) {
		const core = this.#core;
		const console = core.env.console;
		if (!handlers || (typeof handlers !== "object" && typeof handlers !== "function"))
			throw new TypeError("lv.register: expected an object of handlers by endpoint name");
		const namespace = handlers[Symbol.toStringTag] === "Module";
		const others = [];
		for (const key of Object.keys(handlers)) {
			const fn = handlers[key];
			const ep = core.codec.endpoints.get(key);
			if (!ep || !CLIENT_KINDS.has(ep.kind)) {
				if (namespace)
					others.push(key);
				else
					console.warn(`lv.register: '${key}' is not a client endpoint of ${core.codec.module} ` +
					             `(${ep ? `it is a ${ep.kind}` : "no such endpoint"}); ignored`);
				continue;
			}
			if (typeof fn !== "function") {
				console.warn(`lv.register: the handler for '${key}' is not a function; ignored`);
				continue;
			}
			const prev = this.#handlers.get(key);
			this.#handlers.set(key, fn);
			if (ep.kind === "client.on" && ep.lifecycle && fn !== prev) {
				if ((ep.event === "ready" && this.#readyFired) || (ep.event === "connect" && this.#connectEmitted))
					queueMicrotask(() => {
						if (this.#handlers.get(key) === fn)
							core.events.call(fn);
					});
			}
		}
		if (others.length && typeof console.debug === "function")
			console.debug(`lv.register: exports that are not client endpoints of ${core.codec.module}, ` +
			              `left alone: ${others.join(", ")}`);
		this.#registered = true;
		queueMicrotask(() => this.#maybeReady());
	}

	// ---- ready and connect ------------------------------------------------------------

	domIsReady() {
		this.#domReady = true;
		this.#core.modes.flushBacklog();
		this.#maybeReady();
		this.#core.later(() => {
			this.#pageTurn = true;
			this.#maybeReady();
		}, 0);
	}

	/* ready: once the DOM is ready and the page has registered its handlers,
	 * or has had a turn to (a task after DOM ready). connect: after every
	 * welcome, never before ready. Server messages wait for ready. */
	#maybeReady() {
		const core = this.#core;
		if (core.conn.disposed || this.#readyFired || !this.#domReady || !(this.#registered || this.#pageTurn))
			return;
		this.#readyFired = true;
		const doc = core.conn.document;
		if (core.options.scan && doc) {
			try {
				core.conn.scan(doc);
			} catch (e) {
				core.env.console.error(e.message);
			}
		}
		this.#emitLifecycle("ready");
		if (core.conn.state === "open" && !this.#connectEmitted)
			this.connected();
		const inbox = this.#inbox;
		this.#inbox = [];
		for (const [msg, gen] of inbox)
			this.#dispatch(msg, gen);
	}

	#emitLifecycle(event, detail) {
		const ep = this.#lifecycle.get(event);
		const h = ep && this.#handlers.get(ep.name);
		if (h)
			this.#core.events.call(h);
		this.#core.events.emit(event, detail);
	}

	/* After a welcome (or at ready, if the welcome came first). */
	connected() {
		if (!this.#readyFired)
			return;
		this.#connectEmitted = true;
		this.#emitLifecycle("connect", { conn: this.#core.conn.connId });
	}

	/* The socket went: disconnect, if connect was said. */
	disconnected(code, reason) {
		if (!this.#connectEmitted)
			return;
		this.#connectEmitted = false;
		this.#emitLifecycle("disconnect", { code, reason: reason || "" });
	}

	// ---- messages to the page -----------------------------------------------------------

	/* A push, event, ccall, cmd or a group's resync: now, or at ready,
	 * in the order they came. */
	receive(msg, gen) {
		if (this.#readyFired)
			this.#dispatch(msg, gen);
		else
			this.#inbox.push([msg, gen]);
	}

	/* The seq of the first numbered message held for ready, or null. */
	firstHeldSeq() {
		const held = this.#inbox.find(([m]) => Number.isInteger(m.seq));
		return held ? held[0].seq : null;
	}

	/* Without a session, a call from the server dies with its socket. */
	dropHeldCalls() {
		this.#inbox = this.#inbox.filter(([m]) => m.t !== "ccall");
	}

	clear() {
		this.#inbox = [];
	}

	#dispatch(msg, gen) {
		switch (msg.t) {
		case "cmd":
			this.#core.run(msg.cmds, "server");
			return;
		case "push":
			return this.#onPush(msg);
		case "event":
			return this.#onEvent(msg);
		case "ccall":
			if (gen === this.#core.transport.gen)
				this.#onCcall(msg, gen);
			return;
		case "resync":
			return this.#onGroupResync(msg);
		}
	}

	/* The server could not give the page every message of a group it is in
	 * (docs/scaling.md): what came before this may have a hole. */
	#onGroupResync(msg) {
		const group = typeof msg.group === "string" ? msg.group : "";
		const reason = typeof msg.reason === "string" ? msg.reason : "unknown";
		if (!this.#core.events.emit("resync", { reason, group, lost: 0 }))
			this.#core.env.console.warn(`lv: group '${group}': messages were missed (${reason}); ` +
			                            "listen to 'resync' to read again what they changed");
	}

	#decodeFor(ep, args) {
		try {
			return decodeArgs(ep, args);
		} catch (e) {
			this.#core.error(codecError(ep.name, e));
			return null;
		}
	}

	#onPush(msg) {
		const core = this.#core;
		const fn = String(msg.fn);
		const ep = core.codec.endpoints.get(fn);
		if (!ep || ep.kind !== "client.realtime") {
			this.warnOnce(`push:${fn}`, `lv: the server pushed '${fn}', which is not a client.realtime of ${core.codec.module}; ignored`);
			return;
		}
		const args = this.#decodeFor(ep, msg.args);
		if (!args)
			return;
		const h = this.#handlers.get(fn);
		if (!h) {
			this.warnOnce(`nohandler:${fn}`, `lv: no handler for client.realtime '${fn}' (register one); message dropped`);
			return;
		}
		core.events.call(h, ...positional(ep, args));
	}

	#onEvent(msg) {
		const core = this.#core;
		const name = String(msg.name);
		const ep = this.#custom.get(name);
		let args = msg.args === undefined ? {} : msg.args;
		if (ep) {
			args = this.#decodeFor(ep, msg.args);
			if (!args)
				return;
			const h = this.#handlers.get(ep.name);
			if (h)
				core.events.call(h, ...positional(ep, args));
		}
		if (!core.events.emit(name, args) && !(ep && this.#handlers.has(ep.name)))
			this.warnOnce(`event:${name}`, `lv: nothing handles the server's event '${name}'`);
	}

	async #onCcall(msg, gen) {
		const core = this.#core;
		const id = msg.id;
		const fn = String(msg.fn);
		const reply = (body) => {
			if (gen === core.transport.gen && core.transport.active && core.conn.state === "open")
				core.send({ t: "cret", id, ...body });
		};
		const fail = (code, message, path) =>
			reply({ ok: false, error: path ? { code, message, path } : { code, message } });
		const ep = core.codec.endpoints.get(fn);
		if (!ep || ep.kind !== "client.rpc")
			return fail("not_found", `${fn}: ${core.codec.module} has no client.rpc '${fn}'`);
		let args;
		try {
			args = decodeArgs(ep, msg.args);
		} catch (e) {
			const err = codecError(fn, e);
			return fail(err.code, err.message, err.path);
		}
		const h = this.#handlers.get(fn);
		if (!h)
			return fail("not_found", `${fn}: the page has no handler for it`);
		let value;
		try {
			value = await h(...positional(ep, args));
		} catch (e) {
			const code = e instanceof LvError ? e.code : "internal";
			const text = e instanceof Error ? e.message : String(e);
			// The message starts with the endpoint's name (docs/protocol.md).
			const named = text.startsWith(fn) && !/^[A-Za-z0-9_]/.test(text.slice(fn.length));
			return fail(code, named ? text : `${fn}: ${text}`, e instanceof LvError ? e.path : "");
		}
		let wire;
		try {
			wire = encode(ep.resultType, value);
		} catch (e) {
			const err = codecError(fn, e, "internal", "result");
			return fail("internal", err.message, err.path);
		}
		reply({ ok: true, value: wire });
	}
}
