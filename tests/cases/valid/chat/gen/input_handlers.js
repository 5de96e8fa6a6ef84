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
/** @typedef {import("./input.lv.js").Message} Message */
/** @typedef {import("./input.lv.js").Presence} Presence */

// lvc:begin confirm
/**
 * @param {string} question
 */
export function confirm(question) {
	throw new LvError("unavailable", "confirm: no code yet: write it in input_handlers.js");
}
// lvc:end confirm

// lvc:begin message
/**
 * @param {Message} msg
 */
export function message(msg) {
}
// lvc:end message

// lvc:begin presence
/**
 * @param {string} room
 * @param {string} who
 * @param {Presence} state
 */
export function presence(room, who, state) {
}
// lvc:end presence

// lvc:begin ready
/**
 */
export function ready() {
}
// lvc:end ready

// lvc:begin send_clicked
/**
 * Runs when the bound element fires; returns the arguments to send
 * (text), or false to send nothing.
 * @param {Event} event
 * @param {Element} element
 */
export function send_clicked(event, element) {
	return argsFrom(element, ["text"], "send_clicked");
}
// lvc:end send_clicked
