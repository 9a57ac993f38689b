// The Trace view (/traces/<trace id or order id>): one order's trace as a waterfall of the real spans every process
// kept (tracing/) and the browser's own (browser_spans.js: the click at the top, "shown" under each relay), by hop and
// process, with the gaps between hops named (waiting in the outbox, on the topic before a member took it, on the way
// to the browser), the links of a delivery to its record, and a redelivery marked. Polled while it shows: the
// processes export their spans about once a second.

import { describe, getJSON } from "../api.js";
import { $, clockTime, el, poller } from "../dom.js";

const TRACE_ID = /^[0-9a-f]{32}$/;
let wanted = "";
let lastDrawn = "";

const idOfPath = () => decodeURIComponent(location.pathname.replace(/^\/traces\//, "").replace(/\/+$/, ""));
const ms = (ns) => ns / 1e6;
const hop = (span) => span.name.split(" ")[0];

// The trace's spans in a tree order: each span after its parent (by start), roots first; depth for the indent.
function ordered(spans) {
  const byId = new Map(spans.map((span) => [span.span_id, span]));
  const children = new Map();
  const roots = [];
  for (const span of [...spans].sort((a, b) => a.start_ns - b.start_ns)) {
    if (span.parent_span_id && byId.has(span.parent_span_id)) {
      if (!children.has(span.parent_span_id)) children.set(span.parent_span_id, []);
      children.get(span.parent_span_id).push(span);
    } else roots.push(span);
  }
  const out = [];
  const walk = (span, depth) => {
    out.push({ span, depth });
    for (const child of children.get(span.span_id) || []) walk(child, depth + 1);
  };
  roots.forEach((root) => walk(root, 0));
  return { rows: out, byId };
}

// What the time before a span was: the outbox's wait before a send, the topic's before a delivery or a relay.
function gapBefore(span, parent) {
  if (hop(span) === "publish" && span.attributes["outbox.waited_ms"] !== undefined) {
    return { ms: span.attributes["outbox.waited_ms"], text: "waited in the outbox" };
  }
  if (parent && hop(parent) === "publish" && ["receive", "relay"].includes(hop(span))) {
    return { ms: ms(span.start_ns - parent.end_ns), text: hop(span) === "receive" ? "on the topic before a member took it" : "on the topic before the relay read it",
      early: "read at once, while the publisher still recorded its send" };
  }
  if (parent && hop(parent) === "relay" && hop(span) === "shown") {
    return { ms: ms(span.start_ns - parent.end_ns), text: "from the relay's hand-off to the browser",
      early: "received at once (the relay's span ends after its hand-off, and the sockets may send first)" };
  }
  return null;
}

function where(span) {
  const a = span.attributes;
  if (a["messaging.kafka.offset"] === undefined) return "";
  return `partition ${a["messaging.destination.partition.id"]}, offset ${a["messaging.kafka.offset"]}`;
}

// Through the CSSOM, which the page's Content-Security-Policy allows (a style attribute it would refuse).
function placed(node, left, width) {
  node.style.left = `${left}%`;
  node.style.width = `${width}%`;
  return node;
}

function draw(trace) {
  const spans = trace.spans;
  const { rows, byId } = ordered(spans);
  const start = Math.min(...spans.map((span) => span.start_ns));
  const end = Math.max(...spans.map((span) => span.end_ns));
  const total = Math.max(end - start, 1);
  const deliveries = new Map();
  const services = [...new Set(spans.map((span) => span.service))];
  $("trace-summary").textContent = `${spans.length} spans from ${services.join(", ")} · ${ms(total).toFixed(1)} ms from the `
    + `first span to the last · started ${clockTime(ms(start))}`;
  $("trace-id").textContent = trace.trace_id;
  $("trace-json").href = `/tracing/traces/${trace.trace_id}`;
  $("trace-rows").replaceChildren(...rows.map(({ span, depth }) => {
    const parent = byId.get(span.parent_span_id);
    const notes = [];
    const gap = gapBefore(span, parent);
    // A delivery can start before its send's span ends: the publisher still records the acknowledgement then.
    if (gap) notes.push(gap.ms >= 0 || !gap.early ? `${gap.ms.toFixed(1)} ms ${gap.text}` : gap.early);
    if (hop(span) === "click") notes.push(`the click on the page, until its ${span.attributes["order.transport"] || ""} answer (${span.attributes["order.outcome"] || "?"})`);
    if (hop(span) === "shown") notes.push("the record's row drawn in a browser's feed");
    if (where(span)) notes.push(where(span));
    if (hop(span) === "receive") {
      // Each member's taking of a record is a receive; a second one of the same offset is a redelivery.
      const key = where(span);
      deliveries.set(key, (deliveries.get(key) || 0) + 1);
      const member = span.attributes["fulfilment.member"];
      if (deliveries.get(key) > 1) notes.push(`redelivery (delivery ${deliveries.get(key)} of this record, to ${member})`);
    }
    for (const link of span.links) {
      const linked = byId.get(link.span_id);
      notes.push(`linked to ${linked ? `${linked.service} ${linked.name}` : `span ${link.span_id}`}`);
    }
    if (span.attributes["fulfilment.skipped"]) notes.push("skipped: an earlier delivery did this step");
    if (span.status === "ERROR") notes.push("error");
    const left = (100 * (span.start_ns - start)) / total;
    const width = Math.max((100 * (span.end_ns - span.start_ns)) / total, 0.4);
    const bar = el("div", { className: "waterfall-track", "aria-hidden": "true" });
    if (gap && gap.ms > 0) {
      const gapWidth = Math.min((100 * gap.ms * 1e6) / total, left);
      bar.append(placed(el("span", { className: "waterfall-gap" }), left - gapWidth, gapWidth));
    }
    bar.append(placed(el("span", { className: `waterfall-bar service-${span.service}` }), left, width));
    const name = el("td", { className: "span-name" }, el("code", { text: span.name }),
      ...(notes.length ? [el("div", { className: "muted span-notes", text: notes.join(" · ") })] : []));
    name.style.paddingLeft = `${0.4 + depth * 0.9}em`;
    return el("tr", { "data-span": span.span_id, "data-hop": hop(span), "data-service": span.service, "data-depth": String(depth) },
      el("td", {}, el("span", { className: `status service-${span.service}`, text: span.service })),
      name,
      el("td", { className: "num", text: `+${ms(span.start_ns - start).toFixed(1)}` }),
      el("td", { className: "num", text: span.duration_ms.toFixed(1) }),
      el("td", { className: "waterfall-cell" }, bar));
  }));
}

async function refresh() {
  const asked = wanted;
  try {
    let trace;
    if (TRACE_ID.test(asked)) trace = await getJSON(`/tracing/traces/${asked}`);
    else {
      const found = await getJSON(`/tracing/orders/${encodeURIComponent(asked)}`);
      if (!found.traces.length) {
        throw new Error(`No span of order ${asked} is kept yet. The processes export theirs about once a second; ` +
          `and of the traces no caller started (a click on this page always does), each process keeps ` +
          `${found.new_traces_per_second} a second: past that, an order is not traced at all.`);
      }
      trace = found.traces[0];
    }
    if (asked !== wanted) return;
    $("trace-error").textContent = "";
    const drawn = JSON.stringify(trace.spans.map((span) => [span.span_id, span.end_ns]));
    if (drawn !== lastDrawn) {
      lastDrawn = drawn;
      draw(trace);
    }
  } catch (error) {
    if (asked !== wanted) return;
    $("trace-error").textContent = error.status === 404 ? "No span of this trace is kept yet: the processes export theirs about once a second."
      : describe(error);
  }
}
const tracePoll = poller(refresh, 2000);

export const traceView = {
  name: "trace",
  title: "Trace",
  enter() {
    wanted = idOfPath();
    lastDrawn = "";
    $("view-title").textContent = "Trace";
    $("trace-rows").replaceChildren();
    for (const id of ["trace-summary", "trace-error", "trace-id"]) $(id).textContent = "";
    tracePoll.start();
  },
  leave() {
    tracePoll.stop();
  },
};
