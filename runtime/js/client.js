// client.js - what a generated NAME.lv.js is made of: createClient, connect (the page's default client) and argsFrom for its schema.
import { argsFromCodec, buildingConnection } from "./binding.js";
import { compileSchema } from "./codec.js";
import { Connection } from "./connection.js";
import { page } from "./page.js";

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
