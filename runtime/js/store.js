// store.js - createStore: one piece of synchronised state on the page, an immutable snapshot changed by JSON Patches, shaped for React's useSyncExternalStore and for plain DOM code. Importing it does nothing.
//
// Two ways of changing it, one per owner:
//   - the server's state: apply(rev, ops) applies a patch of the server's,
//     which must be revision rev + 1 unless it is a snapshot (one replace of
//     the root); anything else throws StoreError "revision", and a patch
//     that fails throws its PatchError, the snapshot left as it was;
//   - the page's state: set(path, value) and update(fn) apply at once and
//     queue their ops; takePending() hands the queue over, coalesced, for
//     sending, and counts the batch as the next revision.
// Subscribers run once per change (a revision of the server's, a set or an
// update), after the snapshot changed; a change made from inside one gets its
// turn after every subscriber has had the current one, so that none sees a
// change half-announced.
//
//     const store = createStore({ count: 0 });
//     const count = useSyncExternalStore(store.subscribe, () => store.select("/count"));
//     store.subscribePath("/count", (n) => { el.textContent = String(n); });
//     store.update((s) => ({ ...s, count: s.count + 1 }));
import {
	PatchError, applyPatch, coalesce, diffAt, formatPointer, ownValue, parsePointer, valueAt,
} from "./patch.js";

export class StoreError extends Error {
	/**
	 * @param {string} code "revision" or "pending"
	 * @param {string} message
	 * @param {{expected?: number, got?: unknown}} [details]
	 */
	constructor(code, message, details = {}) {
		super(message);
		this.name = "StoreError";
		this.code = code;
		/** The revision apply() wanted, for "revision". */
		this.expected = details.expected;
		/** The revision apply() was given, for "revision". */
		this.got = details.got;
	}
}

const INDEX = /^(?:0|[1-9][0-9]*)$/;

/* fn(), its PatchError (of a value with no JSON form) saying where it was. */
function inContext(what, fn) {
	try {
		return fn();
	} catch (e) {
		if (e instanceof PatchError)
			throw new PatchError(e.reason, `lv store: ${what}: ${e.message}`, e.index, e.path);
		throw e;
	}
}
const isObject = (v) => v !== null && typeof v === "object" && !Array.isArray(v);

/** A patch that is one replace of the whole document. */
const isSnapshot = (ops) => Array.isArray(ops) && ops.length === 1 && ops[0] !== null &&
	typeof ops[0] === "object" && ops[0].op === "replace" && ops[0].path === "";

/**
 * A store of one JSON value.
 * @param {unknown} [initial] the first snapshot (null when not given); copied
 * @param {{freeze?: boolean, onError?: (error: unknown) => void}} [options]
 *   freeze (true): the snapshots are frozen, deeply; onError: what a
 *   subscriber throws goes there (default: console.error)
 */
