// asyncapi.test.js - lvc --asyncapi: the documents it writes are valid
// against the official AsyncAPI 3.0.0 JSON Schema (@asyncapi/specs, draft-07,
// checked with ajv), every local $ref resolves, the payload schemas accept
// the messages the protocol really sends, and they match the goldens in
// tests/codegen/asyncapi/ (UPDATE=1 rewrites them). LVC names the lvc binary
// (default build/lvc).
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { createRequire } from "node:module";
import { join, resolve } from "node:path";
import { test } from "node:test";

import { ROOT } from "./helpers.js";

const require = createRequire(import.meta.url);
const Ajv = require("ajv");          // draft-07, the dialect of the AsyncAPI schema
const addFormats = require("ajv-formats");
const specs = require("@asyncapi/specs");

const LVC = process.env.LVC ? resolve(process.env.LVC) : join(ROOT, "build/lvc");
const GOLDEN = join(ROOT, "tests/codegen/asyncapi");

/* The contracts described, and whether each has a golden. */
const CONTRACTS = [
	{ name: "app", lv: "tests/integration/app.lv", golden: true },
	{ name: "chat", lv: "examples/chat/chat.lv", golden: true },
	{ name: "codec", lv: "tests/codegen/codec.lv", golden: true },
	{ name: "states", lv: "tests/cases/valid/states/input.lv", golden: true },
	{ name: "models", lv: "tests/cases/valid/models/input.lv", golden: true },
	{ name: "dashboard", lv: "examples/dashboard/dashboard.lv" },
	{ name: "plant", lv: "tests/js/fixtures/plant.lv" },
	{ name: "kitchen", lv: "tests/js/fixtures/kitchen.lv" },
	{ name: "every_endpoint_kind", lv: "tests/cases/valid/every_endpoint_kind/input.lv" },
	{ name: "every_type", lv: "tests/cases/valid/every_type/input.lv" },
	{ name: "module_policy_auth", lv: "tests/cases/valid/module_policy_auth/input.lv" },
	{ name: "defaults", lv: "tests/cases/valid/defaults/input.lv" },
];

function lvc(args) {
	if (!existsSync(LVC))
		throw new Error(`${LVC} is missing: run 'make lvc' first (or set LVC)`);
	return execFileSync(LVC, args, { cwd: ROOT, stdio: ["ignore", "pipe", "pipe"] }).toString();
}

function describe(lv, extra = []) {
	return lvc(["--asyncapi", "-", ...extra, lv]);
}

let validator = null;
function validate(doc) {
	if (!validator) {
		/* The bundled schema carries the draft-07 meta-schema among its
		 * definitions (AsyncAPI's Schema Object refers to it), under the $id
		 * that ajv gives its own copy: so ajv is made without its own. */
		const ajv = new Ajv({ allErrors: true, strict: false, meta: false, validateSchema: false });
		addFormats(ajv);
		validator = ajv.compile(specs.schemas["3.0.0"]);
	}
	const ok = validator(doc);
	return ok ? [] : validator.errors.map((e) => `${e.instancePath} ${e.message} ${JSON.stringify(e.params)}`);
}

/* Every "$ref" in doc, with where it is. */
function refs(node, path = "", out = []) {
	if (Array.isArray(node))
		node.forEach((v, i) => refs(v, `${path}/${i}`, out));
	else if (node && typeof node === "object")
		for (const [k, v] of Object.entries(node)) {
			if (k === "$ref" && typeof v === "string")
				out.push([path, v]);
			else
				refs(v, `${path}/${k}`, out);
		}
	return out;
}

function pointer(doc, ref) {
	assert.ok(ref.startsWith("#/"), `not a local $ref: ${ref}`);
	let node = doc;
	for (const part of ref.slice(2).split("/")) {
		const key = part.replace(/~1/g, "/").replace(/~0/g, "~");
		if (!node || typeof node !== "object" || !(key in node))
			return undefined;
		node = node[key];
	}
	return node;
}

/* A validator for one message's payload, its $refs into components. */
function payloadValidator(doc, messageKey) {
	const msg = doc.components.messages[messageKey];
	assert.ok(msg, `no message ${messageKey}`);
	const ajv = new Ajv({ strict: false });
	addFormats(ajv);
	return ajv.compile({ ...msg.payload, components: { schemas: doc.components.schemas } });
}

