// counter_handlers.js - the page's side of counter.lv: yours to edit.
//
// lvc made this file once and merges it when counter.lv changes: new
// endpoints get new functions at the end, changed ones get their new
// signature, and the code between the braces is never touched. Keep the
// "lvc:begin" and "lvc:end" lines; write anything you like around them.
//
// Install these with: import * as handlers from "./counter_handlers.js";
//                     connect().register(handlers);
import { argsFrom } from "./counter.lv.js";

// lvc:begin increment
/**
 * Adds `by` to this page's count.
 * Runs when the bound element fires; returns the arguments to send
 * (by), or false to send nothing.
 * @param {Event} event
 * @param {Element} element
 */
export function increment(event, element) {
	// Each button says its step: <button data-by="5">.
	return { by: Number(element.dataset.by || 1) };
}
// lvc:end increment

// lvc:begin rename
/**
 * Renames the counter while the user types, after a pause.
 * Runs when the bound element fires; returns the arguments to send
 * (title), or false to send nothing.
 * @param {Event} event
 * @param {Element} element
 */
export function rename(event, element) {
	return argsFrom(element, ["title"], "rename");
}
// lvc:end rename

// lvc:begin reset
/**
 * Back to zero, once the user confirms.
 * Runs when the bound element fires; returns {} to send the call (it has
 * no arguments), or false to send nothing.
 * @param {Event} event
 * @param {Element} element
 */
export function reset(event, element) {
	return argsFrom(element, [], "reset");
}
// lvc:end reset

// lvc:begin slow
/**
 * Takes a second, and blocks the count buttons meanwhile.
 * Runs when the bound element fires; returns {} to send the call (it has
 * no arguments), or false to send nothing.
 * @param {Event} event
 * @param {Element} element
 */
export function slow(event, element) {
	return argsFrom(element, [], "slow");
}
// lvc:end slow
