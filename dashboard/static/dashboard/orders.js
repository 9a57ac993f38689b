// The orders table: one row per order, its status and the worker's steps as the feed shows them happen.

import { getJSON } from "./api.js";
import { $, config, el, poller, roving, shortId } from "./dom.js";
import { applies } from "./verdicts.js";

// A page left open for a day must not grow without bound: the table keeps the newest rows.
const MAX_ORDER_ROWS = 2000;

const stepListeners = new Set();
// Listen for each new step of an order: listener(orderId, steps).
export const onStep = (listener) => stepListeners.add(listener);

// What a row's "wire" button does (the wire inspector sets it).
let openWire = () => {};
export const onWire = (handler) => { openWire = handler; };

function wireButton(orderId) {
  const button = el("button", { type: "button", className: "link wire", tabindex: "-1", "data-rove": "",
    "aria-expanded": "false", "aria-controls": "wire-card", "aria-label": `wire: order ${shortId(orderId)}'s bytes on each wire`,
    text: "wire" });
  button.addEventListener("click", () => openWire(orderId, button));
  return button;
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
    const place = orders.rows.get(id)?.querySelector(".marks");
    if (place) place.replaceChildren(...markCell(id));
  }
}

export const orders = {
  rows: new Map(),
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
  // A new row has its cells once; an update rewrites the cells after the id, so a focused "wire" button stays.
  newRow(orderId) {
    const row = el("tr", { "data-order-id": orderId },
      el("td", { title: orderId }, el("code", { text: shortId(orderId) }), " ", wireButton(orderId)),
      ...["", "", "", "steps", "created-at", ""].map((className) => el("td", className ? { className } : {})));
    this.rows.set(orderId, row);
    $("orders").prepend(row);
    if (this.rows.size > MAX_ORDER_ROWS) {
      const oldest = this.rows.keys().next().value;
      this.rows.get(oldest).remove();
      this.rows.delete(oldest);
      this.steps.delete(oldest);
    }
    return row;
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
    const status = el("span", { className: `status status-${current}`, text: current,
      title: last && last.reason ? last.reason : "" });
    const cells = row.children;
    cells[1].textContent = order.created_by || "";
    cells[2].textContent = (order.equipment || []).join(", ");
    cells[3].replaceChildren(status, el("span", { className: "marks" }, ...markCell(order.order_id)));
    cells[4].textContent = this.stepsText(order.order_id);
    cells[5].textContent = order.created_at || "";
    if (via) row.dataset.via = via;
    cells[6].textContent = row.dataset.via || "";
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
// them over with its own poll.
const marks = poller(async () => {
  if (document.hidden || !$("orders").offsetParent) return;
  try {
    markOrders(await getJSON(config.fulfilment_marked_url, { timeoutMs: 5000 }));
  } catch (error) {
    // The next round asks again; the marks shown stay.
  }
}, 3000);

export function startOrders() {
  roving($("orders"), "button[data-rove]");
  orders.load();
  marks.start();
}
