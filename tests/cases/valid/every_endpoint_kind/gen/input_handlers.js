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

// lvc:begin clicked
/**
 * Runs when the bound element fires; returns {} to send the call (it has
 * no arguments), or false to send nothing.
 * @param {Event} event
 * @param {Element} element
 */
export function clicked(event, element) {
	return argsFrom(element, [], "clicked");
}
// lvc:end clicked

// lvc:begin confirm
/**
 * @param {string} question
 */
export function confirm(question) {
	throw new LvError("unavailable", "confirm: no code yet: write it in input_handlers.js");
}
// lvc:end confirm

// lvc:begin job_progress
/**
 * @param {number} job
 * @param {number} percent
 */
export function job_progress(job, percent) {
}
// lvc:end job_progress

// lvc:begin load_changed
/**
 * Runs when the bound element fires; returns the arguments to send
 * (which), or false to send nothing.
 * @param {Event} event
 * @param {Element} element
 */
export function load_changed(event, element) {
	return argsFrom(element, ["which"], "load_changed");
}
// lvc:end load_changed

// lvc:begin notify
/**
 * @param {string} text
 */
export function notify(text) {
}
// lvc:end notify

// lvc:begin offline
/**
 */
export function offline() {
}
// lvc:end offline

// lvc:begin online
/**
 */
export function online() {
}
// lvc:end online

// lvc:begin ping
/**
 */
export function ping() {
	throw new LvError("unavailable", "ping: no code yet: write it in input_handlers.js");
}
// lvc:end ping

// lvc:begin progress
/**
 * @param {number} fraction
 */
export function progress(fraction) {
}
// lvc:end progress

// lvc:begin ready
/**
 */
export function ready() {
}
// lvc:end ready

// lvc:begin save_clicked
/**
 * Runs when the bound element fires; returns {} to send the call (it has
 * no arguments), or false to send nothing.
 * @param {Event} event
 * @param {Element} element
 */
export function save_clicked(event, element) {
	return argsFrom(element, [], "save_clicked");
}
// lvc:end save_clicked

// lvc:begin text_changed
/**
 * Runs when the bound element fires; returns the arguments to send
 * (text), or false to send nothing.
 * @param {Event} event
 * @param {Element} element
 */
export function text_changed(event, element) {
	return argsFrom(element, ["text"], "text_changed");
}
// lvc:end text_changed
