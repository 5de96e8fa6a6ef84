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

// lvc:begin load_clicked
/**
 * Runs when the bound element fires; returns {} to send the call (it has
 * no arguments), or false to send nothing.
 * @param {Event} event
 * @param {Element} element
 */
export function load_clicked(event, element) {
	return argsFrom(element, [], "load_clicked");
}
// lvc:end load_clicked

// lvc:begin reload_clicked
/**
 * Runs when the bound element fires; returns {} to send the call (it has
 * no arguments), or false to send nothing.
 * @param {Event} event
 * @param {Element} element
 */
export function reload_clicked(event, element) {
	return argsFrom(element, [], "reload_clicked");
}
// lvc:end reload_clicked

// lvc:begin save_clicked
/**
 * Runs when the bound element fires; returns the arguments to send
 * (text), or false to send nothing.
 * @param {Event} event
 * @param {Element} element
 */
export function save_clicked(event, element) {
	return argsFrom(element, ["text"], "save_clicked");
}
// lvc:end save_clicked

// lvc:begin save_submitted
/**
 * Runs when the bound element fires; returns the arguments to send
 * (text), or false to send nothing.
 * @param {Event} event
 * @param {Element} element
 */
export function save_submitted(event, element) {
	return argsFrom(element, ["text"], "save_submitted");
}
// lvc:end save_submitted

// lvc:begin undo_clicked
/**
 * Runs when the bound element fires; returns {} to send the call (it has
 * no arguments), or false to send nothing.
 * @param {Event} event
 * @param {Element} element
 */
export function undo_clicked(event, element) {
	return argsFrom(element, [], "undo_clicked");
}
// lvc:end undo_clicked

// lvc:begin undo_keyed
/**
 * Runs when the bound element fires; returns {} to send the call (it has
 * no arguments), or false to send nothing.
 * @param {Event} event
 * @param {Element} element
 */
export function undo_keyed(event, element) {
	return argsFrom(element, [], "undo_keyed");
}
// lvc:end undo_keyed
