// chat_handlers.js - the page's side of chat.lv: yours to edit.
//
// lvc made this file once and merges it when chat.lv changes: new
// endpoints get new functions at the end, changed ones get their new
// signature, and the code between the braces is never touched. Keep the
// "lvc:begin" and "lvc:end" lines; write anything you like around them.
//
// Install these with: import * as handlers from "./chat_handlers.js";
//                     register(handlers);
import { lv } from "./chat.lv.js";

// lvc:begin confirm
/**
 * The server asks this page a yes-or-no question and awaits the answer.
 * @param {string} question
 */
export function confirm(question) {
	throw new Error("confirm has no code yet: write it in chat_handlers.js");
}
// lvc:end confirm

// lvc:begin connected
/**
 */
export function connected() {
}
// lvc:end connected

// lvc:begin disconnected
/**
 */
export function disconnected() {
}
// lvc:end disconnected

// lvc:begin message
/**
 * A new message in a room the page is in.
 * @param {Message} msg
 */
export function message(msg) {
}
// lvc:end message

// lvc:begin presence
/**
 * Someone came or went.
 * @param {string} room
 * @param {string} who
 * @param {Presence} state
 */
export function presence(room, who, state) {
}
// lvc:end presence

// lvc:begin room_cleared
/**
 * A room's history was cleared.
 * @param {string} room
 * @param {string} by
 */
export function room_cleared(room, by) {
}
// lvc:end room_cleared

// lvc:begin typing_in
/**
 * Someone in the room is typing.
 * @param {string} room
 * @param {string} who
 */
export function typing_in(room, who) {
}
// lvc:end typing_in
