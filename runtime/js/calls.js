// calls.js - the page's calls and sends to the server: checked arguments, the queue while the socket is down, timeouts, cancelling, answers, and the HTTP fallback.
import { decode, encodeArgs } from "./codec.js";
import { LvError, codecError } from "./errors.js";
import { MAIN, SERVER_ERROR_500 } from "./options.js";

export class Calls {
	#core;
	#inflight = new Map();   // call id -> request
	#queue = [];             // {kind: "call", req} | {kind: "send", fn, msg, volatile}

	constructor(core) {
		this.#core = core;
		/** The id of the last call sent. */
		this.nextId = 0;
	}

	/* What waits for the socket, oldest first (a copy). */
	queued() {
		return this.#queue.slice();
	}

	#endpoint(fn, kind, what) {
		const core = this.#core;
		const ep = core.codec.endpoints.get(fn);
		if (!ep || ep.kind !== kind)
			throw new LvError("not_found", `${fn}: ${what}: ${core.codec.module} has no ${kind} '${fn}'` +
			                  (ep ? ` (it is a ${ep.kind})` : ""));
		return ep;
	}

	/* Connection.call: resolves with the checked result, or rejects with an LvError. */
	call(fn, args, options = {}) {
		let ep, wire;
		try {
			ep = this.#endpoint(fn, "server.rpc", "call");
			wire = encodeArgs(ep, args);
		} catch (e) {
			return Promise.reject(codecError(fn, e));
		}
		return this.request(ep, wire, options || {}).then((answer) => this.settle(ep, answer));
	}

	/* Runs an answer's commands, then gives its value or throws its error. */
	settle(ep, answer) {
		const core = this.#core;
		const modes = core.modes;
		core.run(answer.cmds, "server");
		if (answer.ok) {
			if (modes.mode === SERVER_ERROR_500)
				modes.switchMode(MAIN);
			if (!ep.resultType)
				return undefined;
			try {
				return decode(ep.resultType, answer.value === undefined ? null : answer.value);
			} catch (e) {
				throw codecError(ep.name, e, "internal", "result");
			}
		}
		const err = LvError.fromWire(answer.error, ep.name);
		if (err.code === "internal" && modes.mode === MAIN)
			modes.switchMode(SERVER_ERROR_500);
		throw err;
	}

	/* Sends a call (now, later, or over HTTP) and resolves with its raw
	 * answer {ok, value, error, cmds}; rejects on timeout, abort or a lost
	 * connection. */
	request(ep, wire, options) {
		const core = this.#core;
		const env = core.env;
		return new Promise((resolve, reject) => {
			const fn = ep.name;
			const timeout = options.timeout ?? ep.timeout ?? core.options.timeout;
			const signal = options.signal;
			const req = { fn, ep, wire, id: 0, done: false, timer: null, onAbort: null, http: null };
			req.settle = (ok, v) => {
				if (req.done)
					return;
				req.done = true;
				if (req.timer !== null)
					env.clearTimeout(req.timer);
				if (signal && req.onAbort)
					signal.removeEventListener("abort", req.onAbort);
				if (req.id)
					this.#inflight.delete(req.id);
				const i = this.#queue.findIndex((q) => q.req === req);
				if (i >= 0)
					this.#queue.splice(i, 1);
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
				req.timer = env.setTimeout(() => {
					req.http?.abort();
					req.settle(false, new LvError("deadline_exceeded", `${fn}: no answer within ${timeout} ms`));
				}, timeout);
			const state = core.conn.state;
			if (state === "open" && core.transport.active)
				this.#sendCall(req);
			else if (core.terminal)
				req.settle(false, new LvError(core.terminal.code, `${fn}: ${core.terminal.message}`));
			else if (ep.http && state === "offline" && env.fetch)
				this.#httpCall(req);
			else if (this.#makeRoom())
				this.#queue.push({ kind: "call", req });
			else
				req.settle(false, new LvError("resource_exhausted",
				                              `${fn}: the send queue is full (${core.options.maxQueue} messages)`));
		});
	}

	/* Room in the queue, dropping the oldest volatile message if need be. */
	#makeRoom() {
		if (this.#queue.length < this.#core.options.maxQueue)
			return true;
		const i = this.#queue.findIndex((q) => q.volatile);
		if (i < 0)
			return false;
		this.#queue.splice(i, 1);
		return true;
	}

	#sendCall(req) {
		req.id = ++this.nextId;
		this.#inflight.set(req.id, req);
		this.#core.send({ t: "call", id: req.id, fn: req.fn, args: req.wire });
	}

	/* A ret from the server. */
	answered(msg) {
		const req = this.#inflight.get(msg.id);
		const answer = { ok: msg.ok === true, value: msg.value, error: msg.error, cmds: msg.cmds };
		if (!req) {
			// Late (the call timed out or was cancelled): its commands still
			// say what the server did.
			this.#core.run(answer.cmds, "server");
			return;
		}
		req.settle(true, answer);
	}

	/* POST /lv/rpc/NAME while the socket is down. */
	#httpCall(req) {
		const core = this.#core;
		const fn = req.fn;
		const ctl = typeof AbortController === "function" ? new AbortController() : null;
		req.http = ctl;
		const url = `${core.conn.httpBase}/lv/rpc/${encodeURIComponent(fn)}`;
		Promise.resolve()
			.then(() => core.env.fetch(url, {
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
	drainToHttp() {
		if (!this.#core.env.fetch)
			return;
		const keep = [];
		for (const item of this.#queue) {
			if (item.kind === "call" && item.req.ep.http && !item.req.done)
				this.#httpCall(item.req);
			else
				keep.push(item);
		}
		this.#queue = keep;
	}

	/* Connection.send: sent, queued, or refused (false). Bad arguments throw. */
	send(fn, args) {
		const core = this.#core;
		const ep = this.#endpoint(fn, "server.realtime", "send");
		let wire;
		try {
			wire = encodeArgs(ep, args);
		} catch (e) {
			throw codecError(fn, e);
		}
		const msg = { t: "send", fn, args: wire };
		if (core.conn.state === "open" && core.transport.active)
			return core.send(msg);
		if (core.terminal) {
			if (!ep.volatile)
				core.error(new LvError(core.terminal.code, `${fn}: ${core.terminal.message}; message dropped`));
			return false;
		}
		const volatile = !!ep.volatile;
		if (volatile) {
			const i = this.#queue.findIndex((q) => q.kind === "send" && q.volatile && q.fn === fn);
			if (i >= 0)
				this.#queue.splice(i, 1);
		}
		if (!this.#makeRoom()) {
			if (!volatile)
				core.error(new LvError("resource_exhausted",
				                       `${fn}: the send queue is full (${core.options.maxQueue} messages); message dropped`));
			return false;
		}
		this.#queue.push({ kind: "send", fn, msg, volatile });
		return true;
	}

	/* An error the server reports for a send. */
	sendFailed(msg) {
		const core = this.#core;
		const fn = typeof msg.fn === "string" ? msg.fn : "";
		const err = LvError.fromWire(msg.error, fn);
		err.fn = fn;
		if (err.code === "internal" && core.modes.mode === MAIN)
			core.modes.switchMode(SERVER_ERROR_500);
		core.error(err);
	}

	/* After a welcome: what waited for the socket goes, in order. */
	flush() {
		const queue = this.#queue;
		this.#queue = [];
		for (const item of queue) {
			if (item.kind === "call") {
				if (!item.req.done)
					this.#sendCall(item.req);
			} else {
				this.#core.send(item.msg);
			}
		}
	}

	/* Every call in flight fails with the error errorFor(fn) makes. */
	failInflight(errorFor) {
		for (const req of [...this.#inflight.values()])
			req.settle(false, errorFor(req.fn));
	}

	/* Closed for good: what waits fails too (sends are reported). */
	failAll(code, message) {
		this.failInflight((fn) => new LvError(code, `${fn}: ${message}`));
		const queue = this.#queue;
		this.#queue = [];
		for (const item of queue) {
			if (item.kind === "call")
				item.req.settle(false, new LvError(code, `${item.req.fn}: ${message}`));
			else if (!item.volatile)
				this.#core.error(new LvError(code, `${item.fn}: ${message}; message dropped`));
		}
	}

	/* The queued items another page of the tab took over: theirs now. */
	dropHanded(handed) {
		for (const item of this.#queue.filter((q) => handed && handed.has(q) && !q.volatile)) {
			if (item.kind === "call")
				item.req.settle(false, new LvError("unavailable", `${item.req.fn}: sent by another page of this tab`));
			else
				this.#queue.splice(this.#queue.indexOf(item), 1);
		}
	}
}
