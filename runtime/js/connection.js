// connection.js - the Connection: one schema's link to the server, made of the parts in transport, session, calls, endpoints, binding and modes, with its events, its states, its models and dispose().
import { Binding } from "./binding.js";
import { Calls } from "./calls.js";
import { compileSchema } from "./codec.js";
import { whenDomReady } from "./dom.js";
import { Endpoints } from "./endpoints.js";
import { LvError } from "./errors.js";
import { Models } from "./models.js";
import { Modes } from "./modes.js";
import { DEFAULTS, MAIN, OFFLINE, TEXTS, defaultEnv } from "./options.js";
import { page } from "./page.js";
import { Session } from "./session.js";
import { States } from "./states.js";
import { Transport } from "./transport.js";

/* A connection's parts, by connection: for the page and for scans across
 * the connections of a page. Not exported from lv.js. */
const cores = new WeakMap();

/** The internals of a connection (lv.js's own modules only). */
export function coreOf(conn) {
	return cores.get(conn);
}

/* The event bus: listeners by event; page code called so that it cannot
 * throw into lv.js. */
class Events {
	#listeners = new Map();
	#console;

	constructor(env) {
		this.#console = () => env.console;
	}

	add(event, fn) {
		let set = this.#listeners.get(event);
		if (!set)
			this.#listeners.set(event, (set = new Set()));
		set.add(fn);
		return set;
	}

	remove(event, fn) {
		this.#listeners.get(event)?.delete(fn);
	}

	/* Calls the listeners; returns whether there were any. */
	emit(event, detail) {
		const set = this.#listeners.get(event);
		if (!set || set.size === 0)
			return false;
		for (const fn of [...set])
			this.call(fn, detail);
		return true;
	}

	call(fn, ...args) {
		try {
			const r = fn(...args);
			if (r && typeof r.then === "function")
				r.then(undefined, (e) => this.#console().error("lv: a handler failed:", e));
		} catch (e) {
			this.#console().error("lv: a handler failed:", e);
		}
	}

	clear() {
		this.#listeners.clear();
	}
}

/** @typedef {{ module: string, hash: string, types: Record<string, any>, endpoints: Record<string, any> }} Schema */

export class Connection {
	#core;
	/** @type {"connecting" | "open" | "offline" | "closed"} */
	#state;
	#connId = null;
	#disposed = false;
	#cleanups = [];          // what dispose() undoes: listeners on window and document
	#timers = new Set();     // timers dispose() clears