for (const c of CONTRACTS) {
	test(`${c.lv}: valid AsyncAPI 3.0.0, every $ref resolves${c.golden ? ", as the golden" : ""}`, () => {
		const text = describe(c.lv);
		const doc = JSON.parse(text);
		assert.deepEqual(validate(doc), [], `${c.lv}: schema errors`);
		for (const [where, ref] of refs(doc))
			assert.notEqual(pointer(doc, ref), undefined, `${c.lv}: ${where}: $ref ${ref} resolves to nothing`);
		/* An operation's messages are its channel's. */
		for (const [id, op] of Object.entries(doc.operations)) {
			const chan = op.channel.$ref;
			for (const m of [...op.messages, ...(op.reply ? op.reply.messages : [])])
				assert.ok(m.$ref.startsWith(`${chan}/messages/`), `${id}: ${m.$ref} is not in ${chan}`);
		}
		if (!c.golden)
			return;
		const file = join(GOLDEN, `${c.name}.json`);
		if (process.env.UPDATE === "1") {
			mkdirSync(GOLDEN, { recursive: true });
			writeFileSync(file, text);
		}
		assert.ok(existsSync(file), `${file} is missing: run with UPDATE=1`);
		assert.equal(text, readFileSync(file, "utf8"), `${c.name}.json differs from the golden (UPDATE=1 rewrites it)`);
	});
}

test("the schema catches what is wrong: a document without info fails", () => {
	const doc = JSON.parse(describe("examples/chat/chat.lv"));
	delete doc.info;
	assert.notDeepEqual(validate(doc), []);
	const bad = JSON.parse(describe("examples/chat/chat.lv"));
	bad.operations.join.action = "publish";   /* AsyncAPI 2's word */
	assert.notDeepEqual(validate(bad), []);
	/* Deep down too: a payload schema, a correlation id, a message. */
	const deep = [
		(d) => { d.components.schemas.Message.required = "id"; },
		(d) => { d.components.messages["join.call"].payload.properties.t = { type: "strin" }; },
		(d) => { delete d.components.messages["join.call"].correlationId.location; },
		(d) => { d.operations.join.reply.correlationId = 1; },
	];
	for (const f of deep) {
		const d = JSON.parse(describe("examples/chat/chat.lv"));
		f(d);
		assert.notDeepEqual(validate(d), [], f.toString());
	}
});

test("chat: info, server, directions, reply with a correlation id, security", () => {
	const doc = JSON.parse(describe("examples/chat/chat.lv", ["--asyncapi-version", "1.2.3"]));
	assert.equal(doc.asyncapi, "3.0.0");
	assert.equal(doc.info.title, "chat");
	assert.equal(doc.info.version, "1.2.3");
	assert.match(doc.info.description, /^Chat rooms\./);
	assert.equal(doc.servers.ws.protocol, "ws");
	assert.equal(doc.servers.ws.pathname, "/lv/ws");

	const join = doc.operations.join;
	assert.equal(join.action, "receive");
	assert.match(join.summary, /^Enters a room under a name/);
	assert.deepEqual(join.reply.messages, [{ $ref: "#/channels/socket/messages/join.ret" }]);
	for (const k of ["join.call", "join.ret"])
		assert.equal(doc.components.messages[k].correlationId.location, "$message.payload#/id");

	assert.equal(doc.operations.message.action, "send");          /* a push */
	assert.equal(doc.operations.typing.action, "receive");        /* server.realtime */
	assert.equal(doc.operations.room_cleared.action, "send");     /* client.on custom event */
	const confirm = doc.operations.confirm;                       /* client.rpc */
	assert.equal(confirm.action, "send");
	assert.deepEqual(confirm.reply.messages, [{ $ref: "#/channels/socket/messages/confirm.cret" }]);
	assert.equal(doc.components.messages["confirm.ccall"].correlationId.location, "$message.payload#/id");
	assert.equal(doc.operations.connected, undefined, "a lifecycle event is not on the wire");
	assert.ok(doc["x-lv-local-events"].some((e) => e.endpoint === "left" && e.lifecycle));

	/* @public module: nothing to present. */
	assert.equal(join.security, undefined);
	assert.equal(join["x-lv-public"], true);
	/* HTTP rpc. */
	assert.equal(doc.operations["post.http"].bindings.http.method, "POST");
	assert.equal(doc.channels["post.http"].address, "/post");
	assert.equal(doc.servers.http.pathname, "/lv/rpc");
});

