// input_handlers.js - the page's side of input.lv: yours to edit.
//
// lvc made this file once and merges it when input.lv changes: new
// endpoints get new functions at the end, changed ones get their new
// signature, and the code between the braces is never touched. Keep the
// "lvc:begin" and "lvc:end" lines; write anything you like around them.
//
// Install these with: import * as handlers from "./input_handlers.js";
//                     connect().register(handlers);
import { LvError, argsFrom } from "./input.lv.js";
/** @typedef {import("./input.lv.js").Todo} Todo */
/** @typedef {import("./input.lv.js").Tag} Tag */
/** @typedef {import("./input.lv.js").Priority} Priority */
