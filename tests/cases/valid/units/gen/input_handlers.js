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

// lvc:begin c_timeout
/**
 */
export function c_timeout() {
	throw new LvError("unavailable", "c_timeout: no code yet: write it in input_handlers.js");
}
// lvc:end c_timeout

// lvc:begin c_units
/**
 * Runs when the bound element fires; returns {} to send the call (it has
 * no arguments), or false to send nothing.
 * @param {Event} event
 * @param {Element} element
 */
export function c_units(event, element) {
	return argsFrom(element, [], "c_units");
}
// lvc:end c_units
