// The orders table: one row per order, its status and the worker's steps as the feed shows them happen.

import { getJSON } from "./api.js";
import { $, config, el, olderRowsNote, poller, roving, shortId, writeData } from "./dom.js";
import { currentView } from "./router.js";
import { applies } from "./verdicts.js";

// A page left open for a day must not grow without bound: the table keeps the newest rows.
const MAX_ORDER_ROWS = 2000;
// Rows drawn, at first and per "show older", as in the feed: every drawn row costs each frame's layout and paint, as
// a new order on top moves all of them (docs/performance.md). 15 fill the box at 1440 x 900, where an order's row
// has two lines; scrolling to its end draws 15 more. Rows past these stay in the table with class "beyond"
// (display: none).
const DRAWN_STEP = 15;
let showOlder = () => {};  // says how many rows are kept but not drawn (startOrders sets it)

const stepListeners = new Set();
// Listen for each new step of an order: listener(orderId, steps).
export const onStep = (listener) => stepListeners.add(listener);

// What a row's "wire" button does (the wire inspector sets it).
let openWire = () => {};
export const onWire = (handler) => { openWire = handler; };

// Every row is a copy of this one (a clone costs a fraction of building its nodes one by one); one listener on the
// table serves every row's "wire" button; its "trace" link opens the order's newest trace (views/trace.js). Each cell
// that shows text holds one Text node, written in place (its data): setting textContent would put a new node there
// each time. A full table's oldest row is not dropped but becomes the new order's row, so a steady stream of orders
// makes no DOM nodes to collect (docs/performance.md).
const ROW = el("tr", {},
  el("td", {}, el("code", {}, ""), " ", el("button", { type: "button", className: "link wire", tabindex: "-1",
    "data-rove": "", "aria-expanded": "false", "aria-controls": "wire-card", text: "wire" }), " ",
  el("a", { className: "trace-link", tabindex: "-1", "data-rove": "", "data-route": "", text: "trace" })),
  el("td", {}, ""), el("td", {}, ""),
  el("td", { className: "state" }, el("span", { className: "status" }, ""), el("span", { className: "marks" })),
  el("td", { className: "steps" }, ""), el("td", { className: "created-at" }, ""), el("td", {}, ""));

// A new row element, with the nodes its writes use: the Text nodes of the short id, created by, equipment, status,
// steps, created at and via, in that order; the id's cell, the status, the marks, the "wire" button and "trace" link.
function orderRow() {
  const row = ROW.cloneNode(true);
  const cells = row.children;
  const idCell = cells[0];
  row.idCell = idCell;
  row.wire = idCell.children[1];
  row.trace = idCell.children[2];
  row.status = cells[3].firstChild;
  row.marks = cells[3].lastChild;
  row.texts = [idCell.firstChild.firstChild, cells[1].firstChild, cells[2].firstChild, row.status.firstChild,
    cells[4].firstChild, cells[5].firstChild, cells[6].firstChild];
  return row;
}

// The marks a row can carry: what the server's counters found happened to the order (panel.py `marked`).
const MARKS = {
  lost: { text: "lost: committed, never finished",
    title: "The group committed past this order's record (at-most-once) and no member is working on it: no one will finish it." },
  processed_twice: { text: "processed twice",
    title: "The order's work started more than once: its record was delivered again after a member died mid-order." },
};
const marked = new Map();  // order id -> the kinds of mark it carries, in MARKS' order

function markCell(orderId) {
  return (marked.get(orderId) || []).map((kind) => el("span", { className: `mark mark-${kind}`, "data-mark": kind,
    title: MARKS[kind].title, text: MARKS[kind].text }));
}

// The server's lists of marked orders ({lost: [ids] | null, processed_twice: [ids]}): each row shows its marks.
// While the committed offsets cannot be read (lost: null) the lost marks stay as they were.
export function markOrders(lists) {
  if (!lists) return;
  const lost = lists.lost === null ? null : new Set(lists.lost);
  const twice = new Set(lists.processed_twice);
  const ids = new Set([...marked.keys(), ...(lists.lost || []), ...twice]);
  for (const id of ids) {
    const was = marked.get(id) || [];
    const isLost = lost === null ? was.includes("lost") : lost.has(id);
    const kinds = Object.keys(MARKS).filter((kind) => (kind === "lost" ? isLost : twice.has(id)));
    if (kinds.join() === was.join()) continue;
    if (kinds.length) marked.set(id, kinds); else marked.delete(id);
    orders.rows.get(id)?.marks.replaceChildren(...markCell(id));
  }
}

