// patch.js - JSON Patch (RFC 6902) on immutable JSON values, with JSON Pointers (RFC 6901): applyPatch, diff and coalesce, what store.js is made of. Importing it does nothing.
//
// applyPatch(doc, ops) never changes doc: it returns a new document that
// shares every subtree the ops did not touch with the old one. Only the
// objects and arrays on the changed paths are copied, each at most once per
// patch (the patch keeps the set of containers it made, and changes those in
// place), and the new ones are frozen at the end unless {freeze: false}. The
// ops apply all or not at all: the first one that fails throws a PatchError
// naming the op (its index), the reason and the pointer at fault.
//
// diff(a, b) is a patch from a to b: equal identities are skipped at once
// (what the structural sharing of applyPatch makes cheap), objects are
// compared key by key, lists of the same length item by item, and a list
// whose length changed is replaced whole.
//
// coalesce(ops) merges a list of ops into a shorter one with the same
// effect, before it is sent: the last replace of a path wins, ops under a
// subtree removed or replaced later are dropped, and an add then a remove of
// the same path cancel (this takes an add to create its target, as every add
// diff() and the store write does; {addCreates: false} keeps such pairs).
// It merges only where nothing in between can change what a path names, and
// looks back over a bounded number of ops, so it runs in linear time.

/** The reasons of a PatchError. */
export const REASONS = Object.freeze([
	"invalid_op",     // not an operation: no such op, a member missing or of the wrong kind
	"bad_pointer",    // a path or from that is not an RFC 6901 pointer
	"missing",        // no member of that name, no value at that pointer
	"bad_index",      // a list index that is malformed, "-" where it names nothing, or out of range
	"not_container",  // a pointer that goes on through a string, number, boolean or null
	"test_failed",    // a test whose value differs
	"into_itself",    // a move into its own child
	"root",           // a remove of the whole document
	"not_json",       // a value that has no JSON form
]);

export class PatchError extends Error {
	/**
	 * @param {string} reason one of REASONS
	 * @param {string} message
	 * @param {number} [index] the op at fault, -1 when it is none in particular
	 * @param {string} [path] the pointer at fault, "" for the root or none
	 */
	constructor(reason, message, index = -1, path = "") {
		super(message);
		this.name = "PatchError";
		this.reason = reason;
		this.index = index;
		this.path = path;
	}
}

const hasOwn = (o, k) => Object.prototype.hasOwnProperty.call(o, k);
const INDEX = /^(?:0|[1-9][0-9]*)$/;
const KINDS = new Set(["add", "remove", "replace", "move", "copy", "test"]);

/** An object (not a list, not null). */
const isObject = (v) => v !== null && typeof v === "object" && !Array.isArray(v);
const isContainer = (v) => v !== null && typeof v === "object";

/** A plain object of any realm: its prototype is null or an Object.prototype. */
function isPlainObject(v) {
	if (!isObject(v))
		return false;
	const proto = Object.getPrototypeOf(v);
	return proto === null || Object.getPrototypeOf(proto) === null;
}

/** Sets a member, "__proto__" included, as a plain data property. */
function put(o, k, v) {
	if (k === "__proto__")
		Object.defineProperty(o, k, { value: v, writable: true, enumerable: true, configurable: true });
	else
		o[k] = v;
}

function copyObject(o) {
	const c = {};
	for (const k of Object.keys(o))
		put(c, k, o[k]);
	return c;
}

/** What a value is, for messages. */
function kindOf(v) {
	if (v === null)
		return "null";
	if (Array.isArray(v))
		return "a list";
	if (typeof v === "object")
		return "an object";
	return `a ${typeof v}`;
}

/** A value in JSON, cut short for messages. */
function brief(v) {
	let s;
	try {
		s = JSON.stringify(v);
	} catch {
		s = undefined;
	}
	if (s === undefined)
		return kindOf(v);
	return s.length > 60 ? s.slice(0, 57) + "..." : s;
}

// ---- pointers (RFC 6901) ------------------------------------------------------------

/**
 * The reference tokens of a pointer: "" is the whole document, "/a/0" is
 * ["a", "0"]; "~1" stands for "/" and "~0" for "~".
 * @param {string} pointer
 * @returns {string[]}
 */
