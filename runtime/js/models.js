// models.js - the page's side of models (docs/models.md): client.model.NAME for each binding the schema lists, its operations as calls of the endpoints NAME.OP, and live results fed by the server's "model" messages, each applied whole or not at all.
import { LvError } from "./errors.js";

const OPS = ["retrieve", "list", "create", "update", "delete", "subscribe"];

/* A message that does not fit the result it is for. */
class ModelProtocolError extends Error {}

function fail(why) {
	throw new ModelProtocolError(why);
}

function isRow(v) {
	return v !== null && typeof v === "object" && !Array.isArray(v);
}

/* A page as the server answers it, frozen: {page, limit, count, rows}. */
function pageOf(v, what) {
	if (!isRow(v) || !Array.isArray(v.rows) || !Number.isInteger(v.count))
		throw new LvError("internal", `${what}: the server's answer is not a page`);
	return Object.freeze({
		page: v.page, limit: v.limit, count: v.count,
		rows: Object.freeze(v.rows.map((r) => Object.freeze(r))),
	});
}

/**
 * The events of one "model" message applied to snapshot: a new snapshot
 * (rows not touched keep their identity), or a ModelProtocolError and
 * nothing changed. key is the model's key field.
 */
export function applyEvents(snapshot, msg, key) {
	if (!Array.isArray(msg.ev) || !Number.isInteger(msg.count) || msg.count < 0)
		fail("a model message needs ev (a list) and count");
	if (msg.ev.length === 0)
		return Object.freeze({ ...snapshot, count: msg.count });
	const rows = snapshot.rows.slice();
	const at = (i, row, what) => {
		if (!Number.isInteger(i) || i < 0 || i >= rows.length)
			fail(`${what}: no row at ${i}`);
		if (rows[i][key] !== row[key])
			fail(`${what}: the row at ${i} is ${JSON.stringify(rows[i][key])}, not ${JSON.stringify(row[key])}`);
	};
	for (const e of msg.ev) {
		if (!isRow(e) || !isRow(e.row))
			fail("an event needs a row");
		const row = Object.freeze(e.row);
		switch (e.k) {
		case "insert":
			if (!Number.isInteger(e.i) || e.i < 0 || e.i > rows.length)
				fail(`insert: index ${e.i} is outside 0..${rows.length}`);
			if (rows.some((r) => r[key] === row[key]))
				fail(`insert: ${JSON.stringify(row[key])} is there already`);
			rows.splice(e.i, 0, row);
			break;
		case "update":
			at(e.i, row, "update");
			rows[e.i] = row;
			break;
		case "move":
			at(e.from, row, "move");
			rows.splice(e.from, 1);
			if (!Number.isInteger(e.i) || e.i < 0 || e.i > rows.length)
				fail(`move: index ${e.i} is outside 0..${rows.length}`);
			rows.splice(e.i, 0, row);
			break;
		case "delete":
			at(e.i, row, "delete");
			rows.splice(e.i, 1);
			break;
		default:
			fail(`an event of kind ${JSON.stringify(e.k)}`);
		}
	}
	return Object.freeze({ page: snapshot.page, limit: snapshot.limit, count: msg.count, rows: Object.freeze(rows) });
}

/* One live result: its query, its snapshot, its listeners. Its wire key
 * is the page's key and a generation, new for every subscribe of the
 * connection: subscribing again (a message that
 * did not apply, a new session) takes a fresh one, so that what the
 * server still sends for the old one is told apart and dropped. */
class Live {
	constructor(models, binding, query, key) {
		this.models = models;
		this.binding = binding;
		this.query = query;
		this.key = key;
		this.wire = null;
		this.snapshot = null;
		this.ready = false;     // the first page of the current wire key is in
		this.early = [];        // messages for the wire key before its first page
		this.listeners = new Set();
		this.closed = false;
		this.handle = Object.freeze({
			key,
			getSnapshot: () => this.snapshot,
			subscribe: (fn) => {
				this.listeners.add(fn);
				return () => this.listeners.delete(fn);
			},
			close: () => this.close(),
		});
	}

	/* Subscribes under a fresh wire key: resolves once the first page is in. */
	start() {
		const m = this.models;
		if (this.wire !== null)
			m.drop(this, true);
		this.wire = `${this.key}#${++m.gen}`;
		this.ready = false;
		this.early = [];
		m.byWire.set(this.binding + "\u0000" + this.wire, this);
		const wire = this.wire;
		return m.call(this.binding, "subscribe", { key: wire, ...this.query }).then((v) => {
			if (this.closed || this.wire !== wire)
				return this.handle;
			this.ready = true;
			this.set(pageOf(v, `${this.binding}.subscribe`));
			const early = this.early;
			this.early = [];
			for (const msg of early)
				this.receive(msg);
			return this.handle;
		}, (e) => {
			if (this.wire === wire)
				m.drop(this, false);
			throw e;
		});
	}

