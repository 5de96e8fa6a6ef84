// states.js - the page's side of synchronised states (docs/protocol.md, "States"): a store per state, and per group for group states, fed by the server's snapshots and patches; the page's own states sent up as numbered patches, coalesced for the declared flush.
import { decode } from "./codec.js";
import { LvError, codecError } from "./errors.js";
import { createStore } from "./store.js";

/* The value a state has before anything is written: what the C runtime
 * makes of zeroed memory, with the fields' defaults. */
function zeroValue(t) {
	switch (t.kind) {
	case "bool": return false;
	case "int": case "float": return 0;
	case "string": case "bytes": return "";
	case "json": case "void": return null;
	case "list": return [];
	case "map": return {};
	case "enum": return t.list[0];
	case "optional": return undefined;
	case "struct": {
		const v = {};
		for (const f of t.fields) {
			if (f.hasDefault && f.default !== null)
				v[f.name] = structuredClone(f.default);
			else if (!f.optional && f.type.kind !== "optional")
				v[f.name] = zeroValue(f.type);
		}
		return v;
	}
	default: return null;
	}
}

/* A page-owned store whose writes are checked against the state's type,
 * with the server's rules: one that would make the value wrong is taken
 * back and throws LvError invalid_argument. */
function checked(store, type, name) {
	const guard = (write) => (...args) => {
		const before = store.get();
		const r = write(...args);
		try {
			decode(type, store.get());
		} catch (e) {
			store.update(() => before);
			throw codecError(`state ${name}`, e);
		}
		return r;
	};
	const s = Object.create(store);
	s.set = guard(store.set);
	s.update = guard(store.update);
	return Object.freeze(s);
}

export class States {
	#core;
	#defs;
	#stores = new Map();     // name, or name + "\u0000" + group -> store
	#page = new Map();       // page-owned: name -> {store, timer}
	#types = new Map();

	constructor(core) {
		this.#core = core;
		this.#defs = (core.schema && core.schema.states) || {};
	}

	/** The declared states, by name. */
	get names() {
		return Object.keys(this.#defs);
	}

	#def(name) {
		const def = Object.prototype.hasOwnProperty.call(this.#defs, name) ? this.#defs[name] : null;
		if (!def)
			throw new LvError("invalid_argument", `${this.#core.codec.module} declares no state '${name}'`);
		return def;
	}

	#type(name, def) {
		if (!this.#types.has(name))
			this.#types.set(name, this.#core.codec.parse(def.type));
		return this.#types.get(name);
	}

	/**
	 * The store of state name; for a group state, of that group. Made on
	 * first use: a server state's holds null until its snapshot; the page's
	 * own starts at its zero value.
	 */
	store(name, group) {
		const def = this.#def(name);
		if (def.scope === "group" && (typeof group !== "string" || group === ""))
			throw new LvError("invalid_argument", `'${name}' is a group state: name the group`);
		const key = def.scope === "group" ? `${name}\u0000${group}` : name;
		let s = this.#stores.get(key);
		if (s)
			return s;
		if (def.owner === "page") {
			const type = this.#type(name, def);
			const raw = createStore(zeroValue(type));
			s = checked(raw, type, name);
			const own = { store: raw, timer: null };
			this.#page.set(name, own);
			s.subscribe(() => this.#changed(name, def, own));
		} else {
			s = createStore(null);
		}
		this.#stores.set(key, s);
		return s;
	}

	/** {"t":"state"} from the server. */
	receive(msg) {
		const core = this.#core;
		const def = typeof msg.name === "string" && Object.prototype.hasOwnProperty.call(this.#defs, msg.name)
			? this.#defs[msg.name] : null;
		if (!def) {
			core.endpoints.warnOnce(`state:${msg.name}`, `lv: the server sent state '${msg.name}', which ${core.codec.module} does not declare; ignored`);
			return;
		}
		const group = def.scope === "group" ? msg.group : undefined;
		if (def.scope === "group" && typeof group !== "string")
			return;
		const store = this.store(msg.name, group);
		if (msg.ops === null) {          // the page no longer sees this copy
			store.apply(0, [{ op: "replace", path: "", value: null }]);
			return;
		}
		if (def.owner === "page")         // the server's copy, after it refused ours
			store.takePending();
		try {
			store.apply(msg.rev, msg.ops);
		} catch (e) {
			core.env.console.warn(`lv: state '${msg.name}' is out of step (${e.message}); asking for a snapshot`);
			const ask = { t: "state_sync", name: msg.name };
			if (group !== undefined)
				ask.group = group;
			core.send(ask);
		}
	}

	/* The page changed one of its own states: sent after the declared
	 * flush (0: at once, as soon as the current task ends). */
	#changed(name, def, own) {
		if (def.flush === "manual" || own.timer !== null)
			return;
		own.timer = this.#core.later(() => {
			own.timer = null;
			this.flush(name);
		}, def.flush);
	}

	/** Sends what the page changed in its state name now. */
	flush(name) {
		const def = this.#def(name);
		const own = this.#page.get(name);
		if (def.owner !== "page")
			throw new LvError("invalid_argument", `'${name}' is the server's state: the page cannot send it`);
		if (!own)
			return;
		if (own.timer !== null) {
			this.#core.cancel(own.timer);
			own.timer = null;
		}
		const ops = own.store.takePending();              // a batch: the next revision
		if (ops && ops.length > 0)
			this.#core.send({ t: "state", name, rev: own.store.rev, ops });
	}

	/*
	 * Before a call, a send or an answer leaves: the page's changes still
	 * waiting for their flush go first, so a handler reads at least what
	 * the page had when it asked (manual states wait for their flush).
	 */
	flushDue() {
		for (const [name, own] of this.#page)
			if (own.timer !== null)
				this.flush(name);
	}

	/*
	 * A new session (not a resume): the server knows nothing of the page's
	 * own states, so each is sent whole; the server's states come again as
	 * snapshots when the page sees them again.
	 */
	newSession() {
		for (const [name, own] of this.#page) {
			if (own.timer !== null) {
				this.#core.cancel(own.timer);
				own.timer = null;
			}
			own.store.takePending();
			const whole = [{ op: "replace", path: "", value: own.store.get() }];
			own.store.apply(1, whole);
			this.#core.send({ t: "state", name, rev: 1, ops: whole });
		}
	}
}
