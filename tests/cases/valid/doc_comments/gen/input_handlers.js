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
/** @typedef {import("./input.lv.js").Book} Book */
/** @typedef {import("./input.lv.js").Shelf} Shelf */

// lvc:begin borrow_clicked
/**
 * The borrow button.
 * Runs when the bound element fires; returns the arguments to send
 * (isbn), or false to send nothing.
 * @param {Event} event
 * @param {Element} element
 */
export function borrow_clicked(event, element) {
	return argsFrom(element, ["isbn"], "borrow_clicked");
}
// lvc:end borrow_clicked

// lvc:begin confirm_loan
/**
 * Asks the member to confirm a loan.
 * @param {Book} book
 */
export function confirm_loan(book) {
	throw new LvError("unavailable", "confirm_loan: no code yet: write it in input_handlers.js");
}
// lvc:end confirm_loan

// lvc:begin ready
/**
 * The page is up.
 */
export function ready() {
}
// lvc:end ready

// lvc:begin returned
/**
 * Tells the page a book came back.
 * @param {Book} book
 */
export function returned(book) {
}
// lvc:end returned
