// codec.test.js - the schema validator: one test per rule of the C codec
// (runtime/src/codec.c), with its message and path.
import assert from "node:assert/strict";
import { test } from "node:test";

import {
	CodecError, base64Valid, compileSchema, decode, decodeArgs, encode, encodeArgs, fromBase64, toBase64,
} from "../../runtime/js/codec.js";
import { LvError } from "../../runtime/js/errors.js";
import { flush, kitchenSchema, setup } from "./helpers.js";

const codec = compileSchema(kitchenSchema());
const T = (s) => codec.parse(s);
const ep = (name) => codec.endpoints.get(name);
const item = (extra = {}) => ({ id: 1, name: "a", tags: [], ...extra });

/* The CodecError thrown by fn, as {message, path}. */
function failure(fn) {
	try {
		fn();
	} catch (e) {
		assert.ok(e instanceof CodecError, `expected a CodecError, got ${e}`);
		return { message: e.message, path: e.path };
	}
	assert.fail("no error was thrown");
}

test("int: a string is 'expected int, got string'", () => {
	assert.deepEqual(failure(() => decode(T("int"), "3")), { message: "expected int, got string", path: "" });
	assert.deepEqual(failure(() => encode(T("int"), true)), { message: "expected int, got bool", path: "" });
});

test("int: a fraction is 'expected int, got a number with a fraction'", () => {
	assert.equal(failure(() => decode(T("int"), 1.5)).message, "expected int, got a number with a fraction");
});

test("int: beyond the safe integers is 'int out of range'", () => {
	assert.equal(failure(() => decode(T("int"), 2 ** 53)).message, "int out of range");
	assert.equal(failure(() => encode(T("int"), -(2 ** 60))).message, "int out of range");
	assert.equal(decode(T("int"), Number.MAX_SAFE_INTEGER), Number.MAX_SAFE_INTEGER);
	assert.equal(encode(T("int"), 12n), 12);
	assert.equal(failure(() => encode(T("int"), 2n ** 63n)).message, "int out of range");
});

test("float: numbers only, and finite ones", () => {
	assert.equal(decode(T("float"), 3), 3);
	assert.equal(failure(() => decode(T("float"), "1.5")).message, "expected float, got string");
	assert.equal(failure(() => encode(T("float"), NaN)).message, "NaN and infinity have no JSON form");
	assert.equal(failure(() => encode(T("float"), -Infinity)).message, "NaN and infinity have no JSON form");
});

test("bool: 'expected bool, got int'", () => {
	assert.equal(failure(() => decode(T("bool"), 1)).message, "expected bool, got int");
	assert.equal(encode(T("bool"), false), false);
});

test("string: 'expected string, got null'", () => {
	assert.equal(failure(() => decode(T("string"), null)).message, "expected string, got null");
	assert.equal(failure(() => encode(T("string"), ["x"])).message, "expected string, got list");
});

test("string: longer than the limit, counted in UTF-8 bytes", () => {
	const lim = { maxDepth: 32, maxItems: 10, maxString: 4 };
	assert.equal(encode(T("string"), "abcd", lim), "abcd");
	assert.equal(failure(() => encode(T("string"), "\u00e9\u00e9\u00e9", lim)).message, "string longer than 4 bytes");
	assert.equal(failure(() => decode(T("string"), "x".repeat((1 << 20) + 1))).message,
	             "string longer than 1048576 bytes");
});

test("string: a NUL character cannot be sent", () => {
	assert.equal(failure(() => encode(T("string"), "a\0b")).message, "string contains a NUL character");
});

test("string: a lone surrogate is 'invalid UTF-8 in a string'", () => {
	assert.equal(failure(() => encode(T("string"), "a\ud800b")).message, "invalid UTF-8 in a string");
	assert.equal(encode(T("string"), "\ud83d\ude00"), "\ud83d\ude00");
});

test("bytes: Uint8Array <-> base64", () => {
	const b = new Uint8Array([0, 1, 2, 250, 251, 252, 253]);
	assert.equal(encode(T("bytes"), b), Buffer.from(b).toString("base64"));
	for (let n = 0; n < 6; n++) {
		const x = new Uint8Array(n).map((_, i) => 200 + i);
		assert.equal(toBase64(x), Buffer.from(x).toString("base64"));
		assert.deepEqual(decode(T("bytes"), toBase64(x)), x);
	}
	assert.deepEqual(fromBase64("AQID"), new Uint8Array([1, 2, 3]));
	assert.equal(encode(T("bytes"), new Uint8Array([1, 2, 3]).buffer), "AQID");
});

