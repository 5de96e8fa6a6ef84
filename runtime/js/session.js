// session.js - nothing lost, nothing doubled: numbering and acknowledging messages, resuming after a drop, and keeping the session across a reload.
import { LvError } from "./errors.js";

/* Is saved a session snapshot this schema can resume (see snapshot())? */
function validSnapshot(saved, hash) {
	const count = (n) => Number.isSafeInteger(n) && n >= 0;
	if (!saved || typeof saved !== "object" || saved.v !== 1 || saved.hash !== hash ||
	    typeof saved.session !== "string" || !/^[0-9A-Za-z]{1,128}$/.test(saved.session) ||
	    !count(saved.lastIn) || !count(saved.outSeq) || !count(saved.nextId) ||
	    !Array.isArray(saved.unacked))
		return false;
	let prev = 0;
	for (const m of saved.unacked) {
		if (!m || typeof m !== "object" || !["call", "send", "cret"].includes(m.t) ||
		    !Number.isSafeInteger(m.seq) || m.seq <= prev || m.seq > saved.outSeq)
			return false;
		prev = m.seq;
	}
	return true;
}

/**
 * Delivery (docs/protocol.md, "Sessions"): reliable messages are numbered,
 * kept until acked, resent after a resume; repeats from the server are
 * dropped. With the persist option, the session outlives the page.
 */
export class Session {
	#core;
	#token = null;       // the resume token
	#lastIn = 0;         // last server seq processed
	#outSeq = 0;         // last seq given to a message of ours
	#unacked = [];       // our reliable messages, oldest first
	#ackTimer = null;
	#ackNow = false;     // the timer is the immediate one
	#inCount = 0;        // the server's messages since the last ack
	#inBytes = 0;        // and their size
	#window = { messages: 4096, bytes: 8 << 20 };   // the server's replay buffer, from the welcome
	#storageKey;
	#suspended = null;   // the snapshot's mark while the page is hidden
	#handed = null;      // the queued items that snapshot carries

	constructor(core) {
		this.#core = core;
		this.#storageKey = `lv.session.${core.codec.module}`;
	}

	get token() {
		return this.#token;
	}

	/** Counts, for tests and the curious. */
	get delivery() {
		return { session: this.#token, lastIn: this.#lastIn, outSeq: this.#outSeq,
		         unacked: this.#unacked.length };
	}

	/* Is msg one the protocol numbers (and so keeps until acked)? */
	#isReliable(msg) {
		if (msg.t === "call" || msg.t === "cret" || msg.t === "state")
			return true;
		if (msg.t !== "send")
			return false;
		const eps = this.#core.schema && this.#core.schema.endpoints;
		const ep = eps && eps[msg.fn];
		return !(ep && ep.volatile);
	}

	/* Numbers a reliable message (once) and keeps it until acked. */
	number(msg) {
		if (this.#token && msg.seq === undefined && this.#isReliable(msg)) {
			msg.seq = ++this.#outSeq;
			this.#unacked.push(msg);
		}
		return msg;
	}

