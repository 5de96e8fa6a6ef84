// lv.js - the browser runtime of lv: one WebSocket per page to the lv server,
// carrying the typed calls of the modules lvc generates (NAME.lv.js). The
// wire contract is docs/protocol.md; the commands, modes, events and
// options are described in runtime/js/README.md.
//
//     import { connect } from "./lv.js";
//     const lv = connect(schema);          // what NAME.lv.js does
//     await lv.call("join", { room: "lobby" });
import { BUILTINS, Commands, runCommands } from "./commands.js";
import { CodecError, compileSchema, decode, decodeArgs, encode, encodeArgs, positional } from "./codec.js";
import { Notifier, readArgs, whenDomReady } from "./dom.js";
import { LvError } from "./errors.js";

export { LvError };
export const VERSION = "0.1.0";

export const MAIN = "MAIN";
export const OFFLINE = "OFFLINE";
export const SERVER_ERROR_500 = "SERVER_ERROR_500";

const CLIENT_KINDS = new Set(["client.realtime", "client.rpc", "client.callback", "client.on"]);

export const DEFAULTS = Object.freeze({
	timeout: 30000,        // ms a call waits for its answer, unless the endpoint says
	maxQueue: 1000,        // messages held while the socket is down
	maxWaiting: 100,       // callbacks waiting for their turn in one serial group
	backoffBase: 250,      // ms: reconnect delays are random in [0, min(cap, base * 2^n))
	backoffCap: 10000,
	heartbeat: 25000,      // ms, until the welcome says otherwise
	path: "/lv/ws",
	allowEval: false,
	autoConnect: true,
	scan: true,            // bind data-lv-on-* attributes when the DOM is ready
	// Keep the session in sessionStorage so that a reload resumes it. Off by
	// default: the page then closes its socket so that the server keeps the
	// session, and a tab that closes for good stays "connected" (no
	// disconnect handler, its presence kept) until the resume window ends.
	persist: false,
});

export const TEXTS = Object.freeze({
	offline: "Connection lost. Reconnecting\u2026",
	blocked: "Busy: please wait\u2026",
	offlineBlocked: "Not connected: this cannot be done until the connection is back.",
	serverError: "The server had a problem with that request.",
	upgrade: "This page is out of date: reload it to continue.",
});

/** The delay before reconnect attempt n (0-based): full jitter, capped. */
export function backoffDelay(attempt, base = DEFAULTS.backoffBase, cap = DEFAULTS.backoffCap,
                             random = Math.random) {
	const ceiling = Math.min(cap, base * 2 ** Math.min(attempt, 30));
	return Math.floor(random() * ceiling);
}

/* The page's sessionStorage; reading it throws where storage is denied. */
function sessionStorageOf(g) {
	try {
		return g.sessionStorage || undefined;
	} catch {
		return undefined;
	}
}

function defaultEnv() {
	const g = globalThis;
	return {
		WebSocket: g.WebSocket,
		fetch: typeof g.fetch === "function" ? g.fetch.bind(g) : undefined,
		setTimeout: (fn, ms) => g.setTimeout(fn, ms),
		clearTimeout: (t) => g.clearTimeout(t),
		now: () => Date.now(),
		random: () => Math.random(),
		window: g.window,
		document: g.document,
		location: g.location,
		console: g.console,
		sessionStorage: sessionStorageOf(g),
	};
}

function codecError(fn, e, code = "invalid_argument", prefix = "") {
	if (!(e instanceof CodecError))
		return e;
	const path = prefix ? prefix + (e.path && !e.path.startsWith("[") ? "." : "") + e.path : e.path;
	return new LvError(code, path ? `${fn}: ${path}: ${e.message}` : `${fn}: ${e.message}`, path);
}

/* Is saved a session snapshot this schema can resume (see _snapshot)? */
function validSnapshot(saved, hash) {
	const count = (n) => Number.isSafeInteger(n) && n >= 0;
	if (!saved || typeof saved !== "object" || saved.v !== 1 || saved.hash !== hash ||
	    typeof saved.session !== "string" || !/^[0-9A-Za-z]{1,128}$/.test(saved.session) ||
	    !count(saved.lastIn) || !count(saved.outSeq) || !count(saved.nextId) ||
	    !Array.isArray(saved.unacked))
		return false;
	let prev = 0;
	for (const m of saved.unacked) {
		if (!m || typeof m !== "object" || !["call", "send", "cret"].includes(m.t) ||
		    !Number.isSafeInteger(m.seq) || m.seq <= prev || m.seq > saved.outSeq)
			return false;
		prev = m.seq;
	}
	return true;
}

function describe(el) {
	if (!el || !el.nodeName)
		return String(el);
	let s = el.nodeName.toLowerCase();
	if (el.id)
		s += `#${el.id}`;
	return `<${s}>`;
}

// ---- the page ------------------------------------------------------------------------

/**
 * What a page has once, whatever the number of schemas: the command
 * whitelist, the allowEval switch, listeners for every connection, and a
 * scan over all of them. It is window.lv for pages without modules.
 */
class Page {
	constructor() {
		this.version = VERSION;
		this.connections = [];
		this.commands = new Commands(BUILTINS);
		this.allowEval = false;
		this._listeners = [];
		this._byKey = new Map();
	}

	/** Listens to an event of every connection, present and future. */
	on(event, fn) {
		this._listeners.push([event, fn]);
		for (const c of this.connections)
			c.on(event, fn);
		return () => this.off(event, fn);
	}

	off(event, fn) {
		this._listeners = this._listeners.filter(([e, f]) => !(e === event && f === fn));
		for (const c of this.connections)
			c.off(event, fn);
	}

	/** Binds data-lv-on-* attributes under root; see Connection.scan. */
	scan(root) {
		const c = this.connections[0];
		if (!c)
			throw new Error("lv.scan: no connection yet (import the module lvc generated first)");
		return c.scan(root);
	}

	/** Binds a callback (object or name) to an element's event. */
	bind(element, eventName, callback) {
		if (callback === undefined) {
			callback = eventName;
			eventName = undefined;
		}
		const c = callback instanceof Callback ? callback.connection
			: this.connections.find((x) => x._callbackEndpoint(String(callback))) || this.connections[0];
		if (!c)
			throw new Error("lv.bind: no connection yet");
		return c.bind(element, eventName, callback);
	}

	/** Shows a notification (see the lv.notify command). */
	notify(message, kwargs) {
		return this.connections[0]?.notify(message, kwargs) ?? null;
	}