test("payload schemas accept what the protocol sends and refuse what the decoders refuse", () => {
	const doc = JSON.parse(describe("examples/chat/chat.lv"));
	const call = payloadValidator(doc, "join.call");
	assert.ok(call({ t: "call", id: 7, fn: "join", args: { room: "lobby", name: "ann" }, seq: 12 }), JSON.stringify(call.errors));
	assert.ok(!call({ t: "call", id: 7, fn: "join", args: { room: "lobby" }, seq: 12 }), "a required argument is missing");
	assert.ok(!call({ t: "call", id: 7, fn: "join", args: { room: "lobby", name: "a", x: 1 }, seq: 12 }), "unknown argument");
	assert.ok(!call({ t: "call", id: 7, fn: "post", args: { room: "lobby", name: "a" }, seq: 12 }), "another fn");

	const ret = payloadValidator(doc, "join.ret");
	const msg = { id: 1, room: "lobby", from: "ann", text: "hi", sent: 1.5 };
	assert.ok(ret({ t: "ret", id: 7, ok: true, value: [msg, { ...msg, reply_to: null }, { ...msg, reply_to: 3 }], seq: 30 }), JSON.stringify(ret.errors));
	assert.ok(ret({ t: "ret", id: 8, ok: false, error: { code: "invalid_argument", message: "join: room", path: "room" }, seq: 31 }), JSON.stringify(ret.errors));
	assert.ok(!ret({ t: "ret", id: 7, ok: true, value: [{ ...msg, sent: "x" }], seq: 30 }));
	assert.ok(!ret({ t: "ret", id: 8, ok: false, error: { code: "nope", message: "" }, seq: 31 }));

	const post = payloadValidator(doc, "post.call");   /* reply_to: int? = null: may be left out */
	assert.ok(post({ t: "call", id: 1, fn: "post", args: { room: "r", text: "t" }, seq: 1 }), JSON.stringify(post.errors));

	const typing = payloadValidator(doc, "typing_in.push");   /* volatile: no seq */
	assert.ok(typing({ t: "push", fn: "typing_in", args: { room: "r", who: "w" } }), JSON.stringify(typing.errors));
	const push = payloadValidator(doc, "presence.push");
	assert.ok(push({ t: "push", fn: "presence", args: { room: "r", who: "w", state: "online" }, seq: 2 }));
	assert.ok(!push({ t: "push", fn: "presence", args: { room: "r", who: "w", state: "away" }, seq: 2 }), "not a member of the enum");
	const ev = payloadValidator(doc, "room_cleared.event");
	assert.ok(ev({ t: "event", name: "room_cleared", args: { room: "r", by: "b" }, seq: 3 }), JSON.stringify(ev.errors));
	const cret = payloadValidator(doc, "confirm.cret");
	assert.ok(cret({ t: "cret", id: 3, ok: true, value: true, seq: 4 }), JSON.stringify(cret.errors));
});

test("app: types (int bounds, bytes, json, maps, optional, defaults) and auth roles as security schemes", () => {
	const doc = JSON.parse(describe("tests/integration/app.lv"));
	const item = doc.components.schemas.Item;
	assert.equal(item.additionalProperties, false);
	assert.ok(item.required.includes("id") && !item.required.includes("note") && !item.required.includes("level"));
	assert.equal(item.properties.id.type, "integer");
	assert.equal(item.properties.id.maximum, 9223372036854775807);
	assert.equal(item.properties.raw.contentEncoding, "base64");
	assert.deepEqual(item.properties.extra, {});
	assert.equal(item.properties.counts.type, "object");
	assert.equal(item.properties.level.default, 3);
	assert.deepEqual(doc.components.schemas.Color.enum, ["red", "green", "blue"]);

	const admin = doc.operations.admin_only;
	assert.deepEqual(admin.security, [{ $ref: "#/components/securitySchemes/role.admin" }]);
	assert.equal(doc.components.securitySchemes["role.admin"].type, "httpApiKey");
	assert.deepEqual(doc.operations.whoami.security, [{ $ref: "#/components/securitySchemes/authenticated" }]);
	assert.equal(doc.operations.ping.security, undefined);
	assert.deepEqual(doc.operations["admin_only.http"].security, admin.security);

	const items = payloadValidator(doc, "echo_item.call");
	const good = { id: 1, name: "n", ratio: 0.5, on: true, tags: [], counts: { a: 1 }, color: "red", raw: "AAE=", extra: [1, "x"] };
	assert.ok(items({ t: "call", id: 1, fn: "echo_item", args: { item: good }, seq: 1 }), JSON.stringify(items.errors));
	assert.ok(!items({ t: "call", id: 1, fn: "echo_item", args: { item: { ...good, id: 1.5 } }, seq: 1 }), "an int with a fraction");
	assert.ok(!items({ t: "call", id: 1, fn: "echo_item", args: { item: { ...good, counts: { a: "x" } } }, seq: 1 }));
});