	/* The hello of a new socket: resumes the session if there is one. */
	hello() {
		const core = this.#core;
		const hello = { t: "hello", app: core.codec.module, schema: core.codec.hash };
		if (this.#token)
			hello.resume = { session: this.#token, last: this.#lastIn };
		return hello;
	}

	/* A numbered message from the server (size: its length): false for a
	 * repeat (drop it). Each is processed once, in order; acks go out in
	 * batches: ackDelay ms after the first unacknowledged message, or,
	 * right after this message is processed, once ackEvery messages or a
	 * quarter of the server's replay buffer (the welcome's window, in
	 * messages or bytes) wait for one. The server holds what is
	 * unacknowledged (a busy page's answers: ackEvery keeps that small),
	 * and closes a page whose buffer overflows. */
	received(seq, size = 0) {
		if (seq <= this.#lastIn)
			return false;
		this.#lastIn = seq;
		this.#inCount++;
		this.#inBytes += size;
		const env = this.#core.env;
		const every = Math.min(this.#core.options.ackEvery, this.#window.messages / 4);
		if (!this.#ackNow && (this.#inCount >= every || this.#inBytes >= this.#window.bytes / 4)) {
			this.clearAck();
			this.#ackNow = true;
			this.#ackTimer = env.setTimeout(() => this.#sendAck(), 0);
		} else if (this.#ackTimer === null) {
			this.#ackTimer = env.setTimeout(() => this.#sendAck(), this.#core.options.ackDelay);
		}
		return true;
	}

	#sendAck() {
		this.#ackTimer = null;
		this.#ackNow = false;
		this.#inCount = this.#inBytes = 0;
		const core = this.#core;
		if (core.transport.active && core.conn.state === "open")
			core.transport.send({ t: "ack", seq: this.#lastIn });
	}

	clearAck() {
		if (this.#ackTimer !== null) {
			this.#core.env.clearTimeout(this.#ackTimer);
			this.#ackTimer = null;
		}
		this.#ackNow = false;
	}

	acked(seq) {
		this.#unacked = this.#unacked.filter((m) => m.seq > seq);
	}

	/* The welcome: a resume replays both ways; a new session after an old
	 * one means what was in flight is lost, and the page is told (resync). */
	welcome(msg) {
		const core = this.#core;
		const had = this.#token;
		const w = msg.window;
		if (w && Number.isFinite(w.messages) && w.messages > 0 && Number.isFinite(w.bytes) && w.bytes > 0)
			this.#window = { messages: w.messages, bytes: w.bytes };
		this.#inCount = this.#inBytes = 0;
		if (msg.resumed === true && had) {
			const last = Number.isInteger(msg.last) ? msg.last : 0;
			this.acked(last);
			for (const m of this.#unacked)
				core.transport.send(m);
			return;
		}
		this.#token = typeof msg.session === "string" ? msg.session : null;
		this.#lastIn = 0;
		this.#outSeq = 0;
		const lost = this.#unacked;
		this.#unacked = [];
		if (had) {
			core.calls.failInflight((fn) => new LvError("unavailable", `${fn}: the session was lost before the answer`));
			core.events.emit("resync", { reason: typeof msg.resync === "string" ? msg.resync : "unknown",
			                             lost: lost.length });
		}
	}

	// ---- across a reload ----------------------------------------------------------------

	#storage() {
		return this.#core.options.persist ? this.#core.env.sessionStorage : undefined;
	}

	/* Takes over the session the previous page of this tab saved as it
	 * went: the first hello resumes it, and what that page had not seen
	 * acknowledged is resent. The entry is removed, so that one page
	 * resumes it, never two. */
	restore() {
		const store = this.#storage();
		if (!store)
			return;
		let saved;
		try {
			const text = store.getItem(this.#storageKey);
			if (text === null || text === undefined)
				return;
			store.removeItem(this.#storageKey);
			saved = JSON.parse(text);
		} catch (e) {
			this.#core.env.console.warn("lv: the saved session cannot be read; starting a new one:", e);
			return;
		}
		if (!validSnapshot(saved, this.#core.codec.hash))
			return;
		this.#token = saved.session;
		this.#lastIn = saved.lastIn;
		this.#outSeq = saved.outSeq;
		this.#core.calls.nextId = saved.nextId;   // a replayed answer never meets a new call of the same id
		this.#unacked = saved.unacked;
	}

	/* What the next page needs to resume: the session, the last message
	 * processed (one held for ready is not), and every reliable message
	 * not known to have arrived, those still queued for the socket
	 * numbered after them as if sent on a socket that died. */
	#snapshot() {
		const core = this.#core;
		let seq = this.#outSeq;
		let id = core.calls.nextId;
		const unacked = this.#unacked.slice();
		this.#handed = new Set();      // the queued items the snapshot carries
		for (const item of core.calls.queued()) {
			if (item.kind === "call") {
				if (!item.req.done)
					unacked.push({ t: "call", id: ++id, fn: item.req.fn, args: item.req.wire, seq: ++seq });
			} else if (!item.volatile) {
				unacked.push({ ...item.msg, seq: ++seq });
			}
			this.#handed.add(item);
		}
		const held = core.endpoints.firstHeldSeq();
		const lastIn = held !== null ? Math.min(this.#lastIn, held - 1) : this.#lastIn;
		const mark = `${core.env.now()}.${Math.floor(core.env.random() * 1e9)}`;
		return { v: 1, hash: core.codec.hash, mark, session: this.#token, lastIn,
		         outSeq: seq, nextId: id, unacked };
	}

	/* The page goes (reload, navigation, or into the back-forward cache):
	 * its session is saved for the next page of the tab, and the socket
	 * closed with a code that keeps it on the server (the browser would
	 * close it with 1001, which ends it). */
	pageHide() {
		const core = this.#core;
		const store = this.#storage();
		if (!store || this.#suspended)
			return;
		let snap = null;
		try {
			if (this.#token && !core.terminal) {
				snap = this.#snapshot();
				store.setItem(this.#storageKey, JSON.stringify(snap));
			} else {
				store.removeItem(this.#storageKey);
			}
		} catch (e) {
			core.env.console.warn("lv: the session cannot be saved for the next page:", e);
			return;
		}
		if (!snap)
			return;
		this.#suspended = snap.mark;
		core.transport.clearReconnect();
		this.clearAck();
		core.transport.shut(4001, "page hidden; the next page resumes");
		core.endpoints.disconnected(4001, "page hidden");
		core.setState("offline");
	}

	/* Back from the back-forward cache: the page goes on with its session,
	 * unless another page of the tab took it over meanwhile; then what the
	 * snapshot carried is that page's, and this one starts afresh. */
	pageShow(e) {
		const core = this.#core;
		const mark = this.#suspended;
		if (!mark || (e && e.persisted === false))
			return;
		this.#suspended = null;
		const handed = this.#handed;
		this.#handed = null;
		let mine = false;
		try {
			const store = this.#storage();
			const text = store && store.getItem(this.#storageKey);
			if (text) {
				const saved = JSON.parse(text);
				mine = !!saved && saved.mark === mark;
				if (mine)
					store.removeItem(this.#storageKey);
			}
		} catch {
			mine = false;
		}
		if (!mine && this.#token) {
			const lost = this.#unacked.length;
			this.#token = null;
			this.#lastIn = 0;
			this.#outSeq = 0;
			this.#unacked = [];
			core.calls.failInflight((fn) => new LvError("unavailable", `${fn}: the session went to another page of this tab`));
			// what was queued when the page went, the other page has sent
			core.calls.dropHanded(handed);
			core.events.emit("resync", { reason: "unknown", lost });
		}
		if (!core.terminal)
			core.connectNow();
	}
}