export function createStore(initial = null, options = {}) {
	const freeze = options.freeze !== false;
	const onError = options.onError || ((e) => console.error("lv store: a subscriber threw:", e));
	let snapshot = inContext("createStore", () => ownValue(initial, "", -1, null, freeze));
	let rev = 0;
	/** @type {object[]} */
	let pending = [];
	/** Subscriptions in order: {fn} or {fn, tokens, last}. */
	const subs = new Set();
	const queue = [];
	let notifying = false;

	const publish = () => {
		queue.push({ snapshot, rev });
		if (notifying)
			return;
		notifying = true;
		try {
			while (queue.length > 0) {
				const { snapshot: s, rev: r } = queue.shift();
				for (const sub of [...subs]) {
					if (!subs.has(sub))
						continue;               // unsubscribed by one before it
					try {
						if (sub.tokens === undefined) {
							sub.fn(s, r);
						} else {
							const v = valueAt(s, sub.tokens);
							if (v !== sub.last) {
								const previous = sub.last;
								sub.last = v;
								sub.fn(v, previous);
							}
						}
					} catch (e) {
						onError(e);
					}
				}
			}
		} finally {
			notifying = false;
		}
	};

	const needFunction = (what, fn) => {
		if (typeof fn !== "function")
			throw new TypeError(`lv store: ${what} needs a function, got ${fn === null ? "null" : typeof fn}`);
	};
	const subscribeEntry = (what, sub) => {
		needFunction(what, sub.fn);
		subs.add(sub);
		return () => {
			subs.delete(sub);
		};
	};

	/* The page's own ops (of set or update): values made its own, applied, queued. */
	const commit = (what, ops) => {
		if (ops.length === 0)
			return snapshot;
		inContext(what, () => {
			for (let i = 0; i < ops.length; i++)
				if (ops[i].value !== undefined)
					ops[i] = { ...ops[i], value: ownValue(ops[i].value, ops[i].path, i, null, freeze) };
		});
		snapshot = applyPatch(snapshot, ops, { freeze });
		for (const op of ops)
			pending.push(op);
		publish();
		return snapshot;
	};

	return {
		/** The current snapshot. */
		get: () => snapshot,
		/** The revision: the server's last applied, or the page's last taken batch. */
		get rev() {
			return rev;
		},
		/**
		 * fn(snapshot, rev) after every change; returns the unsubscribe function.
		 * @param {(snapshot: any, rev: number) => void} fn
		 */
		subscribe: (fn) => subscribeEntry("subscribe", { fn }),
		/**
		 * The value at a pointer of the current snapshot (undefined when none).
		 * @param {string} path
		 * @returns {any}
		 */
		select: (path) => valueAt(snapshot, path),
		/**
		 * fn(value, previous) when the value at the pointer is another one (by
		 * identity: untouched parts keep theirs); returns the unsubscribe function.
		 * @param {string} path
		 * @param {(value: any, previous: any) => void} fn
		 */
		subscribePath: (path, fn) => {
			const tokens = parsePointer(path);
			return subscribeEntry("subscribePath", { fn, tokens, last: valueAt(snapshot, tokens) });
		},
		/**
		 * A patch of the server's, revision rev.
		 * @param {number} next
		 * @param {readonly import("./lv.js").PatchOp[]} ops
		 */
		apply: (next, ops) => {
			if (!Number.isSafeInteger(next) || next < 0)
				throw new StoreError("revision", `lv store: a revision is a whole number >= 0, got ${String(next)}`,
					{ expected: rev + 1, got: next });
			if (!isSnapshot(ops) && next !== rev + 1)
				throw new StoreError("revision",
					`lv store: revision ${next} does not follow ${rev} and is not a snapshot: resync`,
					{ expected: rev + 1, got: next });
			if (pending.length > 0)
				throw new StoreError("pending",
					`lv store: revision ${next} from the server while ${pending.length} change(s) of the page wait to be sent`);
			snapshot = applyPatch(snapshot, ops, { freeze });
			rev = next;
			publish();
			return snapshot;
		},
		/**
		 * Sets the value at a pointer (the parent must be there; "-" appends to a
		 * list); only what differs becomes ops.
		 * @param {string} path
		 * @param {unknown} value
		 */
		set: (path, value) => {
			const tokens = parsePointer(path);
			const at = formatPointer(tokens);
			if (value === undefined)
				throw new PatchError("not_json", `lv store: set ${at}: undefined has no JSON form`, 0, at);
			if (tokens.length === 0)
				return commit("set", inContext("set", () => diffAt(snapshot, value, "", [])));
			const parent = valueAt(snapshot, tokens.slice(0, -1));
			const last = tokens[tokens.length - 1];
			const there = Array.isArray(parent) ? INDEX.test(last) && Number(last) < parent.length
				: isObject(parent) && Object.prototype.hasOwnProperty.call(parent, last);
			// an add where nothing is; applyPatch says why when the parent is not there either
			return commit("set", there ? inContext("set", () => diffAt(parent[last], value, at, []))
				: [{ op: "add", path: at, value }]);
		},
		/**
		 * fn gets the current snapshot and returns the next; what differs
		 * (by identity first) becomes ops.
		 * @param {(snapshot: any) => unknown} fn
		 */
		update: (fn) => {
			needFunction("update", fn);
			const next = fn(snapshot);
			if (next === undefined)
				throw new PatchError("not_json", "lv store: update: the function returned undefined", 0, "");
			return commit("update", inContext("update", () => diffAt(snapshot, next, "", [])));
		},
		/**
		 * The page's ops since the last take, coalesced, or null when there are
		 * none (or they cancelled out); a batch advances rev by one.
		 * @returns {import("./lv.js").PatchOp[] | null}
		 */
		takePending: () => {
			if (pending.length === 0)
				return null;
			const ops = coalesce(pending);
			pending = [];
			if (ops.length === 0)
				return null;
			rev++;
			return ops;
		},
	};
}
