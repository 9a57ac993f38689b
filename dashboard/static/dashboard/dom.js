// DOM helpers shared by the views: build elements (text only, never HTML), format times and ids, keyboard roving.

export const config = JSON.parse(document.getElementById("dashboard-config").textContent);
export const $ = (id) => document.getElementById(id);

// An element with attributes and children; "text" sets textContent, so data from the wire is never parsed as HTML.
export function el(tag, attrs = {}, ...children) {
  const node = document.createElement(tag);
  for (const [name, value] of Object.entries(attrs)) {
    if (name === "text") node.textContent = value;
    else if (name === "className") node.className = value;
    else node.setAttribute(name, value);
  }
  for (const child of children) node.append(child);
  return node;
}

// Write a node's text only when it changed: an unchanged write still costs the next frame a layout of the node.
export function writeText(node, text) {
  if (node.textContent !== text) node.textContent = text;
}

// The same for a Text node, written in place: no new node is made.
export function writeData(text, value) {
  if (text.data !== value) text.data = value;
}

export const shortId = (id) => (id ? String(id).slice(0, 8) : "—");
// A word for a POSIX shell: the copy-as commands quote every argument that carries data.
export const shellQuote = (text) => `'${String(text).replace(/'/g, "'\\''")}'`;
export const clockTime = (ms) => (Number.isFinite(ms) && Math.abs(ms) < 8.64e15
  ? new Date(ms).toISOString().slice(11, 23) : "—");

// A "copy" button that puts `text` (or what text() gives when clicked) on the clipboard.
export function copyButton(text, name) {
  const button = el("button", { type: "button", className: "link", "aria-label": `copy the ${name} command`, text: "copy" });
  button.addEventListener("click", async () => {
    try {
      await navigator.clipboard.writeText(typeof text === "function" ? text() : text);
      button.textContent = "copied";
    } catch (error) {
      button.textContent = "select the text to copy";
    }
  });
  return button;
}

// A payload box: a <pre> the keyboard can focus and scroll, named for screen readers.
export function payloadBox(text, label) {
  return el("pre", { className: "payload", tabindex: "0", role: "region", "aria-label": label, text });
}

// One tab stop for a table's row buttons (those matching `selector`, created with tabindex -1): Tab enters at the
// last one used, the arrow keys, Home and End move between rows. Rows the filters hide, and those `selector` leaves
// out (a table's rows kept but not drawn), are skipped; the tab stop leaves a row that becomes one of them.
export function roving(container, selector) {
  let current = null;
  const usable = (node) => !node.closest("[hidden]") && node.matches(selector);
  const visible = () => [...container.querySelectorAll(selector)].filter((node) => !node.closest("[hidden]"));
  const settle = () => {
    if (current && current.isConnected && usable(current)) return;
    if (current) current.tabIndex = -1;
    // The first row's button, unless a filter hides it (looking through all of a long table's rows costs a frame).
    const first = container.querySelector(selector);
    current = first && usable(first) ? first : visible()[0] || null;
    if (current) current.tabIndex = 0;
  };
  const move = (next) => {
    if (!next) return;
    if (current) current.tabIndex = -1;
    current = next;
    next.tabIndex = 0;
    next.focus();
  };
  container.addEventListener("focusin", (event) => {
    if (event.target.matches(selector) && event.target !== current) move(event.target);
  });
  container.addEventListener("keydown", (event) => {
    if (!event.target.matches(selector)) return;
    const all = visible();
    const at = all.indexOf(event.target);
    const target = { ArrowDown: all[at + 1], ArrowUp: all[at - 1], Home: all[0], End: all[all.length - 1] }[event.key];
    if (target === undefined && !["ArrowDown", "ArrowUp", "Home", "End"].includes(event.key)) return;
    event.preventDefault();
    move(target);
  });
  let queued = false;
  new MutationObserver(() => {
    if (queued) return;
    queued = true;
    queueMicrotask(() => { queued = false; settle(); });
  }).observe(container, { childList: true, subtree: true, attributes: true, attributeFilter: ["hidden"] });
}

// Under a tall table's box, for a table that draws only its newest rows: "N older … kept, not drawn" and a button
// that draws `step` more, as scrolling the box to its end does. Returns show(older), which writes only a change.
export function olderRowsNote(box, { id, noun, step, drawMore }) {
  const count = el("span", { id: `${id}-count` });
  const more = el("button", { type: "button", className: "link", text: `show ${step} more` });
  more.addEventListener("click", drawMore);
  const note = el("p", { className: "muted", id, hidden: "" }, count, " ", more);
  box.after(note);
  box.addEventListener("scroll", () => {
    if (!note.hidden && box.scrollTop + box.clientHeight >= box.scrollHeight - 40) drawMore();
  }, { passive: true });
  let shown = 0;
  return (older) => {
    if (older === shown) return;
    shown = older;
    note.hidden = older === 0;
    count.textContent = `${older} older ${noun}${older === 1 ? "" : "s"} kept, not drawn.`;
  };
}

// Call `task` (async) every `ms` while started, never two at once; stop() ends it.
export function poller(task, ms) {
  let timer = null;
  let running = false;
  const tick = async () => {
    try { await task(); } finally { if (running) timer = setTimeout(tick, ms); }
  };
  return {
    start() { if (!running) { running = true; tick(); } },
    stop() { running = false; clearTimeout(timer); },
  };
}
