// hello_handlers.js - the page's side of hello.lv: yours to edit.
//
// lvc made this file once and merges it when hello.lv changes: new
// endpoints get new functions at the end, changed ones get their new
// signature, and the code between the braces is never touched. Keep the
// "lvc:begin" and "lvc:end" lines; write anything you like around them.
//
// Install these with: import * as handlers from "./hello_handlers.js";
//                     connect().register(handlers);
// lvc:begin greeted
/**
 * Somebody, on some page, was just greeted.
 * @param {string} name
 * @param {number} count
 */
export function greeted(name, count) {
	const li = document.createElement("li");
	li.textContent = `${name} was greeted (${count} so far)`;
	document.getElementById("log").prepend(li);
}
// lvc:end greeted