export function parsePointer(pointer) {
	if (typeof pointer !== "string")
		throw new PatchError("bad_pointer", `a pointer must be a string, got ${kindOf(pointer)}`);
	if (pointer === "")
		return [];
	if (pointer[0] !== "/")
		throw new PatchError("bad_pointer", `pointer '${pointer}' does not begin with '/'`, -1, pointer);
	const tokens = pointer.slice(1).split("/");
	for (let i = 0; i < tokens.length; i++) {
		const t = tokens[i];
		if (!t.includes("~"))
			continue;
		if (/~(?![01])/.test(t))
			throw new PatchError("bad_pointer",
				`pointer '${pointer}': '~' must be followed by 0 or 1 (in '${t}')`, -1, pointer);
		tokens[i] = t.replace(/~1/g, "/").replace(/~0/g, "~");
	}
	return tokens;
}

/** A token in pointer form: "~" as "~0", "/" as "~1". */
export const escapeToken = (t) => String(t).replace(/~/g, "~0").replace(/\//g, "~1");

/**
 * The pointer of a list of tokens.
 * @param {readonly (string|number)[]} tokens
 */
export function formatPointer(tokens) {
	let s = "";
	for (const t of tokens)
		s += "/" + escapeToken(t);
	return s;
}

/**
 * The value at a pointer (a string or its tokens), or undefined when there is
 * none; a malformed pointer throws.
 * @param {unknown} doc
 * @param {string | readonly string[]} pointer
 * @returns {any}
 */
export function valueAt(doc, pointer) {
	const tokens = typeof pointer === "string" ? parsePointer(pointer) : pointer;
	let v = doc;
	for (const t of tokens) {
		if (Array.isArray(v)) {
			if (!INDEX.test(t) || Number(t) >= v.length)
				return undefined;
			v = v[Number(t)];
		} else if (isObject(v) && hasOwn(v, t)) {
			v = v[t];
		} else {
			return undefined;
		}
	}
	return v;
}

// ---- values ---------------------------------------------------------------------------

/**
 * Deep equality of JSON values: objects whatever the order of their
 * members, lists in order, numbers by value.
 * @param {unknown} a
 * @param {unknown} b
 * @returns {boolean}
 */
export function deepEqual(a, b) {
	if (a === b)
		return true;
	if (!isContainer(a) || !isContainer(b))
		return false;
	if (Array.isArray(a)) {
		if (!Array.isArray(b) || a.length !== b.length)
			return false;
		for (let i = 0; i < a.length; i++)
			if (!deepEqual(a[i], b[i]))
				return false;
		return true;
	}
	if (Array.isArray(b))
		return false;
	const keys = Object.keys(a);
	if (keys.length !== Object.keys(b).length)
		return false;
	for (const k of keys)
		if (!hasOwn(b, k) || !deepEqual(a[k], b[k]))
			return false;
	return true;
}

/**
 * A value of one's own to keep: scalars as they are, frozen lists and
 * objects as they are (they are parts of a snapshot), anything else copied,
 * each new container passed to made() (frozen ones too when freeze). Object
 * members that are undefined are left out, as JSON.stringify does; what has
 * no JSON form throws PatchError "not_json" naming where it is.
 * @param {unknown} v
 * @param {string} path where v goes, for the message
 * @param {number} index the op, for the error
 * @param {((c: object) => void) | null} made
 * @param {boolean} freeze
 * @returns {any}
 */
export function ownValue(v, path, index, made, freeze) {
	switch (typeof v) {
	case "string":
	case "boolean":
		return v;
	case "number":
		if (!Number.isFinite(v))
			throw new PatchError("not_json", `${path || "the value"}: NaN and infinity have no JSON form`, index, path);
		return v;
	case "object":
		if (v === null)
			return v;
		if (Array.isArray(v)) {
			if (Object.isFrozen(v))
				return v;
			const c = new Array(v.length);
			for (let i = 0; i < v.length; i++) {
				if (v[i] === undefined)
					throw new PatchError("not_json", `${path}/${i}: undefined has no JSON form`, index, `${path}/${i}`);
				c[i] = ownValue(v[i], `${path}/${i}`, index, made, freeze);
			}
			made?.(c);
			return freeze ? Object.freeze(c) : c;
		}
		if (isPlainObject(v)) {
			if (Object.isFrozen(v))
				return v;
			const c = {};
			for (const k of Object.keys(v))
				if (v[k] !== undefined)
					put(c, k, ownValue(v[k], `${path}/${escapeToken(k)}`, index, made, freeze));
			made?.(c);
			return freeze ? Object.freeze(c) : c;
		}
		break;
	}
	const what = typeof v === "object" ? `a ${Object.prototype.toString.call(v).slice(8, -1)}` : kindOf(v);
	throw new PatchError("not_json", `${path || "the value"}: ${what} is not a JSON value`, index, path);
}

// ---- operations -----------------------------------------------------------------------

/**
 * An op checked: {kind, tokens, from?, value?}; a malformed one throws
 * PatchError "invalid_op" or "bad_pointer" with its index.
 */
function readOp(op, index) {
	const fail = (reason, what, path = "") => {
		throw new PatchError(reason, `op ${index}: ${what}`, index, path);
	};
	if (!isObject(op))
		fail("invalid_op", `an operation must be an object, got ${kindOf(op)}`);
	const kind = op.op;
	if (typeof kind !== "string")
		fail("invalid_op", kind === undefined ? "missing 'op'" : `'op' must be a string, got ${kindOf(kind)}`);
	if (!KINDS.has(kind))
		fail("invalid_op", `unknown op '${kind}' (add, remove, replace, move, copy or test)`);
	const pointer = (member) => {
		const p = op[member];
		if (typeof p !== "string")
			fail("invalid_op", p === undefined ? `${kind}: missing '${member}'`
				: `${kind}: '${member}' must be a string, got ${kindOf(p)}`);
		try {
			return parsePointer(p);
		} catch (e) {
			return fail("bad_pointer", `${kind} ${member}: ${e.message}`, p);
		}
	};
	const r = { kind, path: op.path, tokens: pointer("path") };
	if (kind === "move" || kind === "copy") {
		r.fromPath = op.from;
		r.from = pointer("from");
	}
	if (kind === "add" || kind === "replace" || kind === "test") {
		if (op.value === undefined)
			fail("invalid_op", `${kind} ${op.path}: missing 'value'`);
		r.value = op.value;
	}
	return r;
}

const isPrefix = (a, b) => a.length <= b.length && a.every((t, i) => t === b[i]);

/**
 * Applies an RFC 6902 patch to a JSON value and returns the new value; doc
 * is left as it was, and shares with the result every subtree the ops did
 * not touch. All or nothing: the first failing op throws a PatchError.
 * Values in the ops are copied (their frozen lists and objects are shared
 * as they are); with freeze (the default) every new list and object of the
 * result is frozen.
 * @param {any} doc
 * @param {readonly import("./lv.js").PatchOp[]} ops
 * @param {{freeze?: boolean}} [options]
 * @returns {any}
 */
export function applyPatch(doc, ops, options = {}) {
	if (!Array.isArray(ops))
		throw new PatchError("invalid_op", `a patch must be a list of operations, got ${kindOf(ops)}`);
	const freeze = options.freeze !== false;
	const fresh = new Set();                    // the containers this patch made
	const made = (c) => { fresh.add(c); };
	let root = doc;
	let index = 0;
	let op = null;

	const fail = (reason, tokens, what) => {
		const at = formatPointer(tokens);
		throw new PatchError(reason, `op ${index} (${op.kind} ${op.path}): ${at ? at + ": " : ""}${what}`, index, at);
	};
	const writable = (c) => {
		if (fresh.has(c))
			return c;
		const w = Array.isArray(c) ? c.slice() : copyObject(c);
		fresh.add(w);
		return w;
	};
	const listIndex = (list, tokens, i, forAdd) => {
		const t = tokens[i];
		if (t === "-") {
			if (forAdd)
				return list.length;
			return fail("bad_index", tokens.slice(0, i + 1), "'-' (past the end of the list) names no item here");
		}
		if (!INDEX.test(t))
			return fail("bad_index", tokens.slice(0, i + 1), `'${t}' is not a list index`);
		const n = Number(t);
		if (forAdd ? n > list.length : n >= list.length)
			return fail("bad_index", tokens.slice(0, i + 1),
				`index ${n} is out of range (the list has ${list.length} items)`);
		return n;
	};
	/* The member of container c named by tokens[i], or the failure. */
	const member = (c, tokens, i) => {
		if (Array.isArray(c))
			return listIndex(c, tokens, i, false);
		if (!isObject(c))
			return fail("not_container", tokens.slice(0, i), `${kindOf(c)} has no members`);
		if (!hasOwn(c, tokens[i]))
			return fail("missing", tokens.slice(0, i + 1), "no such member");
		return tokens[i];
	};
	const read = (tokens) => {
		let v = root;
		for (let i = 0; i < tokens.length; i++)
			v = v[member(v, tokens, i)];
		return v;
	};
	/* The parent of the target, made writable with every container above it. */
	const parentOf = (tokens) => {
		if (!isContainer(root))
			fail("not_container", [], `the document is ${kindOf(root)}, it has no members`);
		root = writable(root);
		let c = root;
		for (let i = 0; i < tokens.length - 1; i++) {
			const k = member(c, tokens, i);
			const v = c[k];
			if (!isContainer(v))
				fail("not_container", tokens.slice(0, i + 1), `${kindOf(v)} has no members`);
			const w = writable(v);
			if (w !== v)
				put(c, k, w);
			c = w;
		}
		return c;
	};
	const add = (tokens, value) => {
		if (tokens.length === 0) {
			root = value;
			return;
		}
		const parent = parentOf(tokens);
		const last = tokens.length - 1;
		if (Array.isArray(parent))
			parent.splice(listIndex(parent, tokens, last, true), 0, value);
		else if (isObject(parent))
			put(parent, tokens[last], value);
		else
			fail("not_container", tokens.slice(0, last), `${kindOf(parent)} has no members`);
	};
	const remove = (tokens) => {
		if (tokens.length === 0)
			return fail("root", [], "the whole document cannot be removed");
		const parent = parentOf(tokens);
		const k = member(parent, tokens, tokens.length - 1);
		const v = parent[k];
		if (Array.isArray(parent))
			parent.splice(/** @type {number} */ (k), 1);
		else
			delete parent[k];
		return v;
	};
	const replace = (tokens, value) => {
		if (tokens.length === 0) {
			root = value;
			return;
		}
		const parent = parentOf(tokens);
		put(parent, member(parent, tokens, tokens.length - 1), value);
	};
	/* An op's value, its own. */
	const own = (v) => {
		try {
			return ownValue(v, op.path, index, made, false);
		} catch (e) {
			if (e instanceof PatchError)
				throw new PatchError(e.reason, `op ${index} (${op.kind} ${op.path}): ${e.message}`, index, e.path);
			throw e;
		}
	};
	/* A copy of the parts of v this patch made (the rest is shared). */
	const unshare = (v) => {
		if (!fresh.has(v))
			return v;
		const c = Array.isArray(v) ? v.map(unshare) : {};
		if (!Array.isArray(v))
			for (const k of Object.keys(v))
				put(c, k, unshare(v[k]));
		fresh.add(c);
		return c;
	};

	for (; index < ops.length; index++) {
		op = readOp(ops[index], index);
		switch (op.kind) {
		case "add":
			add(op.tokens, own(op.value));
			break;
		case "remove":
			remove(op.tokens);
			break;
		case "replace":
			replace(op.tokens, own(op.value));
			break;
		case "move":
			if (op.from.length === op.tokens.length && isPrefix(op.from, op.tokens)) {
				read(op.from);                  // onto itself: nothing moves, if it is there
				break;
			}
			if (isPrefix(op.from, op.tokens))
				fail("into_itself", op.tokens, `cannot move ${op.fromPath || "the document"} into its own child`);
			add(op.tokens, remove(op.from));
			break;
		case "copy":
			add(op.tokens, unshare(read(op.from)));
			break;
		case "test": {
			const v = read(op.tokens);
			if (!deepEqual(v, op.value))
				fail("test_failed", op.tokens, `the value is not the one tested (${brief(op.value)})`);
			break;
		}
		}
	}
	if (freeze) {
		const freezeNew = (v) => {
			if (!fresh.has(v))
				return;
			fresh.delete(v);
			for (const k of Object.keys(v))
				freezeNew(v[k]);
			Object.freeze(v);
		};
		freezeNew(root);
	}
	return root;
}

// ---- diff ---------------------------------------------------------------------------

/**
 * The ops from a to b under the pointer at (diff(a, b) is at ""), onto ops.
 * Object members that are undefined in b count as absent.
 * @param {unknown} a
 * @param {unknown} b
 * @param {string} at
 * @param {object[]} ops
 */
export function diffAt(a, b, at, ops) {
	if (a === b)
		return ops;
	if (b === undefined)
		throw new PatchError("not_json", `diff: ${at || "the new value"}: undefined has no JSON form`, -1, at);
	if (Array.isArray(a) && Array.isArray(b)) {
		if (a.length === b.length) {
			for (let i = 0; i < a.length; i++)
				diffAt(a[i], b[i], `${at}/${i}`, ops);
			return ops;
		}
	} else if (isObject(a) && isPlainObject(b)) {
		for (const k of Object.keys(a))
			if (!hasOwn(b, k) || b[k] === undefined)
				ops.push({ op: "remove", path: `${at}/${escapeToken(k)}` });
		for (const k of Object.keys(b)) {
			if (b[k] === undefined)
				continue;
			const path = `${at}/${escapeToken(k)}`;
			if (hasOwn(a, k))
				diffAt(a[k], b[k], path, ops);
			else
				ops.push({ op: "add", path, value: b[k] });
		}
		return ops;
	}
	ops.push({ op: "replace", path: at, value: b });
	return ops;
}

/**
 * A patch that turns a into b: apply(a, diff(a, b)) deep-equals b. Equal
 * identities are skipped without a look inside; objects go member by
 * member (remove, add, or the diff of the member); lists of the same length
 * item by item; a list whose length differs, or a value whose kind differs,
 * is replaced. The values of the ops are b's own (not copied).
 * @param {unknown} a
 * @param {unknown} b
 * @returns {import("./lv.js").PatchOp[]}
 */
export function diff(a, b) {
	return diffAt(a, b, "", []);
}

// ---- coalesce -----------------------------------------------------------------------

/* How many kept ops a merge looks back over at most: past them it keeps the
 * op as it is (still the same patch, less short), so that a long patch
 * coalesces in linear time. */
const LOOK_BACK = 256;

/**
 * The same patch, shorter, for sending: ops are merged with the ones before
 * them, going back as long as nothing in between could change what their
 * path names (an op on an overlapping path, an add or remove that may shift
 * the list items on the path, or a move, copy or test):
 *   - a replace or remove drops the earlier ops under its path, and an
 *     earlier replace of the same path;
 *   - a replace after an add of the same path becomes the add's value;
 *   - an add after a remove of the same path becomes a replace;
 *   - a remove after an add of the same path cancels both, which holds when
 *     the add created its target (an add over a member that was there is a
 *     replace, and diff() and the store write it as one); {addCreates: false}
 *     keeps the two for ops from elsewhere.
 * The result applies as the ops do to any document they apply to. Malformed
 * ops throw PatchError as in applyPatch. The result is a new list; the ops
 * not merged are the ones given.
 * @param {readonly import("./lv.js").PatchOp[]} ops
 * @param {{addCreates?: boolean}} [options]
 * @returns {import("./lv.js").PatchOp[]}
 */
export function coalesce(ops, options = {}) {
	if (!Array.isArray(ops))
		throw new PatchError("invalid_op", `a patch must be a list of operations, got ${kindOf(ops)}`);
	const addCreates = options.addCreates !== false;
	const out = new Kept();
	for (let index = 0; index < ops.length; index++) {
		const r = readOp(ops[index], index);
		// an add of the root is a replace of it
		const kind = r.kind === "add" && r.tokens.length === 0 ? "replace" : r.kind;
		const L = { kind, tokens: r.tokens, prefixes: prefixes(r.tokens), op: ops[index] };
		if (!out.anyAtOrUnder(L))
			out.push(L);                         // nothing there to merge with
		else if (kind === "replace" || kind === "remove")
			mergeOverwrite(out, L, addCreates);
		else if (kind === "add")
			mergeAdd(out, L);
		else
			out.push(L);
	}
	return out.list.map((x) => x.op);
}

/* The pointers of a path and of every container above it, the root first. */
function prefixes(tokens) {
	const list = [""];
	let s = "";
	for (const t of tokens)
		list.push(s += "/" + escapeToken(t));
	return list;
}

/* The ops kept so far, and how many of them are at or under each pointer. */
class Kept {
	constructor() {
		this.list = [];
		this.under = new Map();
	}

	count(x, n) {
		for (const p of x.prefixes)
			this.under.set(p, (this.under.get(p) || 0) + n);
	}

	anyAtOrUnder(x) {
		return (this.under.get(x.prefixes[x.prefixes.length - 1]) || 0) > 0;
	}

	push(x) {
		this.list.push(x);
		this.count(x, 1);
	}

	drop(i) {
		this.count(this.list[i], -1);
		this.list.splice(i, 1);
	}
}

/* Whether x, an op kept between an earlier one and L, leaves what L's path
 * names alone: it touches no path above, at or under it, and shifts no list
 * item on it. */
function independent(x, P) {
	if (x.kind === "move" || x.kind === "copy" || x.kind === "test")
		return false;
	const Q = x.tokens;
	if (isPrefix(Q, P) || isPrefix(P, Q))
		return false;
	if (x.kind === "replace")
		return true;
	// an add or a remove shifts the items after it in its list
	const depth = Q.length - 1;
	if (!isPrefix(Q.slice(0, depth), P))
		return true;                             // not in a container on P's path
	const q = Q[depth];
	const p = P[depth];
	if (!INDEX.test(p))
		return p !== "-";                        // a member name (an object), or the end of a list
	if (q === "-")
		return true;                             // an append moves no item
	if (!INDEX.test(q))
		return true;                             // a member name: the container is an object
	return Number(p) < Number(q);
}

/* Whether x goes through an item after P's in P's list: an add or a remove
 * at P shifted what x names, so the two cannot cancel out under it. */
function afterInList(x, P) {
	const d = P.length - 1;
	if (d < 0 || !INDEX.test(P[d]))
		return false;
	const Q = x.tokens;
	return Q.length > d && isPrefix(P.slice(0, d), Q) && INDEX.test(Q[d]) && Number(Q[d]) > Number(P[d]);
}

const samePath = (a, b) => a.length === b.length && isPrefix(a, b);
const isBarrier = (x) => x.kind === "move" || x.kind === "copy" || x.kind === "test";

/* L is a replace or a remove. */
function mergeOverwrite(out, L, addCreates) {
	const P = L.tokens;
	const list = out.list;
	let shifted = false;                         // an op kept in between names an item after P's
	for (let i = list.length - 1, seen = 0; i >= 0 && seen < LOOK_BACK; i--) {
		const x = list[i];
		const Q = x.tokens;
		if (!isBarrier(x) && Q.length > P.length && isPrefix(P, Q)) {
			out.drop(i);                         // under L's path: overwritten
			continue;
		}
		if (samePath(P, Q)) {
			if (x.kind === "replace") {
				out.drop(i);
				continue;
			}
			if (x.kind === "add" && L.kind === "replace") {
				list[i] = { ...x, op: { op: "add", path: x.op.path, value: L.op.value } };
				return;
			}
			if (x.kind === "add" && L.kind === "remove" && addCreates && !shifted) {
				out.drop(i);
				return;
			}
			break;
		}
		if (!independent(x, P))
			break;
		shifted ||= afterInList(x, P);
		seen++;
	}
	out.push(L);
}

/* L is an add (not of the root). */
function mergeAdd(out, L) {
	const P = L.tokens;
	const list = out.list;
	let shifted = false;
	for (let i = list.length - 1, seen = 0; i >= 0 && seen < LOOK_BACK; i--) {
		const x = list[i];
		if (samePath(P, x.tokens)) {
			if (x.kind === "remove" && !shifted) {
				list[i] = { ...x, kind: "replace", op: { op: "replace", path: x.op.path, value: L.op.value } };
				return;
			}
			break;
		}
		if (!independent(x, P))
			break;
		shifted ||= afterInList(x, P);
		seen++;
	}
	out.push(L);
}
