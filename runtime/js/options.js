// options.js - what a connection starts from: the default options and texts, the mode names, and the globals lv.js uses (its env).
export const VERSION = "0.1.0";

export const MAIN = "MAIN";
export const OFFLINE = "OFFLINE";
export const SERVER_ERROR_500 = "SERVER_ERROR_500";

export const DEFAULTS = Object.freeze({
	timeout: 30000,        // ms a call waits for its answer, unless the endpoint says
	maxQueue: 1000,        // messages held while the socket is down
	maxWaiting: 100,       // callbacks waiting for their turn in one serial group
	backoffBase: 250,      // ms: reconnect delays are random in [0, min(cap, base * 2^n))
	backoffCap: 10000,
	heartbeat: 25000,      // ms, until the welcome says otherwise
	// ms from the first unacknowledged message of the server to the ack;
	// sooner after ackEvery messages, or once a quarter of the welcome's
	// window (messages or bytes) is unacknowledged
	ackDelay: 1000,
	ackEvery: 128,
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

/* The page's sessionStorage; reading it throws where storage is denied. */
function sessionStorageOf(g) {
	try {
		return g.sessionStorage || undefined;
	} catch {
		return undefined;
	}
}

/** The globals a connection uses, read when it is made (never at import). */
export function defaultEnv() {
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
