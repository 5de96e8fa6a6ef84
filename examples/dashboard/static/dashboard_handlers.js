// dashboard_handlers.js - the page's side of dashboard.lv: yours to edit.
//
// lvc made this file once and merges it when dashboard.lv changes: new
// endpoints get new functions at the end, changed ones get their new
// signature, and the code between the braces is never touched. Keep the
// "lvc:begin" and "lvc:end" lines; write anything you like around them.
//
// Install these with: import * as handlers from "./dashboard_handlers.js";
//                     connect().register(handlers);
import { LvError, argsFrom } from "./dashboard.lv.js";
/** @typedef {import("./dashboard.lv.js").Machine} Machine */
/** @typedef {import("./dashboard.lv.js").Plant} Plant */
/** @typedef {import("./dashboard.lv.js").View} View */