test("bytes: the wrong kind of value", () => {
	assert.equal(failure(() => decode(T("bytes"), 5)).message, "expected bytes (a base64 string), got int");
	assert.equal(failure(() => encode(T("bytes"), "AQID")).message, "expected bytes (a Uint8Array), got string");
});

test("bytes: 'invalid base64' by the C decoder's rules", () => {
	for (const bad of ["AQI", "A===", "A=B=", "AB=C", "AQ!D"]) {
		assert.equal(base64Valid(bad), false, bad);
		assert.equal(failure(() => decode(T("bytes"), bad)).message, "invalid base64");
	}
	for (const good of ["", "AB==", "ABC=", "ABCD"])
		assert.equal(base64Valid(good), true, good);
});

test("bytes: longer than the limit", () => {
	const lim = { maxDepth: 32, maxItems: 10, maxString: 3 };
	assert.equal(failure(() => encode(T("bytes"), new Uint8Array(4), lim)).message, "bytes longer than 3 bytes");
	assert.equal(failure(() => decode(T("bytes"), "AAAAAAAA", lim)).message, "bytes longer than 3 bytes");
});

test("enum: 'expected Level (a string), got int'", () => {
	assert.equal(failure(() => decode(T("Level"), 1)).message, "expected Level (a string), got int");
});

test("enum: 'x' is not a member of Level, the value cut at 64 bytes", () => {
	assert.equal(failure(() => decode(T("Level"), "x")).message, "'x' is not a member of Level");
	assert.equal(failure(() => encode(T("Level"), "y".repeat(100))).message,
	             `'${"y".repeat(64)}' is not a member of Level`);
	assert.equal(decode(T("Level"), "mid"), "mid");
});

test("struct: 'expected Item object, got list'", () => {
	assert.equal(failure(() => decode(T("Item"), [])).message, "expected Item object, got list");
});

test("struct: 'missing required field' names the field", () => {
	assert.deepEqual(failure(() => decode(T("Item"), { id: 1, tags: [] })), { message: "missing required field", path: "name" });
});

test("struct: 'unknown field' names the field, before any other problem", () => {
	assert.deepEqual(failure(() => decode(T("Item"), { id: "x", nmae: "a" })), { message: "unknown field", path: "nmae" });
	assert.deepEqual(failure(() => encode(T("Item"), item({ parent: item({ colour: 1 }) }))),
	                 { message: "unknown field", path: "parent.colour" });
});

test("struct: a field with a default is not optional: null is refused", () => {
	assert.deepEqual(failure(() => decode(T("Item"), item({ price: null }))),
	                 { message: "expected float, got null", path: "price" });
});

test("struct: decoding fills in defaults; encoding leaves them to the server", () => {
	assert.deepEqual(decode(T("Item"), item()), { ...item(), price: 0, level: "low" });
	assert.deepEqual(encode(T("Item"), item({ note: undefined })), item());
});

test("struct: an optional field may be null or absent; it is left out", () => {
	const v = decode(T("Item"), item({ note: null, parent: null }));
	assert.equal("note" in v, false);
	assert.equal("parent" in v, false);
	assert.deepEqual(encode(T("Item"), item({ note: null })), item());
	assert.equal(decode(T("Item"), item({ note: "n" })).note, "n");
});

test("struct: an instance of a class is sent by its own properties", () => {
	class Thing {
		constructor() {
			this.id = 2;
			this.name = "t";
			this.tags = ["x"];
		}
		get label() {
			return "not a field";
		}
	}
	assert.deepEqual(encode(T("Item"), new Thing()), { id: 2, name: "t", tags: ["x"] });
	assert.equal(failure(() => encode(T("Item"), new Uint8Array(2))).message, "expected Item object, got bytes");
});

test("list: 'expected list, got object' and paths like item.tags[3]", () => {
	assert.equal(failure(() => decode(T("list<int>"), {})).message, "expected list, got object");
	assert.deepEqual(failure(() => decodeArgs(ep("changed"), { item: item({ tags: ["a", "b", "c", 4] }), why: "x" })),
	                 { message: "expected string, got int", path: "item.tags[3]" });
	assert.deepEqual(failure(() => decode(T("list<Item>"), [item(), item({ tags: [1] })])),
	                 { message: "expected string, got int", path: "[1].tags[0]" });
});

test("list: longer than the limit", () => {
	const lim = { maxDepth: 32, maxItems: 2, maxString: 100 };
	assert.equal(failure(() => decode(T("list<int>"), [1, 2, 3], lim)).message, "list longer than 2 items");
});

