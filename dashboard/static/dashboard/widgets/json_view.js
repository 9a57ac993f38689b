// A JSON viewer: a value as a tree with its keys, strings, numbers, booleans and null told apart (by colour and by
// JSON's own notation), objects and arrays that fold (a button with aria-expanded; Enter, Space, the left and right
// arrows), and a copy button per node that puts the node's JSON text on the clipboard.
//
// The tree is built of phrasing elements only (spans and buttons), so it fits in a <pre>. Buttons draw their glyphs
// and words with CSS, so the text of an unfolded tree is the value's JSON: selecting and copying it gives JSON.
// Large values stay fast: containers beyond OPEN_DEPTH or with more than MAX_OPEN_CHILDREN children start folded,
// children are built on first unfolding, and long ones CHUNK at a time. The tree is one tab stop: the up and down
// arrows, Home and End move between its buttons.

import { el, roving } from "../dom.js";

export const OPEN_DEPTH = 2;  // containers deeper than this start folded
export const MAX_OPEN_CHILDREN = 100;  // so do containers with more children than this
const CHUNK = 100;  // children built per unfolding or "show more"
let ids = 0;

const kindOf = (value) => (value === null ? "null" : Array.isArray(value) ? "array" : typeof value);
const isContainer = (value) => value !== null && typeof value === "object";
const countOf = (value) => (Array.isArray(value) ? `${value.length} item${value.length === 1 ? "" : "s"}`
  : `${Object.keys(value).length} key${Object.keys(value).length === 1 ? "" : "s"}`);

// The JSON text a copy button puts on the clipboard: the node's value, indented as the page shows it.
export const jsonText = (value) => JSON.stringify(value, null, 2);

// Copy text: the async clipboard where the page may use it, else the old selection command; false when neither can.
export async function copyText(text) {
  if (navigator.clipboard && window.isSecureContext) {
    try {
      await navigator.clipboard.writeText(text);
      return true;
    } catch (error) { /* refused (no permission, no focus): try the old way */ }
  }
  const focused = document.activeElement;
  const area = el("textarea", { readonly: "", "aria-hidden": "true", tabindex: "-1",
    style: "position: fixed; top: 0; left: -9999px; opacity: 0" });
  area.value = text;
  document.body.append(area);
  area.select();
  let copied = false;
  try { copied = document.execCommand("copy"); } catch (error) { copied = false; }
  area.remove();
  if (focused && focused.focus) focused.focus();
  return copied;
}

function leaf(value) {
  const kind = kindOf(value);
  return el("span", { className: `jv-${kind}`, text: kind === "string" ? JSON.stringify(value) : String(value) });
}

function keyPart(key) {
  if (key === undefined) return [];
  return [el("span", { className: "jv-key", text: JSON.stringify(String(key)) }), el("span", { className: "jv-punct", text: ": " })];
}

// A name for a node's buttons: its path from the root ("value.order.equipment[1]").
const pathOf = (parent, key) => (key === undefined ? parent
  : typeof key === "number" ? `${parent}[${key}]` : `${parent}${parent ? "." : ""}${key}`);

// One polite live region for the page says what a copy did.
function announce(text) {
  let region = document.getElementById("json-view-status");
  if (!region) {
    region = el("div", { id: "json-view-status", className: "visually-hidden", role: "status" });
    document.body.append(region);
  }
  region.textContent = text;
}

function copyButton(value, path) {
  const button = el("button", { type: "button", className: "jv-btn jv-copy", tabindex: "-1",
    "aria-label": `copy ${path || "whole value"} as JSON` });
  button.addEventListener("click", async () => {
    const copied = await copyText(jsonText(value));
    button.dataset.state = copied ? "copied" : "failed";
    announce(copied ? `Copied ${path || "the whole value"}.` : "The clipboard is not available here: select the text and copy it.");
    if (!copied) {  // select the node's text, so the keyboard's copy works
      const range = document.createRange();
      range.selectNodeContents(button.closest(".jv-node"));
      getSelection().removeAllRanges();
      getSelection().addRange(range);
    }
    clearTimeout(button.resetTimer);
    button.resetTimer = setTimeout(() => { delete button.dataset.state; }, 1500);
  });
  return button;
}

