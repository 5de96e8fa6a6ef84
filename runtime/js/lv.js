// lv.js - the browser runtime of lv, its entry point: what the modules lvc generates (NAME.lv.js) and pages import. Importing it does nothing.
//
// One WebSocket per client to the lv server, carrying the typed calls of a
// schema; the wire contract is docs/protocol.md, the API docs/runtime-js.md.
// The parts: options.js (defaults, env), transport.js (the socket, the
// heartbeat, reconnecting), session.js (numbering, resume, persist),
// calls.js (calls and sends), endpoints.js (the page's handlers, ready,
// the server's messages), binding.js (callbacks bound to the DOM, groups),
// modes.js (modes, commands, notifications), connection.js (the
// Connection), page.js (the page, window.lv), client.js (createClient and
// connect of a generated module); patch.js (JSON Patch) and store.js
// (createStore), the page side of synchronised state; models.js
// (client.model), the page side of models and their live results.
//
//     import { connect } from "./chat.lv.js";   // a generated module
//     const { join, register } = connect();      // the page's client
//     await join("lobby");
export { Callback } from "./binding.js";
export { clientModule } from "./client.js";
export { Connection, createConnection } from "./connection.js";
export { LvError } from "./errors.js";
export { DEFAULTS, MAIN, OFFLINE, SERVER_ERROR_500, TEXTS, VERSION } from "./options.js";
export { Page, page } from "./page.js";
export { PatchError, applyPatch, coalesce, diff } from "./patch.js";
export { StoreError, createStore } from "./store.js";
export { backoffDelay } from "./transport.js";
