// chat_handlers.js - the page's side of chat.lv: yours to edit.
//
// lvc made this file once and merges it when chat.lv changes: new
// endpoints get new functions at the end, changed ones get their new
// signature, and the code between the braces is never touched. Keep the
// "lvc:begin" and "lvc:end" lines; write anything you like around them.
//
// Install these with: import * as handlers from "./chat_handlers.js";
//                     connect().register(handlers);
import { connect } from "./chat.lv.js";

/* What this page is: who, in which room. The page script (index.html)
 * fills it in when the user joins. */
export const session = { name: "", room: "", members: new Set() };
let typingTimer;

export function setStatus(state) {
	const el = document.getElementById("status");
	el.textContent = state;
	el.className = state;
}

export function addMessage(msg) {
	// A page that joins again (after a reconnect) gets the room's history
	// while the pushes it missed are replayed: show each message once. Ids
	// are each node's own, so the key is the id and the server's time.
	const key = `${msg.id}@${msg.sent}`;
	const list = document.getElementById("messages");
	if ([...list.children].some((el) => el.dataset.key === key))
		return;
	const li = document.createElement("li");
	const who = document.createElement("b");
	who.textContent = msg.from;
	const text = document.createElement("span");
	text.textContent = msg.text;
	li.dataset.id = String(msg.id);
	li.dataset.key = key;
	li.append(who, " ", text);
	list.append(li);
	list.scrollTop = list.scrollHeight;
}

export function addNote(text) {
	const li = document.createElement("li");
	li.className = "note";
	li.textContent = text;
	document.getElementById("messages").append(li);
}

export function renderMembers() {
	const ul = document.getElementById("members");
	ul.replaceChildren(...[...session.members].sort().map((m) => {
		const li = document.createElement("li");
		li.textContent = m;
		return li;
	}));
}

/* Enters the room: its history, then who is there. */
export async function enter(room, name) {
	const { join, members } = connect();   // the page's client (index.html made it)
	session.room = room;
	session.name = name;
	const history = await join(room, name);
	document.getElementById("messages").replaceChildren();
	history.forEach(addMessage);
	session.members = new Set(await members(room));
	renderMembers();
}

async function rejoin() {
	try {
		await enter(session.room, session.name);
	} catch (err) {
		addNote(`could not rejoin: ${err.message}`);
	}
}

// lvc:begin confirm
/**
 * The server asks this page a yes-or-no question and awaits the answer.
 * @param {string} question
 */
export function confirm(question) {
	return window.confirm(question);
}
// lvc:end confirm

// lvc:begin connected
/**
 */
export function connected() {
	setStatus("online");
	// The server keeps no state across a reconnect: join again.
	if (session.room) rejoin();
}
// lvc:end connected

// lvc:begin disconnected
/**
 */
export function disconnected() {
	setStatus("offline");
}
// lvc:end disconnected

// lvc:begin message
/**
 * A new message in a room the page is in.
 * @param {Message} msg
 */
export function message(msg) {
	if (msg.room === session.room) addMessage(msg);
}
// lvc:end message

// lvc:begin presence
/**
 * Someone came or went (on any server sharing the room).
 * @param {string} room
 * @param {string} who
 * @param {Presence} state
 */
export function presence(room, who, state) {
	if (room !== session.room) return;
	if (state === "online") session.members.add(who);
	else session.members.delete(who);
	renderMembers();
	if (who !== session.name) addNote(`${who} ${state === "online" ? "joined" : "left"}`);
}
// lvc:end presence

// lvc:begin room_cleared
/**
 * A room's history was cleared.
 * @param {string} room
 * @param {string} by
 */
export function room_cleared(room, by) {
	if (room !== session.room) return;
	document.getElementById("messages").replaceChildren();
	addNote(`${by} cleared the history`);
}
// lvc:end room_cleared

// lvc:begin typing_in
/**
 * Someone in the room is typing.
 * @param {string} room
 * @param {string} who
 */
export function typing_in(room, who) {
	if (room !== session.room || who === session.name) return;
	const el = document.getElementById("typing");
	el.textContent = `${who} is typing…`;
	clearTimeout(typingTimer);
	typingTimer = setTimeout(() => { el.textContent = ""; }, 2000);
}
// lvc:end typing_in