function node(value, key, depth, last, path) {
  const line = el("span", { className: "jv-line" });
  const wrap = el("span", { className: "jv-node", "data-kind": kindOf(value) }, line);
  const comma = last ? [] : [el("span", { className: "jv-punct", text: "," })];
  if (!isContainer(value)) {
    line.append(...keyPart(key), leaf(value), ...comma, copyButton(value, path));
    return wrap;
  }
  const array = Array.isArray(value);
  const entries = array ? value.map((item, index) => [index, item]) : Object.entries(value);
  if (!entries.length) {
    line.append(...keyPart(key), el("span", { className: "jv-punct", text: array ? "[]" : "{}" }), ...comma, copyButton(value, path));
    return wrap;
  }
  const childrenId = `jv-${ids += 1}`;
  const toggle = el("button", { type: "button", className: "jv-btn jv-toggle", tabindex: "-1", "aria-expanded": "false",
    "aria-controls": childrenId, "aria-label": `${path || "whole value"}, ${countOf(value)}` });
  const children = el("span", { className: "jv-children", id: childrenId, hidden: "" });
  const close = el("span", { className: "jv-punct jv-close", text: array ? "]" : "}" });
  const ellipsis = el("span", { className: "jv-ellipsis", "data-count": countOf(value), text: "…" });
  let built = 0;
  const buildMore = () => {
    children.querySelector(":scope > .jv-more")?.remove();
    const end = Math.min(entries.length, built + CHUNK);
    for (; built < end; built += 1) {
      const [childKey, child] = entries[built];
      children.append(node(child, array ? undefined : childKey, depth + 1, built === entries.length - 1,
        pathOf(path, childKey)));
    }
    if (built < entries.length) {
      const more = el("button", { type: "button", className: "jv-btn jv-more", tabindex: "-1",
        text: `show ${Math.min(CHUNK, entries.length - built)} more of ${entries.length - built}` });
      more.addEventListener("click", () => {
        const first = built;
        buildMore();
        children.children[first]?.querySelector(".jv-btn")?.focus();
      });
      children.append(more);
    }
  };
  const setOpen = (open) => {
    if (open && built === 0) buildMore();
    children.hidden = !open;
    toggle.setAttribute("aria-expanded", String(open));
    wrap.classList.toggle("jv-folded", !open);
    if (open) ellipsis.remove();
    else close.before(ellipsis);
  };
  toggle.addEventListener("click", () => setOpen(toggle.getAttribute("aria-expanded") !== "true"));
  toggle.addEventListener("keydown", (event) => {
    if (event.key === "ArrowRight" || event.key === "ArrowLeft") {
      event.preventDefault();
      setOpen(event.key === "ArrowRight");
    }
  });
  // The copy button before the children: the arrow keys meet a node's buttons on its first line, as they look.
  line.append(toggle, ...keyPart(key), el("span", { className: "jv-punct", text: array ? "[" : "{" }), copyButton(value, path),
    children, close, ...comma);
  setOpen(depth <= OPEN_DEPTH && entries.length <= MAX_OPEN_CHILDREN);
  return wrap;
}

// The tree of a value, as a span (it fits in any <pre>): `tree.jsonValue` is the value shown.
export function jsonTree(value) {
  const tree = el("span", { className: "json-view" }, node(value, undefined, 0, true, ""));
  tree.jsonValue = value;
  tree.querySelector("button.jv-btn").tabIndex = 0;  // the tree's one tab stop, until the arrows move it
  roving(tree, "button.jv-btn");
  return tree;
}

// A keyboard-scrollable, labelled box with the tree of a value in it.
export function jsonView(value, label) {
  return el("pre", { className: "payload json-box", tabindex: "0", role: "region", "aria-label": label }, jsonTree(value));
}
