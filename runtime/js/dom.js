// dom.js - what lv.js does to the page: the DOM diff of lv.morph, the
// notifications of lv.notify, and reading argument values from forms.
import morphdom from "morphdom";

import { LvError } from "./errors.js";

// ---- morph ------------------------------------------------------------------------

const EDITABLE = new Set(["INPUT", "TEXTAREA", "SELECT"]);

function isEditable(el) {
	return !!el && (EDITABLE.has(el.nodeName) || el.isContentEditable === true);
}

/* What the user is doing in the element being edited, so that a morph that
 * replaces it can give it back. */
function snapshotFocus(doc) {
	const el = doc.activeElement;
	if (!el || el === doc.body || el === doc.documentElement)
		return null;
	const s = { el, id: el.id || "", name: el.getAttribute?.("name") || "", value: undefined,
	            start: null, end: null, dir: undefined };
	if ("value" in el && el.nodeName !== "BUTTON")
		s.value = el.value;
	try {
		if (typeof el.selectionStart === "number") {
			s.start = el.selectionStart;
			s.end = el.selectionEnd;
			s.dir = el.selectionDirection;
		}
	} catch {
		// inputs of types without a selection throw on read
	}
	return s;
}

function restoreFocus(doc, root, s) {
	if (!s || doc.activeElement === s.el)
		return;
	let el = s.el.isConnected ? s.el : null;
	if (!el && s.id)
		el = doc.getElementById(s.id);
	if (!el && s.name)
		el = root.querySelector?.(`[name="${cssEscape(s.name)}"]`) || null;
	if (!el || typeof el.focus !== "function")
		return;
	if (el !== s.el && s.value !== undefined && "value" in el && el.nodeName !== "SELECT" &&
	    el.type !== "file")
		el.value = s.value;
	el.focus({ preventScroll: true });
	if (s.start !== null && typeof el.setSelectionRange === "function") {
		try {
			el.setSelectionRange(s.start, s.end, s.dir);
		} catch {
			// not every input type has a selection
		}
	}
}