export const orders = {
  rows: new Map(),  // order id -> row
  // The rows in table order, newest first (the table's own children list costs a walk after every change).
  newestFirst: [],
  drawnLimit: DRAWN_STEP,  // the table's first rows, up to this many, are drawn
  // order id -> [{status, at, reason, offset}]: the accepted events of the feed, in offset order (one order's events
  // are in one partition); `at` is the event's occurred_at, for the milliseconds between steps only.
  steps: new Map(),
  // An accepted event of the feed at `offset`: the order's status from then on.
  stepped(event, reason, offset) {
    const id = event.order.order_id;
    const steps = this.steps.get(id) || [];
    if (!steps.some((step) => step.offset === offset)) {
      steps.push({ status: event.order.status, at: Date.parse(event.occurred_at), reason: reason || "", offset });
      steps.sort((a, b) => a.offset - b.offset);
    }
    this.steps.set(id, steps);
    stepListeners.forEach((listener) => listener(id, steps));
  },
  stepsText(id) {
    const steps = this.steps.get(id) || [];
    return steps.map((step, index) => {
      const ms = index ? ` +${Math.max(0, step.at - steps[index - 1].at)} ms` : "";
      return `${step.status}${step.reason ? ` (${step.reason})` : ""}${ms}`;
    }).join(" → ");
  },
  // A new row has its cells once; an update writes what changed in the cells after the id, so a focused "wire"
  // button stays.
  newRow(orderId) {
    const list = this.newestFirst;
    // A full table drops its oldest row to keep the bound: that row's element becomes this order's.
    const reused = list.length >= MAX_ORDER_ROWS ? this.dropOldest() : null;
    const row = reused || orderRow();
    row.dataset.orderId = orderId;
    row.idCell.title = orderId;
    row.texts[0].data = shortId(orderId);
    row.wire.setAttribute("aria-label", `wire: order ${shortId(orderId)}'s bytes on each wire`);
    row.trace.href = `/traces/${orderId}`;
    row.trace.setAttribute("aria-label", `trace of order ${shortId(orderId)}`);
    if (reused) {
      row.classList.remove("beyond");
      row.removeAttribute("data-via");
      row.wire.setAttribute("aria-expanded", "false");
      if (row.marks.firstChild) row.marks.replaceChildren();
    }
    if (marked.has(orderId)) row.marks.append(...markCell(orderId));
    this.rows.set(orderId, row);
    $("orders").prepend(row);
    list.unshift(row);
    list[this.drawnLimit]?.classList.add("beyond");
    while (list.length > MAX_ORDER_ROWS) this.dropOldest()?.remove();
    showOlder(Math.max(0, list.length - this.drawnLimit));
    return row;
  },
  // Take the oldest row out of the table's bookkeeping and return it, still in the table, for its element to be
  // reused or removed; null (and removed) when it is not to be reused: it holds the focus, or the wire inspector
  // shows its order.
  dropOldest() {
    const oldest = this.newestFirst.pop();
    this.rows.delete(oldest.dataset.orderId);
    this.steps.delete(oldest.dataset.orderId);
    if (!oldest.contains(document.activeElement) && oldest.wire.getAttribute("aria-expanded") !== "true") return oldest;
    oldest.remove();
    return null;
  },
  drawMore() {
    for (const row of this.newestFirst.slice(this.drawnLimit, this.drawnLimit + DRAWN_STEP)) {
      row.classList.remove("beyond");
    }
    this.drawnLimit += DRAWN_STEP;
    showOlder(Math.max(0, this.newestFirst.length - this.drawnLimit));
  },
  upsert(order, via) {
    if (!order || !order.order_id) return;
    const row = this.rows.get(order.order_id) || this.newRow(order.order_id);
    // The status is the last accepted event's by offset (a replay may bring older ones after it), else the REST
    // API's (the database's). Accepted events follow the rules: they trail the database only while one is in the
    // outbox.
    const steps = this.steps.get(order.order_id) || [];
    const last = steps[steps.length - 1];
    const current = (last && last.status) || order.status || "QUEUED";
    const texts = row.texts;
    const status = row.status;
    if (texts[3].data !== current) {
      status.className = `status status-${current}`;
      texts[3].data = current;
    }
    const reason = last && last.reason ? last.reason : "";
    if (status.title !== reason) status.title = reason;
    writeData(texts[1], order.created_by || "");
    writeData(texts[2], (order.equipment || []).join(", "));
    writeData(texts[4], this.stepsText(order.order_id));
    writeData(texts[5], order.created_at || "");
    if (via) row.dataset.via = via;
    writeData(texts[6], row.dataset.via || "");
  },
  latestId() {
    const row = document.querySelector("#orders tr[data-order-id]");
    return row ? row.dataset.orderId : "";
  },
  async load() {
    try {
      const page = await getJSON(`${config.rest_url}?page_size=50`);
      for (const order of page.computer_orders.reverse()) this.upsert(order);
    } catch (error) {
      // The feed fills the table as records arrive; the first page is a head start only.
    }
  },
};

// Only an event the server's rules accept moves its row; the feed flags the others.
export function ordersFromRecord(frame) {
  if (!applies(frame)) return;
  const event = frame.value;
  orders.stepped(event, frame.headers && frame.headers.reason, frame.offset);
  orders.upsert(event.order, event.type === "order.created" ? event.source : undefined);
}

// While the table shows (the Live view), the marks are read every few seconds; the Consumer groups view hands
// them over with its own poll. (Which view shows is the router's to say: asking the layout would force one.)
const marks = poller(async () => {
  if (document.hidden || currentView() !== "live") return;
  try {
    markOrders(await getJSON(config.fulfilment_marked_url, { timeoutMs: 5000 }));
  } catch (error) {
    // The next round asks again; the marks shown stay.
  }
}, 3000);

export function startOrders() {
  roving($("orders"), "tr:not(.beyond) [data-rove]");
  $("orders").addEventListener("click", (event) => {
    const button = event.target.closest("button.wire");
    if (button) openWire(button.closest("tr").dataset.orderId, button);
  });
  showOlder = olderRowsNote($("orders").closest(".table-scroll"),
    { id: "orders-more", noun: "order", step: DRAWN_STEP, drawMore: () => orders.drawMore() });
  orders.load();
  marks.start();
}