test("map: 'expected map (an object), got list', paths by key", () => {
	assert.equal(failure(() => decode(T("map<int>"), [1])).message, "expected map (an object), got list");
	assert.deepEqual(failure(() => decode(T("Item"), item({ counts: { a: 1, b: "2" } }))),
	                 { message: "expected int, got string", path: "counts.b" });
	assert.deepEqual(decode(T("map<int>"), { a: 1 }), { a: 1 });
});

test("map: larger than the limit", () => {
	const lim = { maxDepth: 32, maxItems: 2, maxString: 100 };
	assert.equal(failure(() => decode(T("map<int>"), { a: 1, b: 2, c: 3 }, lim)).message, "map larger than 2 entries");
});

test("depth: 'nested deeper than 32 levels'", () => {
	let v = item();
	for (let i = 0; i < 40; i++)
		v = item({ parent: v });
	const f = failure(() => decode(T("Item"), v));
	assert.equal(f.message, "nested deeper than 32 levels");
	assert.ok(f.path.startsWith("parent.parent."), f.path);
	let ok = item();
	for (let i = 0; i < 31; i++)
		ok = item({ parent: ok });
	assert.equal(decode(T("Item"), ok).id, 1);
});

test("void: 'expected null, got int'", () => {
	assert.equal(failure(() => decode(T("void"), 0)).message, "expected null, got int");
	assert.equal(decode(T("void"), null), null);
});

test("json: anything arrives; what is sent must be JSON", () => {
	assert.deepEqual(decode(T("json"), { a: [1, "x"] }), { a: [1, "x"] });
	assert.deepEqual(encode(T("json"), { a: undefined, b: [1, null], d: new Date(0) }),
	                 { b: [1, null], d: "1970-01-01T00:00:00.000Z" });
	assert.deepEqual(failure(() => encode(T("json"), { a: [NaN] })),
	                 { message: "NaN and infinity have no JSON form", path: "a[0]" });
	const loop = {};
	loop.self = loop;
	assert.equal(failure(() => encode(T("json"), loop)).message, "value nested too deeply (a cycle?)");
	assert.equal(failure(() => encode(T("json"), [() => 1])).message, "json value cannot be encoded");
});

test("arguments: an object of named values; undefined ones are left out", () => {
	assert.deepEqual(failure(() => decodeArgs(ep("get"), [1])),
	                 { message: "arguments must be an object of named values, got list", path: "" });
	assert.deepEqual(encodeArgs(ep("save"), { item: item(), force: undefined }), { item: item() });
	assert.deepEqual(decodeArgs(ep("ask"), { question: "q" }), { question: "q" });
	assert.deepEqual(failure(() => encodeArgs(ep("get"), {})), { message: "missing required field", path: "id" });
});

test("call: bad arguments reject with LvError invalid_argument, message as the server's", async () => {
	const { conn } = setup();
	await assert.rejects(conn.call("get", { id: "7" }), (e) => e instanceof LvError &&
		e.code === "invalid_argument" && e.message === "get: id: expected int, got string" && e.path === "id");
});

test("call: a result that does not fit rejects with LvError internal naming the path", async () => {
	const { conn, welcome } = setup();
	const ws = await welcome();
	const p = conn.call("get", { id: 1 });
	await flush();
	ws.receive({ t: "ret", id: ws.of("call")[0].id, ok: true, value: item({ tags: ["a", 2] }) });
	await assert.rejects(p, (e) => e instanceof LvError && e.code === "internal" &&
		e.path === "result.tags[1]" && e.message === "get: result.tags[1]: expected string, got int");
});

test("call: a good result arrives decoded (bytes as Uint8Array, defaults filled in)", async () => {
	const { conn, welcome } = setup();
	const ws = await welcome();
	const p = conn.call("get", { id: 1 });
	const q = conn.call("blob", { data: new Uint8Array([1, 2, 3]) });
	await flush();
	const [c1, c2] = ws.of("call");
	assert.deepEqual(c2.args, { data: "AQID" });
	ws.receive({ t: "ret", id: c1.id, ok: true, value: item({ data: "AAE=" }) });
	ws.receive({ t: "ret", id: c2.id, ok: true, value: "BAU=" });
	const v = await p;
	assert.deepEqual(v.data, new Uint8Array([0, 1]));
	assert.equal(v.price, 0);
	assert.deepEqual(await q, new Uint8Array([4, 5]));
});