test("lvc --asyncapi FILE writes the file; two inputs are a usage error", () => {
	const out = join(ROOT, "build/js-test/asyncapi-chat.json");
	mkdirSync(join(ROOT, "build/js-test"), { recursive: true });
	lvc(["--asyncapi", out, "examples/chat/chat.lv"]);
	assert.deepEqual(JSON.parse(readFileSync(out, "utf8")), JSON.parse(describe("examples/chat/chat.lv")));
	assert.throws(() => lvc(["--asyncapi", "-", "examples/chat/chat.lv", "tests/codegen/codec.lv"]),
		(e) => e.status === 2);
});

test("states: operations by owner, snapshots, patches as RFC 6902 operations, state_sync, security", () => {
	const doc = JSON.parse(describe("tests/cases/valid/states/input.lv"));
	const plant = doc.operations.plant;                            /* server.state, by group */
	assert.equal(plant.action, "send");
	assert.deepEqual(plant.messages.map((m) => m.$ref.split("/").pop()), ["plant.snapshot", "plant.patch", "plant.left"]);
	assert.deepEqual(plant["x-lv-state"], { owner: "server", scope: "group", flush: "200ms", type: "Plant" });
	assert.equal(plant.summary, "The plant every operator of a group sees.");
	assert.equal(plant["x-lv-public"], true);
	assert.equal(doc.operations["plant.sync"].action, "receive");
	assert.deepEqual(doc.operations["plant.sync"].reply.messages, [{ $ref: "#/channels/socket/messages/plant.snapshot" }]);
	assert.equal(doc.operations.notices["x-lv-state"].flush, "manual");
	assert.equal(doc.operations.session_info["x-lv-state"].scope, "conn");
	assert.equal(doc.operations["session_info"].messages.length, 2, "no group, no left");

	const prefs = doc.operations.prefs;                            /* client.state */
	assert.equal(prefs.action, "receive");
	assert.deepEqual(prefs["x-lv-state"], { owner: "page", flush: "200ms", max_bytes: 4096, type: "Prefs" });
	assert.deepEqual(prefs.security, [{ $ref: "#/components/securitySchemes/role.operator" }]);
	assert.equal(doc.operations["prefs.resync"].action, "send");
	assert.ok(doc.operations["lv.error"], "a refused change is answered with an error");

	const cells = { m1: { name: "press", temp: 21.5, on: true } };
	const snap = payloadValidator(doc, "plant.snapshot");
	assert.ok(snap({ t: "state", name: "plant", group: "g1", rev: 0, ops: [{ op: "replace", path: "", value: { machines: cells, alarms: [] } }], seq: 9 }), JSON.stringify(snap.errors));
	assert.ok(!snap({ t: "state", name: "plant", group: "g1", rev: 0, ops: [{ op: "replace", path: "", value: { machines: 1, alarms: [] } }], seq: 9 }), "not of the state's type");
	assert.ok(!snap({ t: "state", name: "plant", rev: 0, ops: [{ op: "replace", path: "", value: { machines: {}, alarms: [] } }], seq: 9 }), "a group state names its group");
	const patch = payloadValidator(doc, "plant.patch");
	const ops = [
		{ op: "add", path: "/machines/m2", value: { name: "saw", temp: 20, on: false } },
		{ op: "remove", path: "/alarms/0" },
		{ op: "replace", path: "/machines/m1/temp", value: 22 },
		{ op: "move", from: "/alarms/1", path: "/alarms/0" },
	];
	assert.ok(patch({ t: "state", name: "plant", group: "g1", rev: 5, ops, seq: 10 }), JSON.stringify(patch.errors));
	assert.ok(!patch({ t: "state", name: "plant", group: "g1", rev: 5, ops: [{ op: "frobnicate", path: "" }], seq: 10 }), "not an RFC 6902 op");
	assert.ok(!patch({ t: "state", name: "plant", group: "g1", rev: 5, ops: [{ op: "add", path: "/x" }], seq: 10 }), "add without a value");
	assert.ok(!patch({ t: "state", name: "plant", group: "g1", rev: 5, ops: [{ op: "remove", path: "x" }], seq: 10 }), "not a JSON Pointer");
	const left = payloadValidator(doc, "plant.left");
	assert.ok(left({ t: "state", name: "plant", group: "g1", rev: 0, ops: null, seq: 11 }), JSON.stringify(left.errors));
	const sync = payloadValidator(doc, "plant.sync");
	assert.ok(sync({ t: "state_sync", name: "plant", group: "g1" }), JSON.stringify(sync.errors));
	assert.ok(!sync({ t: "state_sync", name: "notices", group: "g1" }), "another state");

	const up = payloadValidator(doc, "prefs.patch");
	assert.ok(up({ t: "state", name: "prefs", rev: 1, ops: [{ op: "replace", path: "/sort", value: "date" }], seq: 4 }), JSON.stringify(up.errors));
	assert.ok(!up({ t: "state", name: "prefs", rev: 0, ops: [{ op: "replace", path: "/sort", value: "date" }], seq: 4 }), "revisions start at 1");
	const back = payloadValidator(doc, "prefs.snapshot");
	assert.ok(back({ t: "state", name: "prefs", rev: 3, ops: [{ op: "replace", path: "", value: { sort: "name" } }], seq: 12 }), JSON.stringify(back.errors));
});