function cssEscape(s) {
	return String(s).replace(/["\\]/g, "\\$&");
}

/* The element being edited keeps what the user typed or chose: its value,
 * and with it the caret and the selection, which setting the value would
 * reset. Attributes and children update as usual. */
function keepEdited(fromEl, toEl) {
	if (fromEl.nodeName === "INPUT") {
		if (fromEl.type === "checkbox" || fromEl.type === "radio")
			toEl.checked = fromEl.checked;
		else if (fromEl.type !== "file") {
			if (fromEl.hasAttribute("value"))
				toEl.setAttribute("value", fromEl.getAttribute("value"));
			else
				toEl.removeAttribute("value");
			toEl.value = fromEl.value;
		}
	} else if (fromEl.nodeName === "TEXTAREA") {
		toEl.value = fromEl.value;
		toEl.textContent = fromEl.value;
	} else if (fromEl.nodeName === "SELECT") {
		const chosen = new Set();
		for (const o of fromEl.options)
			if (o.selected)
				chosen.add(o.value);
		for (const o of toEl.querySelectorAll("option")) {
			if (chosen.has(o.value))
				o.setAttribute("selected", "");
			else
				o.removeAttribute("selected");
		}
	}
}

/**
 * Replaces the content of target with html (or, with outer, target itself)
 * by a DOM diff that keeps focus, caret, selection, scroll positions and the
 * value of the control being edited. Elements with data-lv-keep are left
 * alone.
 */
export function morph(target, html, { outer = false } = {}) {
	const doc = target.ownerDocument;
	const focus = snapshotFocus(doc);
	const win = doc.defaultView;
	const pageX = win?.scrollX ?? 0, pageY = win?.scrollY ?? 0;
	const scrolled = [];
	let to;
	if (outer) {
		const t = doc.createElement("template");
		t.innerHTML = String(html).trim();
		to = t.content.firstElementChild;
		if (!to)
			throw new Error("lv.morph: the html for an outer morph has no element");
	} else {
		to = target.cloneNode(false);
		to.innerHTML = String(html);
	}
	const keep = (el) => {
		if (el.scrollTop || el.scrollLeft)
			scrolled.push([el, el.scrollTop, el.scrollLeft]);
	};
	keep(target);
	const result = morphdom(target, to, {
		childrenOnly: !outer,
		onBeforeElUpdated(fromEl, toEl) {
			if (fromEl.hasAttribute("data-lv-keep"))
				return false;
			if (fromEl.isEqualNode(toEl))
				return false;
			if (fromEl === doc.activeElement && isEditable(fromEl)) {
				if (fromEl.isContentEditable)
					return false;
				keepEdited(fromEl, toEl);
			}
			keep(fromEl);
			return true;
		},
	});
	for (const [el, top, left] of scrolled) {
		if (el.isConnected && (el.scrollTop !== top || el.scrollLeft !== left)) {
			el.scrollTop = top;
			el.scrollLeft = left;
		}
	}
	restoreFocus(doc, result, focus);
	if (win && (win.scrollX !== pageX || win.scrollY !== pageY) && typeof win.scrollTo === "function")
		win.scrollTo(pageX, pageY);
	return result;
}

// ---- notifications ---------------------------------------------------------------------

const CSS = `
.lv-notes{position:fixed;right:1rem;bottom:1rem;z-index:2147483000;display:flex;
 flex-direction:column;gap:.5rem;max-width:min(26rem,calc(100vw - 2rem));
 font:14px/1.4 system-ui,sans-serif;pointer-events:none}
.lv-note{pointer-events:auto;display:flex;gap:.75rem;align-items:flex-start;
 padding:.6rem .8rem;border-radius:6px;background:#1f2933;color:#fff;
 box-shadow:0 2px 10px rgba(0,0,0,.25);border-left:4px solid #3b82f6}
.lv-note[data-level=success]{border-left-color:#16a34a}
.lv-note[data-level=warning]{border-left-color:#d97706}
.lv-note[data-level=error]{border-left-color:#dc2626}
.lv-note-text{flex:1;white-space:pre-wrap}
.lv-note-close{all:unset;cursor:pointer;padding:0 .2rem;font-size:1.1em;line-height:1}
.lv-note-close:focus-visible{outline:2px solid #fff}
@media (prefers-reduced-motion:no-preference){.lv-note{animation:lv-in .15s ease-out}}
@keyframes lv-in{from{opacity:0;transform:translateY(.4rem)}}
`;

/**
 * The page's notifications: one container (role=status, aria-live=polite)
 * and a stylesheet, both added to the document the first time they are
 * needed. Errors are announced assertively (role=alert).
 */
export class Notifier {
	#due = new WeakMap();   // note -> the timer that removes it

	constructor(doc, timers) {
		this.doc = doc;
		this.timers = timers;
		this.box = null;
		this.shown = new Map(); // throttle key -> when last shown
	}

	container() {
		const doc = this.doc;
		if (this.box && this.box.isConnected)
			return this.box;
		if (!doc.getElementById("lv-style")) {
			const style = doc.createElement("style");
			style.id = "lv-style";
			style.textContent = CSS;
			(doc.head || doc.documentElement).appendChild(style);
		}
		let box = doc.getElementById("lv-notifications");
		if (!box) {
			box = doc.createElement("div");
			box.id = "lv-notifications";
			box.className = "lv-notes";
			box.setAttribute("role", "status");
			box.setAttribute("aria-live", "polite");
			(doc.body || doc.documentElement).appendChild(box);
		}
		this.box = box;
		return box;
	}

	/**
	 * Shows message. kwargs: sticky (stays until dismissed or cleared),
	 * group (replaces the group's previous notification; clear by group),
	 * throttle (ms: skip while one of the same group, or the same text, was
	 * shown this recently), level (info, success, warning, error), timeout
	 * (ms a non-sticky one stays; 4000).
	 * @returns {Element|null} the notification, or null when throttled
	 */
	notify(message, kwargs = {}) {
		const { sticky = false, group = "", throttle = 0, level = "info", timeout = 4000 } = kwargs || {};
		const text = String(message ?? "");
		const key = group ? `g:${group}` : `m:${text}`;
		const now = this.timers.now();
		if (throttle > 0 && this.shown.has(key) && now - this.shown.get(key) < throttle)
			return null;
		this.shown.set(key, now);
		const box = this.container();
		if (group)
			for (const old of box.querySelectorAll(".lv-note"))
				if (old.dataset.group === group)
					this.remove(old);
		const doc = this.doc;
		const note = doc.createElement("div");
		note.className = "lv-note";
		note.dataset.level = level;
		if (group)
			note.dataset.group = group;
		if (level === "error")
			note.setAttribute("role", "alert");
		const span = doc.createElement("span");
		span.className = "lv-note-text";
		span.textContent = text;
		note.appendChild(span);
		if (sticky) {
			note.dataset.sticky = "";
			const close = doc.createElement("button");
			close.type = "button";
			close.className = "lv-note-close";
			close.setAttribute("aria-label", "Dismiss");
			close.textContent = "\u00d7";
			close.addEventListener("click", () => this.remove(note));
			note.appendChild(close);
		} else {
			this.#due.set(note, this.timers.setTimeout(() => this.remove(note), timeout));
		}
		box.appendChild(note);
		return note;
	}

	remove(note) {
		if (this.#due.has(note)) {
			this.timers.clearTimeout(this.#due.get(note));
			this.#due.delete(note);
		}
		note.remove();
	}

	/** Removes every notification, or those of one group. */
	clear(group) {
		if (!this.box)
			return;
		for (const note of [...this.box.querySelectorAll(".lv-note")])
			if (!group || note.dataset.group === group)
				this.remove(note);
	}
}

// ---- reading arguments from the page ------------------------------------------------------

function scopeOf(element) {
	if (!element)
		return null;
	if (element.nodeName === "FORM")
		return element;
	return element.form || element.closest?.("form") || null;
}

/* The elements that hold NAME: in the form first, then the document. */
function findNamed(element, name) {
	const doc = element?.ownerDocument;
	const form = scopeOf(element);
	const byName = (root) => [...root.querySelectorAll(`[name="${cssEscape(name)}"]`)];
	if (form) {
		const inForm = form.elements ? [...form.elements].filter((e) => e.name === name) : byName(form);
		if (inForm.length)
			return inForm;
		const byId = form.querySelector(`#${cssId(name)}`);
		if (byId)
			return [byId];
	}
	if (!doc)
		return [];
	const all = byName(doc);
	if (all.length)
		return all;
	const el = doc.getElementById(name);
	return el ? [el] : [];
}

function cssId(s) {
	return String(s).replace(/[^A-Za-z0-9_-]/g, (c) => `\\${c.charCodeAt(0).toString(16)} `);
}

/* The raw value(s) of the elements named NAME, before coercion: a string,
 * a boolean (a lone checkbox, for a bool), a list of strings, an object (a
 * form), or undefined when there is nothing to send. */
function rawValue(els, type) {
	const first = els[0];
	const tag = first.nodeName;
	const itype = (first.type || "").toLowerCase();
	const wantsList = type && type.kind === "list";
	if (tag === "FORM")
		return formObject(first);
	if (tag === "INPUT" && itype === "radio") {
		const on = els.find((e) => e.checked);
		return on ? on.value : undefined;
	}
	if (tag === "INPUT" && itype === "checkbox") {
		if (wantsList)
			return els.filter((e) => e.checked).map((e) => e.value);
		if (type && type.kind === "bool")
			return first.checked;
		return first.checked ? first.value : undefined;
	}
	if (tag === "INPUT" && itype === "file") {
		const names = [...(first.files || [])].map((f) => f.name);
		return wantsList || first.multiple ? names : names[0];
	}
	if (tag === "SELECT" && first.multiple)
		return [...first.options].filter((o) => o.selected).map((o) => o.value);
	if (els.length > 1 && wantsList)
		return els.map((e) => ("value" in e ? e.value : e.textContent));
	if ("value" in first && typeof first.value === "string")
		return first.value;
	if (first.dataset && "value" in first.dataset)
		return first.dataset.value;
	return (first.textContent ?? "").trim();
}

/* A form as an object of its named controls (for json, struct and map
 * parameters). */
function formObject(form) {
	const out = {};
	const seen = new Set();
	for (const el of form.elements || []) {
		const name = el.name;
		if (!name || seen.has(name) || el.disabled || el.type === "submit" || el.type === "button")
			continue;
		seen.add(name);
		const group = [...form.elements].filter((e) => e.name === name);
		const v = rawValue(group, group[0].type === "checkbox" && group.length === 1 ? { kind: "bool" } :
		                   group.length > 1 && group[0].type === "checkbox" ? { kind: "list" } : null);
		if (v !== undefined)
			out[name] = v;
	}
	return out;
}

const INT_RE = /^[+-]?\d+$/;

/* A string from the page as a value of type t; throws LvError. */
function coerce(v, t, path, fn) {
	const bad = (msg) => { throw new LvError("invalid_argument", `${fn}: ${path}: ${msg}`, path); };
	if (!t)
		return v;
	let kind = t.kind;
	if (kind === "optional") {
		if (v === undefined || v === null || v === "")
			return undefined;
		t = t.elem;
		kind = t.kind;
	}
	switch (kind) {
	case "int": {
		if (typeof v !== "string")
			return v;
		const s = v.trim();
		if (s === "")
			bad("expected int, got an empty string");
		if (!INT_RE.test(s)) {
			if (/^[+-]?(\d+\.\d*|\.\d+|\d+)(e[+-]?\d+)?$/i.test(s))
				bad("expected int, got a number with a fraction");
			bad(`expected int, got '${clip(s)}'`);
		}
		const n = Number(s);
		if (!Number.isSafeInteger(n))
			bad("int out of range");
		return n;
	}
	case "float": {
		if (typeof v !== "string")
			return v;
		const s = v.trim();
		if (s === "")
			bad("expected float, got an empty string");
		const n = Number(s);
		if (!Number.isFinite(n) || /^0x/i.test(s))
			bad(`expected float, got '${clip(s)}'`);
		return n;
	}
	case "bool": {
		if (typeof v !== "string")
			return v;
		const s = v.trim().toLowerCase();
		if (["true", "on", "yes", "1"].includes(s))
			return true;
		if (["false", "off", "no", "0", ""].includes(s))
			return false;
		return bad(`expected bool, got '${clip(v)}'`);
	}
	case "bytes":
		return typeof v === "string" ? new TextEncoder().encode(v) : v;
	case "list": {
		const items = Array.isArray(v) ? v : v === undefined || v === "" ? [] : [v];
		return items.map((x, i) => coerce(x, t.elem, `${path}[${i}]`, fn));
	}
	default:
		return v;
	}
}

function clip(s) {
	s = String(s);
	return s.length > 40 ? `${s.slice(0, 40)}...` : s;
}

/**
 * Reads the named values for a callback's arguments: for each NAME, the
 * element's own data-lv-arg-NAME attribute if it has one, else the element
 * named NAME (name= or id=) in the element's form, else in the document.
 * An input gives its value, a checkbox whether it is checked (for a bool;
 * its value, or the checked values for a list), a radio group the checked
 * value, a multiple select the chosen values, a file input the file names,
 * a form an object of its controls. Values are coerced to the parameter
 * types (types: name -> descriptor); names with nothing to read are left
 * out (the server applies defaults or reports the missing argument).
 */
export function readArgs(element, names, types, fn) {
	const args = {};
	for (const name of names) {
		const t = types ? types.get(name) : null;
		let v;
		const attr = element?.getAttribute?.(`data-lv-arg-${String(name).toLowerCase()}`);
		if (attr !== null && attr !== undefined) {
			v = attr;
		} else {
			const els = element ? findNamed(element, name) : [];
			if (!els.length)
				continue;
			v = rawValue(els, t && t.kind === "optional" ? t.elem : t);
		}
		v = coerce(v, t, name, fn);
		if (v !== undefined)
			args[name] = v;
	}
	return args;
}

// ---- DOM ready ------------------------------------------------------------------------------

/**
 * Runs fn once the document has been parsed (soon, if it has been).
 * Returns a function that cancels it and removes the listener.
 */
export function whenDomReady(doc, fn) {
	let live = true;
	if (!doc || doc.readyState !== "loading") {
		queueMicrotask(() => live && fn());
		return () => {
			live = false;
		};
	}
	const listener = () => live && fn();
	doc.addEventListener("DOMContentLoaded", listener, { once: true });
	return () => {
		live = false;
		doc.removeEventListener("DOMContentLoaded", listener, { once: true });
	};
}
