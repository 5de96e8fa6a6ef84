// client.js - what a generated NAME.lv.js is made of: createClient, connect (the page's default client) and argsFrom for its schema.
import { argsFromCodec, buildingConnection } from "./binding.js";
import { compileSchema } from "./codec.js";
import { Connection } from "./connection.js";
import { page } from "./page.js";

/* client.state: a store per declared state, made when first read; a
 * group state's is a function of the group. */
function statesOf(lv, schema) {
	const out = {};
	for (const [name, def] of Object.entries(schema.states || {})) {
		if (def.scope === "group")
			out[name] = Object.freeze({ of: (group) => lv.store(name, group) });
		else
			Object.defineProperty(out, name, { enumerable: true, get: () => lv.store(name) });
	}
	return Object.freeze(out);
}

/* client.model: a binding per declared model binding, made when first read. */
function modelsOf(lv, schema) {
	const out = {};
	for (const name of Object.keys(schema.models || {}))
		Object.defineProperty(out, name, { enumerable: true, get: () => lv.model(name) });
	return Object.freeze(out);
}

/**
 * createClient, connect and argsFrom for schema. endpoints(connection)
 * gives the client's typed members (a function per server endpoint, a
 * Callback per client.callback). Nothing happens until createClient or
 * connect is called.
 */
export function clientModule(schema, endpoints) {
	let shared = null;
	let codec = null;

	/** A client of its own: a connection on the page, and its typed functions. */
	function createClient(options) {
		const lv = page.add(new Connection(schema, options));
		const client = {
			...endpoints(lv),
			schema,
			lv,
			state: statesOf(lv, schema),
			model: modelsOf(lv, schema),
			register(handlers) {
				lv.register(handlers);
			},
			dispose() {
				lv.dispose();
				if (shared === client)
					shared = null;
			},
		};
		if (typeof Symbol.dispose === "symbol")
			client[Symbol.dispose] = client.dispose;
		return Object.freeze(client);
	}

	/** The default client: made on the first call, the same one after (until disposed). */
	function connect(options) {
		if (shared && !shared.lv.disposed) {
			if (options)
				shared.lv.configure(options);
			return shared;
		}
		shared = createClient(options);
		return shared;
	}

	/**
	 * Reads a callback's arguments from the page without a client: see
	 * Connection.argsFrom. fn names the callback (default: the one being
	 * sent, else the first with all these parameters).
	 */
	function argsFrom(element, names, fn) {
		const building = buildingConnection();
		if (building && building.schema === schema)
			return building.argsFrom(element, names, fn);
		codec = codec || compileSchema(schema);
		return argsFromCodec(codec, null, element, names, fn);
	}

	return { createClient, connect, argsFrom };
}