	set(snapshot) {
		this.snapshot = snapshot;
		for (const fn of [...this.listeners])
			this.models.core.events.call(fn, snapshot);
	}

	receive(msg) {
		if (!this.ready) {
			this.early.push(msg);
			return;
		}
		let next;
		try {
			next = applyEvents(this.snapshot, msg, this.models.keyOf(this.binding));
		} catch (e) {
			if (!(e instanceof ModelProtocolError))
				throw e;
			this.models.core.endpoints.warnOnce(`model:${this.binding}`,
				`lv: ${this.binding}: a live result's change did not apply (${e.message}); subscribing again`);
			this.restart();
			return;
		}
		this.set(next);
	}

	/* Subscribes again, keeping the last snapshot until the new one comes. */
	restart() {
		if (this.closed)
			return;
		this.start().catch((e) => this.models.core.error(e));
	}

	close() {
		if (this.closed)
			return;
		this.closed = true;
		this.listeners.clear();
		this.models.drop(this, true);
		this.models.lives.delete(this.binding + "\u0000" + this.key);
	}
}

export class Models {
	#bindings = new Map();   // name -> the frozen client.model.NAME
	#fresh = 0;

	constructor(core) {
		this.core = core;
		this.defs = (core.schema && core.schema.models) || {};
		this.lives = new Map();  // binding + "\0" + key -> Live
		this.byWire = new Map(); // binding + "\0" + wire key -> Live
		this.gen = 0;            // the last wire key's generation
	}

	/** The declared bindings, by name. */
	get names() {
		return Object.keys(this.defs);
	}

	keyOf(name) {
		return this.defs[name].key || "id";
	}

	call(name, op, args) {
		return this.core.conn.call(`${name}.${op}`, args);
	}

	/* Forgets a live result's wire key, and tells the server when asked. */
	drop(live, tell) {
		if (live.wire === null)
			return;
		this.byWire.delete(live.binding + "\u0000" + live.wire);
		if (tell && this.core.conn.state !== "closed")
			this.call(live.binding, "unsubscribe", { key: live.wire }).catch(() => {});
		live.wire = null;
	}

	/** client.model.NAME: only the operations the binding offers. */
	binding(name) {
		if (!Object.prototype.hasOwnProperty.call(this.defs, name))
			throw new LvError("invalid_argument", `${this.core.codec.module} binds no model '${name}'`);
		let b = this.#bindings.get(name);
		if (b)
			return b;
		const ops = new Set(this.defs[name].ops || []);
		const call = (op, args) => this.call(name, op, args);
		const out = {};
		if (ops.has("retrieve"))
			out.retrieve = (id) => call("retrieve", { id });
		if (ops.has("list"))
			out.list = (query = {}) => attempt(() => call("list", queryArgs(query)))
				.then((v) => pageOf(v, `${name}.list`));
		if (ops.has("create"))
			out.create = (row) => call("create", { row });
		if (ops.has("update"))
			out.update = (row) => call("update", { row });
		if (ops.has("delete"))
			out.delete = (id, version) => call("delete", { id, version });
		if (ops.has("subscribe"))
			out.subscribe = (query = {}, options = {}) => this.subscribe(name, query, options);
		b = Object.freeze(out);
		this.#bindings.set(name, b);
		return b;
	}

	subscribe(name, query, options) {
		return attempt(() => this.#subscribe(name, query, options));
	}

	#subscribe(name, query, options) {
		const key = options && options.key !== undefined ? String(options.key) : `q${++this.#fresh}`;
		const id = name + "\u0000" + key;
		this.lives.get(id)?.close();
		const live = new Live(this, name, queryArgs(query), key);
		this.lives.set(id, live);
		return live.start().catch((e) => {
			if (this.lives.get(id) === live)
				this.lives.delete(id);
			throw e;
		});
	}

	/** A {"t":"model"} message from the server. */
	receive(msg) {
		const live = typeof msg.name === "string" && typeof msg.key === "string" ?
			this.byWire.get(msg.name + "\u0000" + msg.key) : undefined;
		if (live)
			live.receive(msg);
	}

	/** A new session (the old one expired): the server has no live query of ours. */
	newSession() {
		for (const live of this.lives.values())
			if (live.ready && live.wire !== null) {
				this.drop(live, false);
				live.restart();
			}
	}
}

/* The query members a page may send, and nothing else; those left out
 * are not sent. */
function queryArgs(query) {
	if (!isRow(query))
		throw new LvError("invalid_argument", "a query is an object: {where, order, page, limit}");
	const out = {};
	for (const k of ["where", "order", "page", "limit"])
		if (query[k] !== undefined)
			out[k] = query[k];
	return out;
}

/* fn's promise, or its exception as a rejection. */
function attempt(fn) {
	try {
		return Promise.resolve(fn());
	} catch (e) {
		return Promise.reject(e);
	}
}
