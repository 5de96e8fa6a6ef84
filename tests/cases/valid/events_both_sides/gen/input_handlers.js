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

// lvc:begin client_connect
/**
 */
export function client_connect() {
}
// lvc:end client_connect

// lvc:begin client_disconnect
/**
 */
export function client_disconnect() {
}
// lvc:end client_disconnect

// lvc:begin client_ready
/**
 */
export function client_ready() {
}
// lvc:end client_ready

// lvc:begin room_closed_on_page
/**
 * @param {string} room
 */
export function room_closed_on_page(room) {
}
// lvc:end room_closed_on_page

// lvc:begin shipped
/**
 * @param {number} order
 */
export function shipped(order) {
}
// lvc:end shipped
