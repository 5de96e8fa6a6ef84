// plant_handlers.js - the page's side of plant.lv: yours to edit.
//
// lvc made this file once and merges it when plant.lv changes: new
// endpoints get new functions at the end, changed ones get their new
// signature, and the code between the braces is never touched. Keep the
// "lvc:begin" and "lvc:end" lines; write anything you like around them.
//
// Install these with: import * as handlers from "./plant_handlers.js";
//                     connect().register(handlers);
import { LvError, argsFrom } from "./plant.lv.js";
/** @typedef {import("./plant.lv.js").Machine} Machine */
/** @typedef {import("./plant.lv.js").Plant} Plant */
/** @typedef {import("./plant.lv.js").Prefs} Prefs */
