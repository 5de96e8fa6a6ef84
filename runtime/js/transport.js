// transport.js - a connection's WebSocket: opening it, sending frames, the heartbeat, and reconnecting with backoff.
import { DEFAULTS } from "./options.js";

/**
 * The delay before reconnect attempt n (0-based): full jitter, capped.
 * @param {number} attempt
 * @param {number} [base]
 * @param {number} [cap]
 * @param {() => number} [random]
 * @returns {number}
 */
export function backoffDelay(attempt, base = DEFAULTS.backoffBase, cap = DEFAULTS.backoffCap,
                             random = Math.random) {
	const ceiling = Math.min(cap, base * 2 ** Math.min(attempt, 30));
	return Math.floor(random() * ceiling);
}

/**
 * One socket at a time. Every socket gets a generation number; events of
 * a socket that is no longer the current one are ignored. The owner hears
 * onOpen(), onMessage(data) and onClose(code, reason).
 */
export class Transport {
	#env;
	#options;
	#owner;
	#ws = null;
	#gen = 0;
	#attempt = 0;
	#reconnectTimer = null;
	#hbTimer = null;
	#lastRecv = 0;
	#pingSent = false;

	constructor(env, options, owner) {
		this.#env = env;
		this.#options = options;
		this.#owner = owner;
		/** The heartbeat in use: the option until a welcome gives the server's. */
		this.heartbeat = options.heartbeat;
		/** The delay (ms) of the reconnect attempt scheduled last. */
		this.nextRetry = undefined;
	}

	/** Is there a socket (connecting or open)? */
	get active() {
		return this.#ws !== null;
	}

	/** The generation of the current socket. */
	get gen() {
		return this.#gen;
	}

	/* Opens a socket to url; false when the constructor throws. */
	open(url) {
		this.clearReconnect();
		const gen = ++this.#gen;
		let ws;
		try {
			ws = new this.#env.WebSocket(url);
		} catch (e) {
			this.#env.console.error(`lv: cannot open ${url}:`, e);
			return e;
		}
		this.#ws = ws;
		ws.onopen = () => gen === this.#gen && this.#opened();
		ws.onmessage = (e) => gen === this.#gen && this.#received(e.data);
		ws.onclose = (e) => gen === this.#gen && this.#owner.onClose(e.code, e.reason);
		ws.onerror = () => {};
		return null;
	}

	#opened() {
		this.#lastRecv = this.#env.now();
		this.#pingSent = false;
		this.#owner.onOpen();
		this.scheduleHeartbeat(this.#options.heartbeat);
	}

	#received(data) {
		this.#lastRecv = this.#env.now();
		this.#pingSent = false;
		this.#owner.onMessage(data);
	}

	/* Writes one message; false when the socket refuses it. */
	send(msg) {
		try {
			this.#ws.send(JSON.stringify(msg));
			return true;
		} catch (e) {
			this.#env.console.error("lv: cannot send:", e);
			return false;
		}
	}

	/* Closes the socket with code; its close event will not be heard. */
	shut(code, reason) {
		const ws = this.#ws;
		this.#ws = null;
		this.#gen++;
		this.stopHeartbeat();
		if (ws) {
			try {
				ws.close(code, reason);
			} catch {
				// closing already, or a dead link refusing even this
			}
		}
		return ws !== null;
	}

	/* The socket is gone (its close event, or shut): forget it. */
	closed() {
		this.stopHeartbeat();
		this.#ws = null;
		this.#gen++;
	}

	/* A welcome: the attempts start again from the first delay. */
	welcomed(heartbeat) {
		this.heartbeat = heartbeat;
		this.#attempt = 0;
		this.scheduleHeartbeat(heartbeat);
	}

	/* Reconnects after the next backoff delay. */
	scheduleReconnect(fn) {
		const o = this.#options;
		const delay = backoffDelay(this.#attempt++, o.backoffBase, o.backoffCap, this.#env.random);
		this.nextRetry = delay;
		this.#reconnectTimer = this.#env.setTimeout(() => {
			this.#reconnectTimer = null;
			fn();
		}, delay);
	}

	clearReconnect() {
		if (this.#reconnectTimer !== null) {
			this.#env.clearTimeout(this.#reconnectTimer);
			this.#reconnectTimer = null;
		}
	}

	scheduleHeartbeat(ms) {
		this.stopHeartbeat();
		this.#hbTimer = this.#env.setTimeout(() => this.#beat(), ms);
	}

	stopHeartbeat() {
		if (this.#hbTimer !== null) {
			this.#env.clearTimeout(this.#hbTimer);
			this.#hbTimer = null;
		}
	}

	/* Ping after a heartbeat of silence; give up after another. */
	#beat() {
		this.#hbTimer = null;
		if (!this.#ws)
			return;
		const hb = this.heartbeat;
		const idle = this.#env.now() - this.#lastRecv;
		if (idle >= 2 * hb) {
			this.shut(4000, "no answer to ping; resuming");   // not 1000/1001: the session stays
			this.#owner.onClose(1006, "no answer to ping");
			return;
		}
		if (idle >= hb) {
			if (!this.#pingSent) {
				this.#pingSent = true;
				this.#owner.ping();
			}
			this.#hbTimer = this.#env.setTimeout(() => this.#beat(), 2 * hb - idle);
			return;
		}
		this.#hbTimer = this.#env.setTimeout(() => this.#beat(), hb - idle);
	}
}