test("models: each operation of a binding is the rpc it is on the wire, with the binding's policy", () => {
	const doc = JSON.parse(describe("tests/cases/valid/models/input.lv"));
	const ops = Object.keys(doc.operations).filter((k) => k.startsWith("todos."));
	assert.deepEqual(ops, ["todos.create", "todos.delete", "todos.list", "todos.retrieve",
	                       "todos.subscribe", "todos.unsubscribe", "todos.update"]);
	assert.equal(doc.operations["todos_admin.delete"].action, "receive");
	assert.equal(doc.operations["todos_admin.list"], undefined, "only the ops it allows");
	assert.deepEqual(doc.operations["todos.list"].security, [{ $ref: "#/components/securitySchemes/role.user" }]);
	assert.deepEqual(doc.operations["todos_admin.delete"].security, [{ $ref: "#/components/securitySchemes/role.admin" }]);
	assert.equal(doc.operations["tags.list"]["x-lv-public"], true);
	assert.ok(doc.components.schemas.Todo, "the model's struct is a schema");

	const list = payloadValidator(doc, "todos.list.call");
	assert.ok(list({ t: "call", id: 1, fn: "todos.list", args: { where: { owner: "ann" }, order: ["-rev"], limit: 10 }, seq: 1 }), JSON.stringify(list.errors));
	assert.ok(list({ t: "call", id: 2, fn: "todos.list", args: {}, seq: 2 }), "every query argument may be left out");
	const del = payloadValidator(doc, "todos.delete.call");
	assert.ok(del({ t: "call", id: 3, fn: "todos.delete", args: { id: 4, version: 2 }, seq: 3 }), JSON.stringify(del.errors));
	assert.ok(!del({ t: "call", id: 3, fn: "todos.delete", args: { id: 4 }, seq: 3 }), "the version is required");
	const tag = payloadValidator(doc, "tags.retrieve.call");   /* a string key */
	assert.ok(tag({ t: "call", id: 5, fn: "tags.retrieve", args: { id: "red" }, seq: 5 }), JSON.stringify(tag.errors));
	assert.ok(!tag({ t: "call", id: 5, fn: "tags.retrieve", args: { id: 1 }, seq: 5 }));
	const sub = payloadValidator(doc, "todos.subscribe.call");
	assert.ok(sub({ t: "call", id: 6, fn: "todos.subscribe", args: { key: "mine", where: { done: false } }, seq: 6 }), JSON.stringify(sub.errors));
	const ret = payloadValidator(doc, "todos.list.ret");
	assert.ok(ret({ t: "ret", id: 1, ok: true, value: { page: 0, limit: 10, count: 0, rows: [] }, seq: 7 }), JSON.stringify(ret.errors));
});