	_add(conn) {
		this.connections.push(conn);
		for (const [e, f] of this._listeners)
			conn.on(e, f);
	}
}

export const page = new Page();
if (typeof window !== "undefined" && (globalThis.lv === undefined || globalThis.lv instanceof Page))
	globalThis.lv = page;

// ---- callbacks ------------------------------------------------------------------------------

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

// ---- the connection ------------------------------------------------------------------------

export class Connection {
	/**
	 * @param {object} schema the schema lvc wrote into NAME.lv.js
	 * @param {object} [options] see DEFAULTS; also url, base, texts, env
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

		this.state = this.options.autoConnect ? "connecting" : "closed";
		this.connId = null;
		this.heartbeat = this.options.heartbeat;
		this.pageState = {};
		this.mode = MAIN;
		this.modes = new Map([[MAIN, { enter: [], exit: [] }]]);
		this._defaultModes();

		this._ws = null;
		this._gen = 0;
		this._attempt = 0;
		this._reconnectTimer = null;
		this._hbTimer = null;
		this._lastRecv = 0;
		this._pingSent = false;
		this._terminal = null;         // {code, message} once closed for good
		this._upgrade = false;
		this._nextId = 0;
		this._inflight = new Map();    // call id -> request
		// Delivery (docs/protocol.md, "Sessions"): reliable messages are
		// numbered, kept until acked, resent after a resume; repeats from
		// the server are dropped.
		this._session = null;          // the resume token
		this._lastIn = 0;              // last server seq processed
		this._outSeq = 0;              // last seq given to a message of ours
		this._unacked = [];            // our reliable messages, oldest first
		this._ackTimer = null;
		this._queue = [];              // {kind: "call", req} | {kind: "send", fn, msg, volatile}
		this._listeners = new Map();
		this._handlers = new Map();
		this._callbacks = new Map();
		this._bound = new WeakMap();   // element -> Map("event name" -> unbind)
		this._debounce = new WeakMap();
		this._groups = new Map();
		this._blockers = new Map();    // group -> Set of tokens
		this._warned = new Set();
		this._inbox = [];              // server messages held until ready
		this._backlog = [];            // commands held until the DOM is ready
		this._current = null;          // the callback whose arguments are being built

		this._domReady = false;
		this._pageTurn = false;
		this._registered = false;
		this._readyFired = false;
		this._connectEmitted = false;

		this._lifecycle = new Map();   // "ready" -> endpoint name
		this._custom = new Map();      // custom event -> endpoint
		for (const ep of this.codec.endpoints.values())
			if (ep.kind === "client.on")
				(ep.lifecycle ? this._lifecycle : this._custom).set(ep.event, ep);

		// A session the previous page of this tab left (see _onPageHide).
		this._storageKey = `lv.session.${this.module}`;
		this._suspended = null;        // the snapshot's mark while the page is hidden
		this._handed = null;           // the queued items that snapshot carries
		this._restoreSession();

		whenDomReady(this.document, () => this._onDomReady());
		const win = env.window;
		if (win && typeof win.addEventListener === "function") {
			win.addEventListener("online", () => {
				if (this.state === "offline")
					this._connectNow();
			});
			win.addEventListener("pagehide", () => this._onPageHide());
			win.addEventListener("pageshow", (e) => this._onPageShow(e));
		}
		if (this.options.autoConnect)
			env.setTimeout(() => {
				if (this.state === "connecting" && !this._ws && !this._terminal)
					this.open();
			}, 0);
	}

	get document() {
		return this.env.document;
	}

	/* OFFLINE: a sticky notification and every group blocked, undone on
	 * exit. SERVER_ERROR_500: a sticky error notification. Only the lists
	 * the page has not replaced are (re)made, with the current texts. */
	_defaultModes() {
		const t = this.options.texts;
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
		this._stock = this._stock || new Map();
		for (const [name, lists] of Object.entries(defaults)) {
			const m = this.modes.get(name) || { enter: null, exit: null };
			const stock = this._stock.get(name) || {};
			if (!m.enter || m.enter === stock.enter)
				m.enter = lists.enter;
			if (!m.exit || m.exit === stock.exit)
				m.exit = lists.exit;
			this._stock.set(name, { enter: lists.enter, exit: lists.exit });
			this.modes.set(name, m);
		}
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
			this._defaultModes();
		}
		if (env)
			Object.assign(this.env, env);
		return this;
	}

	// ---- URLs ------------------------------------------------------------------------------

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

	// ---- events ------------------------------------------------------------------------------

	/**
	 * Listens to an event: ready, connect, disconnect, state, mode,
	 * upgrade_required, blocked, error, page_state, or a custom event the
	 * server raises. A listener added after ready (or while connected) for
	 * "ready" (or "connect") is called at once: they are states as much as
	 * events. Returns a function that removes the listener.
	 */
	on(event, fn) {
		if (typeof fn !== "function")
			throw new TypeError(`lv.on('${event}'): the listener must be a function`);
		let set = this._listeners.get(event);
		if (!set)
			this._listeners.set(event, (set = new Set()));
		set.add(fn);
		const catchUp = (event === "ready" && this._readyFired) ||
		                (event === "connect" && this._connectEmitted);
		if (catchUp)
			queueMicrotask(() => {
				if (set.has(fn) && (event === "ready" || this._connectEmitted))
					this._call(fn, event === "ready" ? undefined : { conn: this.connId });
			});
		return () => this.off(event, fn);
	}

	off(event, fn) {
		this._listeners.get(event)?.delete(fn);
	}

	/* Calls the listeners; returns whether there were any. */
	_emit(event, detail) {
		const set = this._listeners.get(event);
		if (!set || set.size === 0)
			return false;
		for (const fn of [...set])
			this._call(fn, detail);
		return true;
	}

	_call(fn, ...args) {
		try {
			const r = fn(...args);
			if (r && typeof r.then === "function")
				r.then(undefined, (e) => this.env.console.error("lv: a handler failed:", e));
		} catch (e) {
			this.env.console.error("lv: a handler failed:", e);
		}
	}

	_emitLifecycle(event, detail) {
		const ep = this._lifecycle.get(event);
		const h = ep && this._handlers.get(ep.name);
		if (h)
			this._call(h);
		this._emit(event, detail);
	}

	_setState(s) {
		if (this.state === s)
			return;
		this.state = s;
		this._emit("state", s);
	}

	_error(err) {
		if (!this._emit("error", err))
			this.env.console.error(`lv: ${err.message}`);
	}

	_warnOnce(key, msg) {
		if (this._warned.has(key))
			return;
		this._warned.add(key);
		this.env.console.warn(msg);
	}

	// ---- ready and connect --------------------------------------------------------------------

	_onDomReady() {
		this._domReady = true;
		const backlog = this._backlog;
		this._backlog = [];
		for (const [cmds, source] of backlog)
			this._run(cmds, source);
		this._maybeReady();
		this.env.setTimeout(() => {
			this._pageTurn = true;
			this._maybeReady();
		}, 0);
	}

	/* ready: once the DOM is ready and the page has registered its handlers,
	 * or has had a turn to (a task after DOM ready). connect: after every
	 * welcome, never before ready. Server messages wait for ready. */
	_maybeReady() {
		if (this._readyFired || !this._domReady || !(this._registered || this._pageTurn))
			return;
		this._readyFired = true;
		if (this.options.scan && this.document) {
			try {
				this.scan(this.document);
			} catch (e) {
				this.env.console.error(e.message);
			}
		}
		this._emitLifecycle("ready");
		if (this.state === "open" && !this._connectEmitted)
			this._emitConnect();
		const inbox = this._inbox;
		this._inbox = [];
		for (const [msg, gen] of inbox)
			this._dispatch(msg, gen);
	}

	_emitConnect() {
		this._connectEmitted = true;
		this._emitLifecycle("connect", { conn: this.connId });
	}

	// ---- handlers --------------------------------------------------------------------------------

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
		if (!handlers || (typeof handlers !== "object" && typeof handlers !== "function"))
			throw new TypeError("lv.register: expected an object of handlers by endpoint name");
		const namespace = handlers[Symbol.toStringTag] === "Module";
		const others = [];
		for (const key of Object.keys(handlers)) {
			const fn = handlers[key];
			const ep = this.codec.endpoints.get(key);
			if (!ep || !CLIENT_KINDS.has(ep.kind)) {
				if (namespace)
					others.push(key);
				else
					this.env.console.warn(`lv.register: '${key}' is not a client endpoint of ${this.module} ` +
					                      `(${ep ? `it is a ${ep.kind}` : "no such endpoint"}); ignored`);
				continue;
			}
			if (typeof fn !== "function") {
				this.env.console.warn(`lv.register: the handler for '${key}' is not a function; ignored`);
				continue;
			}
			const prev = this._handlers.get(key);
			this._handlers.set(key, fn);
			if (ep.kind === "client.on" && ep.lifecycle && fn !== prev) {
				if ((ep.event === "ready" && this._readyFired) || (ep.event === "connect" && this._connectEmitted))
					queueMicrotask(() => {
						if (this._handlers.get(key) === fn)
							this._call(fn);
					});
			}
		}
		if (others.length && typeof this.env.console.debug === "function")
			this.env.console.debug(`lv.register: exports that are not client endpoints of ${this.module}, ` +
			                       `left alone: ${others.join(", ")}`);
		this._registered = true;
		queueMicrotask(() => this._maybeReady());
	}

	// ---- the socket --------------------------------------------------------------------------------

	/** Opens the socket (done by itself unless autoConnect is false). */
	open() {
		if (this._ws)
			return;
		this._terminal = null;
		this._upgrade = false;
		this._clearReconnect();
		const gen = ++this._gen;
		let ws;
		try {
			ws = new this.env.WebSocket(this.url);
		} catch (e) {
			this.env.console.error(`lv: cannot open ${this.url}:`, e);
			this._setState("connecting");
			this._onClose(1006, String(e?.message ?? e));
			return;
		}
		this._ws = ws;
		this._setState("connecting");
		ws.onopen = () => gen === this._gen && this._onOpen();
		ws.onmessage = (e) => gen === this._gen && this._onMessage(e.data);
		ws.onclose = (e) => gen === this._gen && this._onClose(e.code, e.reason);
		ws.onerror = () => {};
	}

	/** Closes for good (until open() is called again). */
	close() {
		this._terminal = { code: "unavailable", message: "the connection is closed" };
		this._clearReconnect();
		const ws = this._ws;
		if (ws) {
			this._gen++;
			try {
				ws.close(1000);
			} catch {
				// already closing
			}
			this._onClose(1000, "closed by the page");
		} else {
			this._finish();
		}
	}

	_connectNow() {
		this._clearReconnect();
		this.open();
	}

	_clearReconnect() {
		if (this._reconnectTimer !== null) {
			this.env.clearTimeout(this._reconnectTimer);
			this._reconnectTimer = null;
		}
	}

	/* Is msg one the protocol numbers (and so keeps until acked)? */
	_isReliable(msg) {
		if (msg.t === "call" || msg.t === "cret")
			return true;
		if (msg.t !== "send")
			return false;
		const ep = this.schema && this.schema.endpoints && this.schema.endpoints[msg.fn];
		return !(ep && ep.volatile);
	}

	_send(msg) {
		if (this._session && msg.seq === undefined && this._isReliable(msg)) {
			msg.seq = ++this._outSeq;
			this._unacked.push(msg);
		}
		try {
			this._ws.send(JSON.stringify(msg));
			return true;
		} catch (e) {
			this.env.console.error("lv: cannot send:", e);
			return false;
		}
	}

	_onOpen() {
		this._lastRecv = this.env.now();
		this._pingSent = false;
		const hello = { t: "hello", app: this.module, schema: this.codec.hash };
		if (this._session)
			hello.resume = { session: this._session, last: this._lastIn };
		this._send(hello);
		this._scheduleHeartbeat(this.options.heartbeat);
	}

	_onMessage(data) {
		this._lastRecv = this.env.now();
		this._pingSent = false;
		if (typeof data !== "string") {
			this.env.console.error("lv: the server sent a binary frame; ignored");
			return;
		}
		let msg;
		try {
			msg = JSON.parse(data);
		} catch {
			this.env.console.error("lv: the server sent a frame that is not JSON; ignored");
			return;
		}
		if (!msg || typeof msg !== "object" || Array.isArray(msg)) {
			this.env.console.error("lv: the server sent JSON that is not an object; ignored");
			return;
		}
		if (Number.isInteger(msg.seq) && msg.t !== "ack") {
			// Each numbered message once, in order; acks go out in batches.
			if (msg.seq <= this._lastIn)
				return;
			this._lastIn = msg.seq;
			if (this._ackTimer === null)
				this._ackTimer = this.env.setTimeout(() => this._sendAck(), 20);
		}
		switch (msg.t) {
		case "ack":
			if (Number.isInteger(msg.seq))
				this._unacked = this._unacked.filter((m) => m.seq > msg.seq);
			return;
		case "welcome": return this._onWelcome(msg);
		case "upgrade": return this._onUpgrade(msg);
		case "ret": return this._onRet(msg);
		case "error": return this._onSendError(msg);
		case "ping": this._send({ t: "pong" }); return;
		case "pong": return;
		case "push": case "event": case "ccall": case "cmd":
			if (this._readyFired)
				this._dispatch(msg, this._gen);
			else
				this._inbox.push([msg, this._gen]);
			return;
		default:
			this._warnOnce(`t:${msg.t}`, `lv: unknown message type '${msg.t}' from the server; ignored`);
		}
	}

	_sendAck() {
		this._ackTimer = null;
		if (this._ws && this.state === "open")
			this._send({ t: "ack", seq: this._lastIn });
	}

	/* The session: a resume replays both ways; a new one after an old
	 * means what was in flight is lost, and the page is told (resync). */
	_onSession(msg) {
		const had = this._session;
		if (msg.resumed === true && had) {
			const last = Number.isInteger(msg.last) ? msg.last : 0;
			this._unacked = this._unacked.filter((m) => m.seq > last);
			for (const m of this._unacked)
				this._ws.send(JSON.stringify(m));
			return;
		}
		this._session = typeof msg.session === "string" ? msg.session : null;
		this._lastIn = 0;
		this._outSeq = 0;
		const lost = this._unacked;
		this._unacked = [];
		if (had) {
			for (const req of [...this._inflight.values()])
				req.settle(false, new LvError("unavailable", `${req.fn}: the session was lost before the answer`));
			this._emit("resync", { reason: typeof msg.resync === "string" ? msg.resync : "unknown",
			                       lost: lost.length });
		}
	}

	// ---- the session across a reload ------------------------------------------------------

	_storage() {
		return this.options.persist ? this.env.sessionStorage : undefined;
	}

	/* Takes over the session the previous page of this tab saved as it
	 * went: the first hello resumes it, and what that page had not seen
	 * acknowledged is resent. The entry is removed, so that one page
	 * resumes it, never two. */
	_restoreSession() {
		const store = this._storage();
		if (!store)
			return;
		let saved;
		try {
			const text = store.getItem(this._storageKey);
			if (text === null || text === undefined)
				return;
			store.removeItem(this._storageKey);
			saved = JSON.parse(text);
		} catch (e) {
			this.env.console.warn("lv: the saved session cannot be read; starting a new one:", e);
			return;
		}
		if (!validSnapshot(saved, this.codec.hash))
			return;
		this._session = saved.session;
		this._lastIn = saved.lastIn;
		this._outSeq = saved.outSeq;
		this._nextId = saved.nextId;   // a replayed answer never meets a new call of the same id
		this._unacked = saved.unacked;
	}

	/* What the next page needs to resume: the session, the last message
	 * processed (one held for ready is not), and every reliable message
	 * not known to have arrived, those still queued for the socket
	 * numbered after them as if sent on a socket that died. */
	_snapshot() {
		let seq = this._outSeq;
		let id = this._nextId;
		const unacked = this._unacked.slice();
		this._handed = new Set();      // the queued items the snapshot carries
		for (const item of this._queue) {
			if (item.kind === "call") {
				if (!item.req.done)
					unacked.push({ t: "call", id: ++id, fn: item.req.fn, args: item.req.wire, seq: ++seq });
			} else if (!item.volatile) {
				unacked.push({ ...item.msg, seq: ++seq });
			}
			this._handed.add(item);
		}
		const held = this._inbox.find(([m]) => Number.isInteger(m.seq));
		const lastIn = held ? Math.min(this._lastIn, held[0].seq - 1) : this._lastIn;
		const mark = `${this.env.now()}.${Math.floor(this.env.random() * 1e9)}`;
		return { v: 1, hash: this.codec.hash, mark, session: this._session, lastIn,
		         outSeq: seq, nextId: id, unacked };
	}

	/* The page goes (reload, navigation, or into the back-forward cache):
	 * its session is saved for the next page of the tab, and the socket
	 * closed with a code that keeps it on the server (the browser would
	 * close it with 1001, which ends it). */
	_onPageHide() {
		const store = this._storage();
		if (!store || this._suspended)
			return;
		let snap = null;
		try {
			if (this._session && !this._terminal) {
				snap = this._snapshot();
				store.setItem(this._storageKey, JSON.stringify(snap));
			} else {
				store.removeItem(this._storageKey);
			}
		} catch (e) {
			this.env.console.warn("lv: the session cannot be saved for the next page:", e);
			return;
		}
		if (!snap)
			return;
		this._suspended = snap.mark;
		this._clearReconnect();
		this._stopHeartbeat();
		if (this._ackTimer !== null) {
			this.env.clearTimeout(this._ackTimer);
			this._ackTimer = null;
		}
		const ws = this._ws;
		this._ws = null;
		this._gen++;
		if (ws) {
			try {
				ws.close(4001, "page hidden; the next page resumes");
			} catch {
				// closing already
			}
		}
		if (this._connectEmitted) {
			this._connectEmitted = false;
			this._emitLifecycle("disconnect", { code: 4001, reason: "page hidden" });
		}
		this._setState("offline");
	}

	/* Back from the back-forward cache: the page goes on with its session,
	 * unless another page of the tab took it over meanwhile; then what the
	 * snapshot carried is that page's, and this one starts afresh. */
	_onPageShow(e) {
		const mark = this._suspended;
		if (!mark || (e && e.persisted === false))
			return;
		this._suspended = null;
		const handed = this._handed;
		this._handed = null;
		let mine = false;
		try {
			const store = this._storage();
			const text = store && store.getItem(this._storageKey);
			if (text) {
				const saved = JSON.parse(text);
				mine = !!saved && saved.mark === mark;
				if (mine)
					store.removeItem(this._storageKey);
			}
		} catch {
			mine = false;
		}
		if (!mine && this._session) {
			const lost = this._unacked.length;
			this._session = null;
			this._lastIn = 0;
			this._outSeq = 0;
			this._unacked = [];
			for (const req of [...this._inflight.values()])
				req.settle(false, new LvError("unavailable", `${req.fn}: the session went to another page of this tab`));
			// what was queued when the page went, the other page has sent
			for (const item of this._queue.filter((q) => handed && handed.has(q) && !q.volatile)) {
				if (item.kind === "call")
					item.req.settle(false, new LvError("unavailable", `${item.req.fn}: sent by another page of this tab`));
				else
					this._queue.splice(this._queue.indexOf(item), 1);
			}
			this._emit("resync", { reason: "unknown", lost });
		}
		if (!this._terminal)
			this._connectNow();
	}

	_onWelcome(msg) {
		this._onSession(msg);
		this.connId = typeof msg.conn === "string" ? msg.conn : null;
		this.heartbeat = Number.isFinite(msg.heartbeat) && msg.heartbeat > 0 ? msg.heartbeat : this.options.heartbeat;
		this._attempt = 0;
		this._setState("open");
		this._scheduleHeartbeat(this.heartbeat);
		if (this.mode === OFFLINE)
			this.switchMode(MAIN);
		const queue = this._queue;
		this._queue = [];
		for (const item of queue) {
			if (item.kind === "call") {
				if (!item.req.done)
					this._sendCall(item.req);
			} else {
				this._send(item.msg);
			}
		}
		if (this._readyFired)
			this._emitConnect();
	}

	_onUpgrade(msg) {
		if (this._upgrade)
			return;
		this._upgrade = true;
		const detail = { schema: typeof msg.schema === "string" ? msg.schema : null, page: this.codec.hash };
		if (!this._emit("upgrade_required", detail))
			this._run([["lv.notify", this.options.texts.upgrade, { sticky: true, group: "lv.upgrade", level: "error" }]], "lv");
	}

	_onClose(code, reason) {
		this._stopHeartbeat();
		this._ws = null;
		this._gen++;
		if (this._ackTimer !== null) {
			this.env.clearTimeout(this._ackTimer);
			this._ackTimer = null;
		}
		// With a session, calls in flight are answered after the resume.
		if (!this._session || code === 4426 || code === 1008)
			for (const req of [...this._inflight.values()])
				req.settle(false, new LvError("unavailable", `${req.fn}: the connection closed before the answer`));
		if (!this._session)
			this._inbox = this._inbox.filter(([m]) => m.t !== "ccall");
		if (this._connectEmitted) {
			this._connectEmitted = false;
			this._emitLifecycle("disconnect", { code, reason: reason || "" });
		}
		if (code === 4426 || this._upgrade) {
			this._onUpgrade({});
			this._terminal = { code: "upgrade_required", message: "the page must reload: its schema is not the server's" };
		} else if (code === 1008) {
			this._terminal = { code: "permission_denied", message: "the server refused the connection" };
			this._error(new LvError("permission_denied", `${this.module}: the server refused the connection (1008)`));
		}
		if (this._terminal) {
			this._finish();
			return;
		}
		this._setState("offline");
		this.switchMode(OFFLINE);
		this._drainToHttp();
		const delay = backoffDelay(this._attempt++, this.options.backoffBase, this.options.backoffCap, this.env.random);
		this.nextRetry = delay;
		this._reconnectTimer = this.env.setTimeout(() => {
			this._reconnectTimer = null;
			this.open();
		}, delay);
	}

	/* Closed for good: what waits for the socket fails now, and so do
	 * calls in flight (the session that would have answered them is over). */
	_finish() {
		this._setState("closed");
		const { code, message } = this._terminal;
		for (const req of [...this._inflight.values()])
			req.settle(false, new LvError(code, `${req.fn}: ${message}`));
		const queue = this._queue;
		this._queue = [];
		for (const item of queue) {
			if (item.kind === "call")
				item.req.settle(false, new LvError(code, `${item.req.fn}: ${message}`));
			else if (!item.volatile)
				this._error(new LvError(code, `${item.fn}: ${message}; message dropped`));
		}
	}

	// ---- heartbeat ----------------------------------------------------------------------------------

	_scheduleHeartbeat(ms) {
		this._stopHeartbeat();
		this._hbTimer = this.env.setTimeout(() => this._beat(), ms);
	}

	_stopHeartbeat() {
		if (this._hbTimer !== null) {
			this.env.clearTimeout(this._hbTimer);
			this._hbTimer = null;
		}
	}

	/* Ping after a heartbeat of silence; give up after another. */
	_beat() {
		this._hbTimer = null;
		if (!this._ws)
			return;
		const hb = this.heartbeat;
		const idle = this.env.now() - this._lastRecv;
		if (idle >= 2 * hb) {
			const ws = this._ws;
			this._gen++;
			try {
				ws.close(4000, "no answer to ping; resuming");   // not 1000/1001: the session stays
			} catch {
				// a dead link may refuse even this
			}
			this._onClose(1006, "no answer to ping");
			return;
		}
		if (idle >= hb) {
			if (!this._pingSent) {
				this._pingSent = true;
				this._send({ t: "ping" });
			}
			this._hbTimer = this.env.setTimeout(() => this._beat(), 2 * hb - idle);
			return;
		}
		this._hbTimer = this.env.setTimeout(() => this._beat(), hb - idle);
	}

	// ---- calls ------------------------------------------------------------------------------------

	_endpoint(fn, kind, what) {
		const ep = this.codec.endpoints.get(fn);
		if (!ep || ep.kind !== kind)
			throw new LvError("not_found", `${fn}: ${what}: ${this.module} has no ${kind} '${fn}'` +
			                  (ep ? ` (it is a ${ep.kind})` : ""));
		return ep;
	}

	/**
	 * Calls a server.rpc: resolves with its result, checked against the
	 * schema, or rejects with an LvError. options: timeout (ms), signal.
	 */
	call(fn, args, options = {}) {
		let ep, wire;
		try {
			ep = this._endpoint(fn, "server.rpc", "call");
			wire = encodeArgs(ep, args);
		} catch (e) {
			return Promise.reject(codecError(fn, e));
		}
		return this._request(ep, wire, options || {}).then((answer) => this._settle(ep, answer));
	}

	/* Runs an answer's commands, then gives its value or throws its error. */
	_settle(ep, answer) {
		this._run(answer.cmds, "server");
		if (answer.ok) {
			if (this.mode === SERVER_ERROR_500)
				this.switchMode(MAIN);
			if (!ep.resultType)
				return undefined;
			try {
				return decode(ep.resultType, answer.value === undefined ? null : answer.value);
			} catch (e) {
				throw codecError(ep.name, e, "internal", "result");
			}
		}
		const err = LvError.fromWire(answer.error, ep.name);
		if (err.code === "internal" && this.mode === MAIN)
			this.switchMode(SERVER_ERROR_500);
		throw err;
	}

	/* Sends a call (now, later, or over HTTP) and resolves with its raw
	 * answer {ok, value, error, cmds}; rejects on timeout, abort or a lost
	 * connection. */
	_request(ep, wire, options) {
		return new Promise((resolve, reject) => {
			const fn = ep.name;
			const timeout = options.timeout ?? ep.timeout ?? this.options.timeout;
			const signal = options.signal;
			const req = { fn, ep, wire, id: 0, done: false, timer: null, onAbort: null, http: null };
			req.settle = (ok, v) => {
				if (req.done)
					return;
				req.done = true;
				if (req.timer !== null)
					this.env.clearTimeout(req.timer);
				if (signal && req.onAbort)
					signal.removeEventListener("abort", req.onAbort);
				if (req.id)
					this._inflight.delete(req.id);
				const i = this._queue.findIndex((q) => q.req === req);
				if (i >= 0)
					this._queue.splice(i, 1);
				if (ok)
					resolve(v);
				else
					reject(v);
			};
			if (signal) {
				const cancelled = () => new LvError("cancelled", `${fn}: cancelled`, "", { cause: signal.reason });
				if (signal.aborted)
					return req.settle(false, cancelled());
				req.onAbort = () => {
					req.http?.abort();
					req.settle(false, cancelled());
				};
				signal.addEventListener("abort", req.onAbort, { once: true });
			}
			if (timeout > 0 && Number.isFinite(timeout))
				req.timer = this.env.setTimeout(() => {
					req.http?.abort();
					req.settle(false, new LvError("deadline_exceeded", `${fn}: no answer within ${timeout} ms`));
				}, timeout);
			if (this.state === "open" && this._ws)
				this._sendCall(req);
			else if (this._terminal)
				req.settle(false, new LvError(this._terminal.code, `${fn}: ${this._terminal.message}`));
			else if (ep.http && this.state === "offline" && this.env.fetch)
				this._httpCall(req);
			else if (this._makeRoom())
				this._queue.push({ kind: "call", req });
			else
				req.settle(false, new LvError("resource_exhausted",
				                              `${fn}: the send queue is full (${this.options.maxQueue} messages)`));
		});
	}

	/* Room in the queue, dropping the oldest volatile message if need be. */
	_makeRoom() {
		if (this._queue.length < this.options.maxQueue)
			return true;
		const i = this._queue.findIndex((q) => q.volatile);
		if (i < 0)
			return false;
		this._queue.splice(i, 1);
		return true;
	}

	_sendCall(req) {
		req.id = ++this._nextId;
		this._inflight.set(req.id, req);
		this._send({ t: "call", id: req.id, fn: req.fn, args: req.wire });
	}

	_onRet(msg) {
		const req = this._inflight.get(msg.id);
		const answer = { ok: msg.ok === true, value: msg.value, error: msg.error, cmds: msg.cmds };
		if (!req) {
			// Late (the call timed out or was cancelled): its commands still
			// say what the server did.
			this._run(answer.cmds, "server");
			return;
		}
		req.settle(true, answer);
	}

	/* POST /lv/rpc/NAME while the socket is down. */
	_httpCall(req) {
		const fn = req.fn;
		const ctl = typeof AbortController === "function" ? new AbortController() : null;
		req.http = ctl;
		const url = `${this.httpBase}/lv/rpc/${encodeURIComponent(fn)}`;
		Promise.resolve()
			.then(() => this.env.fetch(url, {
				method: "POST",
				headers: { "Content-Type": "application/json", Accept: "application/json" },
				body: JSON.stringify(req.wire),
				credentials: "same-origin",
				signal: ctl ? ctl.signal : undefined,
			}))
			.then(async (res) => {
				let body = null;
				try {
					body = await res.json();
				} catch {
					body = null;
				}
				if (body && typeof body === "object" && typeof body.ok === "boolean")
					req.settle(true, { ok: body.ok, value: body.value, error: body.error, cmds: body.cmds });
				else
					req.settle(false, new LvError(LvError.codeForStatus(res.status),
					                              `${fn}: HTTP ${res.status} without an lv answer`));
			}, (e) => req.settle(false, new LvError("unavailable", `${fn}: ${e?.message ?? e}`)));
	}

	/* Calls queued for the socket go over HTTP when their endpoint allows. */
	_drainToHttp() {
		if (!this.env.fetch)
			return;
		const keep = [];
		for (const item of this._queue) {
			if (item.kind === "call" && item.req.ep.http && !item.req.done)
				this._httpCall(item.req);
			else
				keep.push(item);
		}
		this._queue = keep;
	}

	/**
	 * Sends to a server.realtime (fire-and-forget). While the socket is down
	 * the message waits, in order, in a bounded queue; a volatile endpoint
	 * keeps only its latest message. Returns whether it was sent or queued.
	 * Bad arguments throw an LvError.
	 */
	send(fn, args) {
		const ep = this._endpoint(fn, "server.realtime", "send");
		let wire;
		try {
			wire = encodeArgs(ep, args);
		} catch (e) {
			throw codecError(fn, e);
		}
		const msg = { t: "send", fn, args: wire };
		if (this.state === "open" && this._ws)
			return this._send(msg);
		if (this._terminal) {
			if (!ep.volatile)
				this._error(new LvError(this._terminal.code, `${fn}: ${this._terminal.message}; message dropped`));
			return false;
		}
		const volatile = !!ep.volatile;
		if (volatile) {
			const i = this._queue.findIndex((q) => q.kind === "send" && q.volatile && q.fn === fn);
			if (i >= 0)
				this._queue.splice(i, 1);
		}
		if (!this._makeRoom()) {
			if (!volatile)
				this._error(new LvError("resource_exhausted",
				                        `${fn}: the send queue is full (${this.options.maxQueue} messages); message dropped`));
			return false;
		}
		this._queue.push({ kind: "send", fn, msg, volatile });
		return true;
	}

	_onSendError(msg) {
		const fn = typeof msg.fn === "string" ? msg.fn : "";
		const err = LvError.fromWire(msg.error, fn);
		err.fn = fn;
		if (err.code === "internal" && this.mode === MAIN)
			this.switchMode(SERVER_ERROR_500);
		this._error(err);
	}

	// ---- messages to the page ------------------------------------------------------------------------

	_dispatch(msg, gen) {
		switch (msg.t) {
		case "cmd":
			this._run(msg.cmds, "server");
			return;
		case "push":
			return this._onPush(msg);
		case "event":
			return this._onEvent(msg);
		case "ccall":
			if (gen === this._gen)
				this._onCcall(msg, gen);
			return;
		}
	}

	_decodeFor(ep, args) {
		try {
			return decodeArgs(ep, args);
		} catch (e) {
			this._error(codecError(ep.name, e));
			return null;
		}
	}

	_onPush(msg) {
		const fn = String(msg.fn);
		const ep = this.codec.endpoints.get(fn);
		if (!ep || ep.kind !== "client.realtime") {
			this._warnOnce(`push:${fn}`, `lv: the server pushed '${fn}', which is not a client.realtime of ${this.module}; ignored`);
			return;
		}
		const args = this._decodeFor(ep, msg.args);
		if (!args)
			return;
		const h = this._handlers.get(fn);
		if (!h) {
			this._warnOnce(`nohandler:${fn}`, `lv: no handler for client.realtime '${fn}' (register one); message dropped`);
			return;
		}
		this._call(h, ...positional(ep, args));
	}

	_onEvent(msg) {
		const name = String(msg.name);
		const ep = this._custom.get(name);
		let args = msg.args === undefined ? {} : msg.args;
		if (ep) {
			args = this._decodeFor(ep, msg.args);
			if (!args)
				return;
			const h = this._handlers.get(ep.name);
			if (h)
				this._call(h, ...positional(ep, args));
		}
		if (!this._emit(name, args) && !(ep && this._handlers.has(ep.name)))
			this._warnOnce(`event:${name}`, `lv: nothing handles the server's event '${name}'`);
	}

	async _onCcall(msg, gen) {
		const id = msg.id;
		const fn = String(msg.fn);
		const reply = (body) => {
			if (gen === this._gen && this._ws && this.state === "open")
				this._send({ t: "cret", id, ...body });
		};
		const fail = (code, message, path) =>
			reply({ ok: false, error: path ? { code, message, path } : { code, message } });
		const ep = this.codec.endpoints.get(fn);
		if (!ep || ep.kind !== "client.rpc")
			return fail("not_found", `${fn}: ${this.module} has no client.rpc '${fn}'`);
		let args;
		try {
			args = decodeArgs(ep, msg.args);
		} catch (e) {
			const err = codecError(fn, e);
			return fail(err.code, err.message, err.path);
		}
		const h = this._handlers.get(fn);
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

	// ---- commands and modes ---------------------------------------------------------------------------

	/** Runs client commands ([NAME, ARG..., {KWARGS}]) as the page. */
	run(cmds) {
		this._run(cmds, "page");
	}

	_run(cmds, source) {
		if (cmds === undefined || cmds === null)
			return;
		if (!this._domReady && this.document) {
			this._backlog.push([cmds, source]);
			return;
		}
		runCommands(page.commands, this, cmds, source, this.env.console);
	}

	/** Sets keys of the page's state (null deletes one); emits page_state. */
	setState(patch) {
		for (const [k, v] of Object.entries(patch || {})) {
			if (v === null)
				delete this.pageState[k];
			else
				this.pageState[k] = v;
		}
		this._emit("page_state", this.pageState);
	}

	/** Replaces the enter and/or exit command lists of a mode. */
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

	/** Leaves the current mode (its exit commands) for another (its enter commands). */
	switchMode(name) {
		if (name === this.mode)
			return;
		const previous = this.mode;
		this.mode = name;
		this._run(this.modes.get(previous)?.exit, `mode:${previous}`);
		this._run(this.modes.get(name)?.enter, `mode:${name}`);
		this._emit("mode", { mode: name, previous });
	}

	_notifier() {
		const doc = this.document;
		if (!doc)
			return null;
		let n = notifiers.get(doc);
		if (!n)
			notifiers.set(doc, (n = new Notifier(doc, this.env)));
		return n;
	}

	/** Shows a notification; see the lv.notify command for kwargs. */
	notify(message, kwargs = {}) {
		const n = this._notifier();
		if (!n) {
			this.env.console.info(`lv: ${message}`);
			return null;
		}
		return n.notify(message, kwargs);
	}

	clearNotifications(group) {
		this._notifier()?.clear(group);
	}

	// ---- concurrency groups ----------------------------------------------------------------------------

	/** Blocks concurrency groups ("*": all) as the page; see lv.block. */
	block(...groups) {
		this._blockGroups(groups.length ? groups : ["*"], "page");
	}

	release(...groups) {
		this._releaseGroups(groups.length ? groups : ["*"], "page");
	}

	/** Is input to this group held back? */
	isBlocked(group) {
		return (this._blockers.get(group)?.size ?? 0) > 0 || (this._blockers.get("*")?.size ?? 0) > 0;
	}

	_blockGroups(groups, token) {
		for (const g of groups) {
			let set = this._blockers.get(g);
			if (!set)
				this._blockers.set(g, (set = new Set()));
			set.add(token);
		}
	}

	_releaseGroups(groups, token) {
		for (const g of groups) {
			if (g === "*")
				for (const set of this._blockers.values())
					set.delete(token);
			else
				this._blockers.get(g)?.delete(token);
		}
	}

	_group(name, model) {
		let g = this._groups.get(name);
		if (!g)
			this._groups.set(name, (g = { name, model, running: 0, waiting: [], order: [] }));
		return g;
	}

	// ---- callbacks and DOM binding ------------------------------------------------------------------------

	_callbackEndpoint(name) {
		const ep = this.codec.endpoints.get(name);
		return ep && ep.kind === "client.callback" ? ep : null;
	}

	_bindError(name, where) {
		const ep = this.codec.endpoints.get(name);
		const declared = [...this.codec.endpoints.values()].filter((e) => e.kind === "client.callback").map((e) => e.name);
		const list = declared.length ? `its client.callbacks are: ${declared.join(", ")}` : "it declares no client.callback";
		if (ep)
			return new Error(`${where}: '${name}' is a ${ep.kind} of ${this.module}, not a client.callback; ` +
			                 "only client.callback endpoints can be bound to DOM events");
		return new Error(`${where}: '${name}' is not declared in ${this.module} (${list})`);
	}

	/** The Callback object of a client.callback; throws for any other name. */
	callback(name) {
		let cb = this._callbacks.get(name);
		if (cb)
			return cb;
		const ep = this._callbackEndpoint(name);
		if (!ep)
			throw this._bindError(name, "lv.callback");
		this._callbacks.set(name, (cb = new Callback(this, ep)));
		return cb;
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
		let ep;
		if (callback instanceof Callback) {
			if (callback.connection !== this)
				return callback.connection.bind(element, eventName, callback);
			ep = callback.endpoint;
		} else if (typeof callback === "string") {
			ep = this._callbackEndpoint(callback);
			if (!ep)
				throw this._bindError(callback, "lv.bind");
		} else {
			throw new Error("lv.bind: expected a Callback (from the generated module, or lv.callback(name)) " +
			                `or the name of a client.callback; got ${callback === null ? "null" : typeof callback}`);
		}
		if (!element || typeof element.addEventListener !== "function")
			throw new Error(`lv.bind: '${ep.name}' needs an element to bind to; got ${element === null ? "null" : typeof element}`);
		const ev = eventName || ep.dom_event || "click";
		let map = this._bound.get(element);
		if (!map)
			this._bound.set(element, (map = new Map()));
		const key = `${ev} ${ep.name}`;
		if (map.has(key))
			return map.get(key);
		const listener = (event) => this._fire(ep, element, event);
		element.addEventListener(ev, listener);
		const unbind = () => {
			element.removeEventListener(ev, listener);
			map.delete(key);
		};
		map.set(key, unbind);
		return unbind;
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
		const conns = [this, ...page.connections.filter((c) => c !== this)];
		const els = [];
		if (root.nodeType === 1)
			els.push(root);
		if (typeof root.querySelectorAll === "function")
			els.push(...root.querySelectorAll("*"));
		const errors = [];
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
					const c = conns.find((x) => (!mod || x.module === mod) && x._callbackEndpoint(name));
					if (!c) {
						const owner = conns.find((x) => !mod || x.module === mod) || this;
						errors.push(owner._bindError(name, `${describe(el)} data-lv-on-${ev}`));
						continue;
					}
					c.bind(el, ev, name);
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
	_fire(ep, element, event) {
		if (event && typeof event.preventDefault === "function") {
			const tag = element.nodeName;
			const submitter = (tag === "BUTTON" || tag === "INPUT") && (element.type === "submit" || element.type === "image");
			if (event.type === "submit" || (event.type === "click" && (tag === "A" || submitter)))
				event.preventDefault();
		}
		if (ep.debounce > 0) {
			let timers = this._debounce.get(element);
			if (!timers)
				this._debounce.set(element, (timers = new Map()));
			if (timers.has(ep.name))
				this.env.clearTimeout(timers.get(ep.name));
			timers.set(ep.name, this.env.setTimeout(() => {
				timers.delete(ep.name);
				this._arrive(ep, element, event);
			}, ep.debounce));
			return;
		}
		this._arrive(ep, element, event);
	}

	_arrive(ep, element, event) {
		const g = this._group(ep.group || ep.name, ep.concurrency || "serial");
		if (this.isBlocked(g.name))
			return this._blocked(ep, g, element, event, "blocked");
		if (ep.confirm) {
			const w = this.env.window;
			if (w && typeof w.confirm === "function" && !w.confirm(ep.confirm))
				return;
		}
		const job = { ep, element, event };
		if (g.model === "serial" && g.running > 0) {
			if (g.waiting.length >= this.options.maxWaiting)
				return this._blocked(ep, g, element, event, "full");
			g.waiting.push(job);
			return;
		}
		this._runJob(g, job);
	}

	_blocked(ep, g, element, event, reason) {
		let prevented = false;
		const detail = {
			group: g.name, callback: ep.name, element, event, reason,
			offline: this.state !== "open",
			preventDefault() {
				prevented = true;
			},
		};
		this._emit("blocked", detail);
		if (!prevented)
			this.notify(detail.offline ? this.options.texts.offlineBlocked : this.options.texts.blocked,
			            { group: "lv.blocked", throttle: 1000, timeout: 1500, level: "warning" });
	}

	async _runJob(g, job) {
		const { ep, element, event } = job;
		g.running++;
		const slot = g.model === "receive_serial" ? { done: false, apply: null } : null;
		if (slot)
			g.order.push(slot);
		const token = {};
		const blocks = Array.isArray(ep.blocks) ? ep.blocks : [];
		const finish = (apply) => {
			g.running--;
			this._releaseGroups(blocks, token);
			if (slot) {
				slot.done = true;
				slot.apply = apply;
				while (g.order.length && g.order[0].done)
					g.order.shift().apply();
			} else {
				apply();
			}
			if (g.model === "serial" && g.running === 0 && g.waiting.length)
				this._runJob(g, g.waiting.shift());
		};
		let wire;
		try {
			const args = await this._buildArgs(ep, element, event);
			if (args === false || args === null || args === undefined)
				return finish(() => {});
			wire = encodeArgs(ep, args);
		} catch (e) {
			return finish(() => this._error(codecError(ep.name, e)));
		}
		this._blockGroups(blocks, token);
		this._request(ep, wire, {}).then(
			(answer) => finish(() => {
				try {
					this._settle(ep, answer);
				} catch (e) {
					this._error(e);
				}
			}),
			(e) => finish(() => this._error(e)));
	}

	_buildArgs(ep, element, event) {
		const h = this._handlers.get(ep.name);
		this._current = ep;
		try {
			return h ? h(event, element) : this.argsFrom(element, ep.paramNames);
		} finally {
			this._current = null;
		}
	}

	/**
	 * Reads the named arguments from the page (see readArgs in dom.js),
	 * coerced to the parameter types of the callback being sent (or of
	 * callback fn, or of the first callback with all these parameters).
	 * A value that does not coerce throws LvError invalid_argument.
	 */
	argsFrom(element, names, fn) {
		let ep = fn ? this._callbackEndpoint(fn) : this._current;
		if (!ep)
			ep = [...this.codec.endpoints.values()].find((e) => e.kind === "client.callback" &&
				names.every((n) => e.paramNames.includes(n))) || null;
		const types = new Map();
		if (ep)
			for (const f of ep.args.fields)
				types.set(f.name, f.optional || f.hasDefault ? { kind: "optional", elem: f.type } : f.type);
		return readArgs(element, names, types, ep ? ep.name : "argsFrom");
	}
}

const notifiers = new WeakMap();

/**
 * The page's connection for schema: one per schema, made on the first call
 * and returned by every later one (options given later are applied with
 * configure()). The socket opens on its own a moment later, so a page may
 * still configure the url in the same turn.
 */
export function connect(schema, options) {
	const key = `${schema?.module}@${schema?.hash}`;
	let conn = page._byKey.get(key);
	if (conn) {
		if (options)
			conn.configure(options);
		return conn;
	}
	conn = new Connection(schema, options);
	page._byKey.set(key, conn);
	page._add(conn);
	return conn;
}

/** A connection of its own, outside the page's registry (tests, tools). */
export function createConnection(schema, options) {
	return new Connection(schema, options);
}
