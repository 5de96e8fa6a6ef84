// todo_handlers.js - the page's side of todo.lv: yours to edit.
//
// lvc made this file once and merges it when todo.lv changes: new
// endpoints get new functions at the end, changed ones get their new
// signature, and the code between the braces is never touched. Keep the
// "lvc:begin" and "lvc:end" lines; write anything you like around them.
//
// Install these with: import * as handlers from "./todo_handlers.js";
//                     connect().register(handlers);
import { LvError, argsFrom } from "./todo.lv.js";
/** @typedef {import("./todo.lv.js").Todo} Todo */
