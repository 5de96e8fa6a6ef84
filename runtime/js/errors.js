// errors.js - LvError, the one error type lv.js rejects and throws with.
//
// `code` is a wire error code (docs/protocol.md, "Error codes"), plus
// "cancelled", which never travels: it is what a call aborted by its
// AbortSignal rejects with. `path` names the argument or field at fault,
// like "msg.tags[3]", or is "".
import { CodecError } from "./codec.js";

/** HTTP statuses of the wire error codes, as the server uses them. */
export const STATUS = Object.freeze({
	invalid_argument: 400,
	unauthenticated: 401,
	permission_denied: 403,
	not_found: 404,
	aborted: 409,
	upgrade_required: 426,
	resource_exhausted: 429,
	internal: 500,
	unavailable: 503,
	deadline_exceeded: 504,
	cancelled: 499,
});

const BY_STATUS = new Map([
	[400, "invalid_argument"], [401, "unauthenticated"], [403, "permission_denied"],
	[404, "not_found"], [409, "aborted"], [426, "upgrade_required"], [429, "resource_exhausted"],
	[500, "internal"], [503, "unavailable"], [504, "deadline_exceeded"],
]);

export class LvError extends Error {
	/**
	 * @param {string} code
	 * @param {string} message
	 * @param {string} [path]
	 * @param {{cause?: unknown}} [options]
	 */
	constructor(code, message, path = "", options = undefined) {
		super(message, options);
		this.name = "LvError";
		this.code = code;
		this.path = path || "";
	}

	/** The HTTP status the code goes with (500 for an unknown code). */
	get status() {
		return STATUS[this.code] ?? 500;
	}

	/** The wire form: {code, message, path?}. */
	toJSON() {
		const o = { code: this.code, message: this.message };
		if (this.path)
			o.path = this.path;
		return o;
	}

	/**
	 * An LvError from a wire error object ({code, message, path}); anything
	 * malformed becomes an internal error that says so.
	 * @param {unknown} e
	 * @param {string} fn the endpoint, for the message of a malformed error
	 */
	static fromWire(e, fn = "") {
		if (e && typeof e === "object" && typeof e.code === "string") {
			const message = typeof e.message === "string" ? e.message : `${fn}: ${e.code}`;
			return new LvError(e.code, message, typeof e.path === "string" ? e.path : "");
		}
		return new LvError("internal", `${fn}: the server sent a malformed error`);
	}

	/** The wire code for an HTTP status (internal when unknown). */
	/**
	 * @param {number} status
	 * @returns {import("./lv.js").ErrorCode}
	 */
	static codeForStatus(status) {
		const code = BY_STATUS.get(status);
		if (code !== undefined)
			return code;
		if (status >= 500)
			return "internal";
		if (status >= 400)
			return "invalid_argument";
		return "internal";
	}
}

/** An LvError for a CodecError (anything else as it is): "fn: path: message". */
export function codecError(fn, e, code = "invalid_argument", prefix = "") {
	if (!(e instanceof CodecError))
		return e;
	const path = prefix ? prefix + (e.path && !e.path.startsWith("[") ? "." : "") + e.path : e.path;
	return new LvError(code, path ? `${fn}: ${path}: ${e.message}` : `${fn}: ${e.message}`, path);
}
