// The page's own spans of an order's trace (service "browser", docs/tracing.md): "click", the root, from the click
// that places an order to its answer, and "shown", from a record's frame arriving to its row being drawn, a child of
// the relay's span that the frame names. They are sent in batches to the tracing app (POST /tracing/spans) once a
// second, and when the page is hidden or left (a keepalive request, which outlives the page and still sends the
// CSRF header that sendBeacon cannot).

import { postJSON } from "./api.js";

const SPANS_URL = "/tracing/spans";
const FLUSH_MS = 1000;
// The server takes at most 100 spans a request; the page keeps at most MAX_QUEUED waiting (the oldest are dropped),
// so a page that cannot send them never grows.
const BATCH = 100;
const MAX_QUEUED = 500;
const ORDER_ID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

const queued = [];
const drawing = [];  // "shown" spans waiting for the next animation frame: their row is drawn by then
let timer = 0;
let listening = false;

// Spans still queued go out as the page is hidden or left (listened for from the first span on).
function sendOnLeaving() {
  listening = true;
  document.addEventListener("visibilitychange", () => { if (document.hidden) flush({ keepalive: true }); });
  addEventListener("pagehide", () => flush({ keepalive: true }));
}

// Now, in milliseconds since the epoch, with the performance clock's precision.
export const nowMs = () => performance.timeOrigin + performance.now();
const ns = (ms) => Math.round(ms * 1e6);

function randomHex(bytes) {
  return Array.from(crypto.getRandomValues(new Uint8Array(bytes)), (b) => b.toString(16).padStart(2, "0")).join("");
}

function enqueue(span) {
  if (!listening) sendOnLeaving();
  queued.push(span);
  if (queued.length > MAX_QUEUED) queued.shift();
  if (!timer) timer = setTimeout(() => flush(), FLUSH_MS);
}

// Send what is queued, in batches the server takes; keepalive when the page is going away.
export function flush({ keepalive = false } = {}) {
  clearTimeout(timer);
  timer = 0;
  while (queued.length) {
    const spans = queued.splice(0, BATCH);
    postJSON(SPANS_URL, { spans }, { keepalive, timeoutMs: keepalive ? 0 : 5000 }).catch(() => {});  // lost: spans are best effort
  }
}

// The click that placed an order: the root of its trace (its span id is the one in the traceparent it sent).
export function recordClick(trace, startMs, endMs, { orderId, transport, outcome }) {
  const attributes = { "order.transport": transport, "order.outcome": String(outcome).slice(0, 40) };
  if (orderId && ORDER_ID.test(orderId)) attributes["order.id"] = orderId;
  enqueue({ trace_id: trace.traceId, span_id: trace.spanId, parent_span_id: "", name: "click",
    start_ns: ns(startMs), end_ns: ns(Math.max(endMs, startMs)), attributes });
}

// A record frame drawn in the feed (`receivedMs`: when its message arrived): a "shown" span under the relay's span
// the frame names, ended at the next animation frame, once the row is painted. Frames without one (history, or a
// web process that does not trace) record nothing.
export function recordShown(frame, receivedMs) {
  const relaySpan = frame.relay_span;
  if (!relaySpan) return;
  const attributes = { "messaging.destination.partition.id": String(frame.partition), "messaging.kafka.offset": frame.offset };
  if (frame.key && ORDER_ID.test(frame.key)) attributes["order.id"] = frame.key;
  const span = { trace_id: relaySpan.trace_id, span_id: randomHex(8), parent_span_id: relaySpan.span_id, name: "shown",
    start_ns: ns(receivedMs), end_ns: 0, attributes };
  if (document.hidden) {
    span.end_ns = ns(nowMs());
    enqueue(span);
    return;
  }
  if (drawing.push(span) === 1) {
    requestAnimationFrame(() => {
      const end = ns(nowMs());
      for (const waiting of drawing.splice(0)) enqueue({ ...waiting, end_ns: Math.max(end, waiting.start_ns) });
    });
  }
}