	/**
	 * @param {Schema} schema the schema lvc wrote into NAME.lv.js
	 * @param {Record<string, any>} [options] see DEFAULTS; also url, base, texts, env
	 */
	constructor(schema, options = {}) {
		this.schema = schema;
		this.codec = compileSchema(schema);
		this.module = this.codec.module;
		const config = globalThis.lvConfig && typeof globalThis.lvConfig === "object" ? globalThis.lvConfig : {};
		const env = { ...defaultEnv(), ...(config.env || {}), ...(options.env || {}) };
		this.env = env;
		this.options = { ...DEFAULTS, ...config, ...options };
		this.options.texts = { ...TEXTS, ...(config.texts || {}), ...(options.texts || {}) };
		delete this.options.env;
		this.#state = this.options.autoConnect ? "connecting" : "closed";

		const conn = this;
		const core = {
			conn, schema, codec: this.codec, env, options: this.options,
			terminal: null,          // {code, message} once closed for good
			upgrade: false,
			events: new Events(env),
			setState: (s) => this.#setState(s),
			error: (err) => this.#error(err),
			run: (cmds, source) => core.modes.run(cmds, source),
			send: (msg) => {
				// what the page wrote to its own states goes before what it asks
				if (msg.t === "call" || msg.t === "send" || msg.t === "cret")
					core.states.flushDue();
				return core.transport.send(core.session.number(msg));
			},
			connectNow: () => this.#connectNow(),
			later: (fn, ms) => this.#later(fn, ms),
			cancel: (id) => this.#cancel(id),
		};
		core.transport = new Transport(env, this.options, {
			onOpen: () => this.#onOpen(),
			onMessage: (data) => this.#onMessage(data),
			onClose: (code, reason) => this.#onClose(code, reason),
			ping: () => core.send({ t: "ping" }),
		});
		core.session = new Session(core);
		core.calls = new Calls(core);
		core.endpoints = new Endpoints(core);
		core.binding = new Binding(core);
		core.modes = new Modes(core);
		core.states = new States(core);
		core.models = new Models(core);
		this.#core = core;
		cores.set(this, core);

		// A session the previous page of this tab left (see Session.pageHide).
		core.session.restore();

		this.#cleanups.push(whenDomReady(this.document, () => core.endpoints.domIsReady()));
		this.#listen(env.window, "online", () => {
			if (this.#state === "offline")
				this.#connectNow();
		});
		this.#listen(env.window, "pagehide", () => core.session.pageHide());
		this.#listen(env.window, "pageshow", (e) => core.session.pageShow(e));
		// Without a socket class or an address (server-side rendering in
		// node, say) there is nothing to open until open() is called.
		if (this.options.autoConnect && !(env.WebSocket && (this.options.url || this.options.base || env.location)))
			this.#state = "closed";
		else if (this.options.autoConnect)
			this.#later(() => {
				if (this.#state === "connecting" && !core.transport.active && !core.terminal)
					this.open();
			}, 0);
	}

	/* Adds a listener that dispose() removes. */
	#listen(target, event, fn) {
		if (!target || typeof target.addEventListener !== "function")
			return;
		target.addEventListener(event, fn);
		this.#cleanups.push(() => target.removeEventListener(event, fn));
	}

	/* A timer that dispose() clears. */
	#later(fn, ms) {
		const id = this.env.setTimeout(() => {
			this.#timers.delete(id);
			fn();
		}, ms);
		this.#timers.add(id);
		return id;
	}

	#cancel(id) {
		if (this.#timers.delete(id))
			this.env.clearTimeout(id);
	}

	// ---- what the page reads ------------------------------------------------------------

	/**
	 * connecting, open, offline (reconnecting) or closed.
	 * @returns {"connecting" | "open" | "offline" | "closed"}
	 */
	get state() {
		return this.#state;
	}

	/** The id the server gave this connection in its welcome. */
	get connId() {
		return this.#connId;
	}

	/** The heartbeat in use (ms): the option until a welcome gives the server's. */
	get heartbeat() {
		return this.#core.transport.heartbeat;
	}

	/** The delay (ms) of the reconnect attempt scheduled last. */
	get nextRetry() {
		return this.#core.transport.nextRetry;
	}

	/** The resume token of the session, or null before the first welcome. */
	get session() {
		return this.#core.session.token;
	}

	/** Where delivery stands: the session, the last seq in and out, what waits. */
	get delivery() {
		return { ...this.#core.session.delivery, nextId: this.#core.calls.nextId,
		         queued: this.#core.calls.queued().length };
	}

	get disposed() {
		return this.#disposed;
	}

	get document() {
		return this.env.document;
	}

	/** The current execution mode. */
	get mode() {
		return this.#core.modes.mode;
	}

	/** The modes' command lists, by name. */
	get modes() {
		return this.#core.modes.modes;
	}

	/** The state lv.set_state sets. */
	get pageState() {
		return this.#core.modes.pageState;
	}

	get allowEval() {
		return !!(this.options.allowEval || page.allowEval);
	}

	set allowEval(v) {
		this.options.allowEval = !!v;
	}

	/** The command whitelist (shared by every connection of the page). */
	get commands() {
		return page.commands;
	}

	/** Changes options; url, base and path apply from the next socket on. */
	configure(options = {}) {
		const { texts, env, ...rest } = options;
		Object.assign(this.options, rest);
		if (texts) {
			Object.assign(this.options.texts, texts);
			this.#core.modes.defaults();
		}
		if (env)
			Object.assign(this.env, env);
		return this;
	}

	get httpBase() {
		if (typeof this.options.base === "string")
			return this.options.base.replace(/\/+$/, "");
		const loc = this.env.location;
		return loc && typeof loc.origin === "string" && loc.origin !== "null" ? loc.origin : "";
	}

	get url() {
		if (this.options.url)
			return this.options.url;
		const base = this.httpBase;
		if (/^https?:/.test(base))
			return base.replace(/^http/, "ws") + this.options.path;
		const loc = this.env.location;
		if (loc && loc.host)
			return `${loc.protocol === "https:" ? "wss:" : "ws:"}//${loc.host}${this.options.path}`;
		return `ws://localhost${this.options.path}`;
	}

	// ---- events -------------------------------------------------------------------------

	/**
	 * Listens to an event: ready, connect, disconnect, state, mode,
	 * upgrade_required, blocked, error, page_state, resync, or a custom
	 * event the server raises. A listener added after ready (or while
	 * connected) for "ready" (or "connect") is called at once: they are
	 * states as much as events. Returns a function that removes it.
	 */
	on(event, fn) {
		if (typeof fn !== "function")
			throw new TypeError(`lv.on('${event}'): the listener must be a function`);
		const core = this.#core;
		const set = core.events.add(event, fn);
		const ep = core.endpoints;
		if ((event === "ready" && ep.readyFired) || (event === "connect" && ep.connectEmitted))
			queueMicrotask(() => {
				if (set.has(fn) && (event === "ready" || ep.connectEmitted))
					core.events.call(fn, event === "ready" ? undefined : { conn: this.#connId });
			});
		return () => this.off(event, fn);
	}

	off(event, fn) {
		this.#core.events.remove(event, fn);
	}

	/** @param {"connecting" | "open" | "offline" | "closed"} s */
	#setState(s) {
		if (this.#state === s)
			return;
		this.#state = s;
		this.#core.events.emit("state", s);
	}

	#error(err) {
		if (!this.#core.events.emit("error", err))
			this.env.console.error(`lv: ${err.message}`);
	}

	// ---- the socket ---------------------------------------------------------------------

	/** Opens the socket (done by itself unless autoConnect is false). */
	open() {
		const core = this.#core;
		if (this.#disposed)
			throw new Error(`lv: the connection of ${this.module} was disposed; make another`);
		if (core.transport.active)
			return;
		core.terminal = null;
		core.upgrade = false;
		const failed = core.transport.open(this.url);
		this.#setState("connecting");
		if (failed)
			this.#onClose(1006, String(failed?.message ?? failed));
	}

	/** Closes for good (until open() is called again). */
	close() {
		const core = this.#core;
		core.terminal = { code: "unavailable", message: "the connection is closed" };
		core.transport.clearReconnect();
		if (core.transport.shut(1000))
			this.#onClose(1000, "closed by the page");
		else
			this.#finish();
	}

	/**
	 * Closes the socket for good and undoes everything this connection
	 * did to the page: its window and document listeners, its timers, its
	 * DOM bindings, its notifications, its place on the page (window.lv).
	 * Calls still waiting reject with "unavailable". Idempotent; a
	 * disposed connection cannot be opened again (make another).
	 */
	dispose() {
		if (this.#disposed)
			return;
		const core = this.#core;
		this.close();
		this.#disposed = true;
		for (const undo of this.#cleanups.splice(0))
			undo();
		for (const id of this.#timers)
			this.env.clearTimeout(id);
		this.#timers.clear();
		core.transport.stopHeartbeat();
		core.transport.clearReconnect();
		core.session.clearAck();
		core.binding.unbindAll();
		core.modes.removeNotes();
		core.modes.clear();
		core.endpoints.clear();
		page.remove(this);
		core.events.clear();
	}

	#connectNow() {
		this.#core.transport.clearReconnect();
		this.open();
	}

	#onOpen() {
		this.#core.transport.send(this.#core.session.hello());
	}

	#onMessage(data) {
		const core = this.#core;
		const console = this.env.console;
		if (typeof data !== "string") {
			console.error("lv: the server sent a binary frame; ignored");
			return;
		}
		let msg;
		try {
			msg = JSON.parse(data);
		} catch {
			console.error("lv: the server sent a frame that is not JSON; ignored");
			return;
		}
		if (!msg || typeof msg !== "object" || Array.isArray(msg)) {
			console.error("lv: the server sent JSON that is not an object; ignored");
			return;
		}
		if (Number.isInteger(msg.seq) && msg.t !== "ack" && !core.session.received(msg.seq, data.length))
			return;
		switch (msg.t) {
		case "ack":
			if (Number.isInteger(msg.seq))
				core.session.acked(msg.seq);
			return;
		case "welcome": return this.#onWelcome(msg);
		case "upgrade": return this.#onUpgrade(msg);
		case "ret": return core.calls.answered(msg);
		case "error": return core.calls.sendFailed(msg);
		case "ping": core.send({ t: "pong" }); return;
		case "pong": return;
		case "push": case "event": case "ccall": case "cmd": case "resync":
			core.endpoints.receive(msg, core.transport.gen);
			return;
		case "state": return core.states.receive(msg);
		case "model": return core.models.receive(msg);
		default:
			core.endpoints.warnOnce(`t:${msg.t}`, `lv: unknown message type '${msg.t}' from the server; ignored`);
		}
	}

	#onWelcome(msg) {
		const core = this.#core;
		core.session.welcome(msg);
		if (msg.resumed !== true) {
			core.states.newSession();
			core.models.newSession();
		}
		this.#connId = typeof msg.conn === "string" ? msg.conn : null;
		core.transport.welcomed(Number.isFinite(msg.heartbeat) && msg.heartbeat > 0 ? msg.heartbeat : this.options.heartbeat);
		this.#setState("open");
		if (core.modes.mode === OFFLINE)
			core.modes.switchMode(MAIN);
		core.calls.flush();
		core.endpoints.connected();
	}

	#onUpgrade(msg) {
		const core = this.#core;
		if (core.upgrade)
			return;
		core.upgrade = true;
		const detail = { schema: typeof msg.schema === "string" ? msg.schema : null, page: this.codec.hash };
		if (!core.events.emit("upgrade_required", detail))
			core.run([["lv.notify", this.options.texts.upgrade, { sticky: true, group: "lv.upgrade", level: "error" }]], "lv");
	}

	#onClose(code, reason) {
		const core = this.#core;
		core.transport.closed();
		core.session.clearAck();
		// With a session, calls in flight are answered after the resume.
		if (!core.session.token || code === 4426 || code === 1008)
			core.calls.failInflight((fn) => new LvError("unavailable", `${fn}: the connection closed before the answer`));
		if (!core.session.token)
			core.endpoints.dropHeldCalls();
		core.endpoints.disconnected(code, reason);
		if (code === 4426 || core.upgrade) {
			this.#onUpgrade({});
			core.terminal = { code: "upgrade_required", message: "the page must reload: its schema is not the server's" };
		} else if (code === 1008) {
			core.terminal = { code: "permission_denied", message: "the server refused the connection" };
			this.#error(new LvError("permission_denied", `${this.module}: the server refused the connection (1008)`));
		}
		if (core.terminal) {
			this.#finish();
			return;
		}
		this.#setState("offline");
		core.modes.switchMode(OFFLINE);
		core.calls.drainToHttp();
		core.transport.scheduleReconnect(() => this.open());
	}

	/* Closed for good: what waits for the socket fails now, and so do
	 * calls in flight (the session that would have answered them is over). */
	#finish() {
		this.#setState("closed");
		// Nothing reconnects now: the offline mode's "Reconnecting…" is not
		// true any more.
		this.#core.run([["lv.clear_notifications", { group: "lv.offline" }]], "lv");
		const { code, message } = this.#core.terminal;
		this.#core.calls.failAll(code, message);
	}

	// ---- calls --------------------------------------------------------------------------

	/**
	 * Calls a server.rpc: resolves with its result, checked against the
	 * schema, or rejects with an LvError. options: timeout (ms), signal.
	 */
	call(fn, args, options = {}) {
		return this.#core.calls.call(fn, args, options);
	}

	/**
	 * Sends to a server.realtime (fire-and-forget). While the socket is down
	 * the message waits, in order, in a bounded queue; a volatile endpoint
	 * keeps only its latest message. Returns whether it was sent or queued.
	 * Bad arguments throw an LvError.
	 */
	send(fn, args) {
		return this.#core.calls.send(fn, args);
	}

	// ---- handlers -----------------------------------------------------------------------

	/**
	 * Installs the page's handlers of client endpoints, by endpoint name:
	 * client.realtime and client.rpc handlers take the arguments in order
	 * (an rpc's may return a promise), client.on handlers likewise, and
	 * client.callback handlers (event, element) return the arguments to
	 * send or false. Other names are reported with console.warn and
	 * ignored; in a module namespace (import * as handlers), whose file may
	 * export helpers too, they are only listed with console.debug.
	 */
	register(handlers) {
		this.#core.endpoints.register(handlers);
	}

	// ---- states -------------------------------------------------------------------------

	/**
	 * The store of a declared state (for a group state, of that group):
	 * get() is the value (an immutable snapshot, null until the
	 * server's first), subscribe(fn) and subscribePath(path, fn) tell of
	 * changes; a state the page owns also takes set(path, value) and
	 * update(fn). See docs/runtime-js.md, "States". (conn.state is the
	 * connection's own: connecting, open, offline or closed.)
	 */
	store(name, group) {
		return this.#core.states.store(name, group);
	}

	/**
	 * The model binding `name` (client.model.NAME): its operations, those
	 * the schema lists, as promises; subscribe gives a live result.
	 */
	model(name) {
		return this.#core.models.binding(name);
	}

	/** Sends what the page changed in its own state name now (flush: manual). */
	flushState(name) {
		this.#core.states.flush(name);
	}

	// ---- commands and modes -------------------------------------------------------------

	/** Runs client commands ([NAME, ARG..., {KWARGS}]) as the page. */
	run(cmds) {
		this.#core.run(cmds, "page");
	}

	/** Sets keys of the page's state (null deletes one); emits page_state. */
	setState(patch) {
		this.#core.modes.setState(patch);
	}

	/** Replaces the enter and/or exit command lists of a mode. */
	setMode(name, lists) {
		this.#core.modes.setMode(name, lists);
	}

	/** Leaves the current mode (its exit commands) for another (its enter commands). */
	switchMode(name) {
		this.#core.modes.switchMode(name);
	}

	/** Shows a notification; see the lv.notify command for kwargs. */
	notify(message, kwargs) {
		return this.#core.modes.notify(message, kwargs);
	}

	clearNotifications(group) {
		this.#core.modes.clearNotifications(group);
	}

	// ---- concurrency groups -------------------------------------------------------------

	/** Blocks concurrency groups ("*": all) as the page; see lv.block. */
	block(...groups) {
		this.#core.binding.blockGroups(groups.length ? groups : ["*"], "page");
	}

	release(...groups) {
		this.#core.binding.releaseGroups(groups.length ? groups : ["*"], "page");
	}

	/** Is input to this group held back? */
	isBlocked(group) {
		return this.#core.binding.isBlocked(group);
	}

	// ---- callbacks and DOM binding ------------------------------------------------------

	/** The Callback object of a client.callback; throws for any other name. */
	callback(name) {
		return this.#core.binding.callback(name);
	}

	/**
	 * Binds a callback to an element: bind(element, callback) uses the
	 * callback's declared event, bind(element, "input", callback) another.
	 * callback is a Callback or the name of a client.callback; anything else
	 * throws. Returns a function that unbinds. Binding twice is one binding.
	 */
	bind(element, eventName, callback) {
		if (callback === undefined) {
			// bind(element, callback), the callback as an object or a name
			callback = eventName;
			eventName = undefined;
		}
		return this.#core.binding.bind(element, eventName, callback);
	}

	/**
	 * Binds every data-lv-on-EVENT="NAME [NAME...]" under root (the document
	 * by default; root itself included). A NAME may be qualified with its
	 * module (chat.send_clicked) when a page has several. Names that are no
	 * client.callback of any connection of the page are reported together
	 * in one Error, after the others are bound. Returns how many bindings
	 * were made or found.
	 */
	scan(root = this.document) {
		if (!root)
			return 0;
		const others = page.connections.filter((c) => c !== this).map((c) => cores.get(c));
		return this.#core.binding.scan(root, [this.#core, ...others]);
	}

	/**
	 * Reads the named arguments from the page (see readArgs in dom.js),
	 * coerced to the parameter types of the callback being sent (or of
	 * callback fn, or of the first callback with all these parameters).
	 * A value that does not coerce throws LvError invalid_argument.
	 */
	argsFrom(element, names, fn) {
		return this.#core.binding.argsFrom(element, names, fn);
	}
}

/** A connection of its own, outside the page's registry (tests, tools). */
export function createConnection(schema, options) {
	return new Connection(schema, options);
}
