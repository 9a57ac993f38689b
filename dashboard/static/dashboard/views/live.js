// The Live view: place an order over REST or gRPC and follow it across the hops on its timeline; the feed and the
// orders table beside it fill from the socket.

import { ApiError, newTrace, postJSON } from "../api.js";
import { nowMs, recordClick } from "../browser_spans.js";
import { $, clockTime, config, el, shellQuote } from "../dom.js";
import { onStep, orders, ordersFromRecord } from "../orders.js";
import { subscribe } from "../socket.js";

// ---- the order form ----------------------------------------------------------------------------------

const chosen = [];

// Removing a chip moves the focus to the chip now in its place, else the one before, else the first add button.
function renderChips(focusAt = null) {
  const chips = chosen.map((item, index) => {
    const chip = el("button", { type: "button", className: "chip", "aria-label": `remove ${item}`, text: `${item} ×` });
    chip.addEventListener("click", () => { chosen.splice(index, 1); renderChips(index); });
    return chip;
  });
  $("equipment-chips").replaceChildren(...chips.map((chip) => el("li", {}, chip)));
  if (focusAt !== null) (chips[Math.min(focusAt, chips.length - 1)] || document.querySelector(".add-equipment .add")).focus();
}

// The order form's call as a command a terminal runs: curl for REST, grpcurl for gRPC (the same request).
function commandForOrder(transport, body) {
  if (transport === "grpc") {
    return ["grpcurl", "-plaintext", "-d", shellQuote(JSON.stringify(body)), "-max-time", "5", config.grpc_target,
      "OrderService/Create"].join(" ");
  }
  return ["curl", "-sS", "-i", "-X", "POST", shellQuote(`${location.origin}${config.rest_url}`), "-H",
    shellQuote("Content-Type: application/json"), "--data-raw", shellQuote(JSON.stringify(body))].join(" ");
}

function showFieldErrors(errors) {
  document.querySelectorAll("#order-form .field-error").forEach((node) => { node.textContent = ""; });
  for (const [field, text] of Object.entries(errors || {})) {
    const target = document.querySelector(`#order-form .field-error[data-field="${CSS.escape(field)}"]`)
      || document.querySelector('#order-form .field-error[data-field="non_field_errors"]');
    target.textContent = target.dataset.field === field ? text : `${field}: ${text}`;
  }
}

async function placeOverRest(body, trace) {
  try {
    const { data } = await postJSON(config.rest_url, body, { headers: trace.headers });
    return { ok: true, status: "HTTP 201", order: data };
  } catch (error) {
    if (!(error instanceof ApiError) || !error.status) throw error;
    const errors = Object.keys(error.fieldErrors).length ? error.fieldErrors : { non_field_errors: error.message };
    return { ok: false, status: `HTTP ${error.status}`, errors };
  }
}

async function placeOverGrpc(body, trace) {
  let payload;
  try {
    payload = (await postJSON(config.grpc_url, body, { headers: trace.headers })).data;
  } catch (error) {
    if (!(error instanceof ApiError) || !error.status) throw error;
    return { ok: false, status: `HTTP ${error.status}`, errors: error.fieldErrors };
  }
  const ok = payload.code === "OK";
  const order = ok ? { ...payload.order, order_id: payload.order.id } : null;
  const fieldErrors = Object.fromEntries(Object.entries(payload.field_errors || {})
    .map(([field, messages]) => [field, [].concat(messages).join(" ")]));
  const errors = ok ? null : (Object.keys(fieldErrors).length ? fieldErrors
    : { non_field_errors: `${payload.code}: ${payload.message}` });
  return { ok, status: `gRPC ${payload.code}`, order, errors, serverMs: payload.duration_ms };
}

async function placeOrder(event) {
  event.preventDefault();
  const transport = document.querySelector("input[name=transport]:checked").value;
  const body = { created_by: $("created-by").value, equipment: [...chosen] };
  const button = $("place-order");
  button.disabled = true;
  const trace = newTrace();
  const clickedAt = nowMs();
  const trip = timeline.start(transport, commandForOrder(transport, body), trace.traceId);
  try {
    const result = await (transport === "grpc" ? placeOverGrpc(body, trace) : placeOverRest(body, trace));
    recordClick(trace, clickedAt, nowMs(), { orderId: result.order && result.order.order_id, transport, outcome: result.status });
    timeline.responded(trip, result);
    showFieldErrors(result.errors);
    if (result.ok) orders.upsert(result.order, transport);
  } catch (error) {
    recordClick(trace, clickedAt, nowMs(), { transport, outcome: "no answer" });
    timeline.responded(trip, { ok: false, status: error.message });
  } finally {
    button.disabled = false;
  }
}

// ---- the timeline of the last order ------------------------------------------------------------------

// order id -> when the feed first showed its record (shownAt) and, of its frame, only what the timeline shows: holding
// 5,000 whole frames (the feed keeps 2,000) would keep 3,000 records the feed dropped alive.
const firstRecords = new Map();

const timeline = {
  trip: null,
  start(transport, command, traceId) {
    this.trip = { transport, command, traceId, sentAt: Date.now() };
    this.render();
    return this.trip;
  },
  responded(trip, result) {
    if (trip !== this.trip) return;
    Object.assign(trip, { result, respondedAt: Date.now() });
    trip.orderId = result.order ? result.order.order_id : null;
    if (trip.orderId && orders.steps.has(trip.orderId)) {
      trip.steps = orders.steps.get(trip.orderId).filter((step) => step.status !== "QUEUED");
    }
    const seen = trip.orderId && firstRecords.get(trip.orderId);
    if (seen) this.recorded(seen, seen.shownAt);
    this.render();
  },
  // The worker's steps for the trip's order, as its status events arrive.
  stepped(orderId, steps) {
    const trip = this.trip;
    if (!trip || trip.orderId !== orderId) return;
    trip.steps = steps.filter((step) => step.status !== "QUEUED");
    this.render();
  },
  recorded(frame, shownAt) {
    const trip = this.trip;
    if (!trip || !trip.orderId || trip.record || frame.key !== trip.orderId) return;
    trip.record = frame;
    trip.shownAt = shownAt;
    this.render();
  },
  // Hops are listed in the order they happened, each with its milliseconds since the previous one: with the
  // outbox publisher nudged at commit, the Kafka record is often appended before the response reaches the page.
  hops(trip) {
    const hops = [{ name: "request sent", detail: `${trip.transport.toUpperCase()} at ${clockTime(trip.sentAt)}`, at: 0 }];
    if (trip.result) {
      const server = trip.result.serverMs !== undefined ? ` (gateway→rungrpc ${trip.result.serverMs} ms)` : "";
      hops.push({ name: "response", detail: `${trip.result.status}${server}`, at: trip.respondedAt - trip.sentAt });
    }
    if (trip.record) {
      const r = trip.record;
      hops.push({ name: "Kafka record", at: r.timestamp - trip.sentAt,
        detail: `partition ${r.partition}, offset ${r.offset}, ${r.timestamp_type || "?"} time ${clockTime(r.timestamp)}` });
      hops.push({ name: "shown here", detail: `live feed at ${clockTime(trip.shownAt)}`, at: trip.shownAt - trip.sentAt });
    }
    for (const step of trip.steps || []) {
      hops.push({ name: step.status, detail: `worker${step.reason ? `: ${step.reason}` : ""} at ${clockTime(step.at)}`,
        at: step.at - trip.sentAt });
    }
    return hops.sort((a, b) => a.at - b.at);
  },
  render() {
    const trip = this.trip;
    const hops = this.hops(trip);
    const pending = [];
    if (!trip.result) pending.push(["response", "waiting…"]);
    if (trip.result && trip.result.ok && !trip.record) pending.push(["Kafka record", "waiting for the outbox publisher…"]);
    const row = (name, detail, ms, at) => el("li", at === undefined ? {} : { "data-hop": name, "data-at": String(at) },
      el("span", { className: "hop", text: name }), el("span", { text: detail }), el("span", { className: "ms", text: ms }));
    const items = hops.map((hop, index) =>
      row(hop.name, hop.detail, index ? `+${(hop.at - hops[index - 1].at).toFixed(0)} ms` : "", hop.at));
    items.push(...pending.map(([name, detail]) => row(name, detail, "")));
    if (trip.record && trip.result) {
      const total = row("click → shown", "", `${(trip.shownAt - trip.sentAt).toFixed(0)} ms`);
      total.className = "total";
      items.push(total);
    }
    const command = row("as a command", "", "");
    command.className = "command";
    command.children[1].append(el("code", { className: "cmd", id: "order-command", text: trip.command }));
    items.push(command);
    if (trip.traceId) {
      const traced = row("trace", "", "");
      traced.className = "trace";
      traced.children[1].append(el("a", { id: "order-trace", href: `/traces/${trip.traceId}`, "data-route": "", text: trip.traceId }));
      items.push(traced);
    }
    $("timeline").replaceChildren(...items);
  },
};

function recorded(frame) {
  const shownAt = Date.now();
  if (frame.key && !firstRecords.has(frame.key)) {
    const { key, partition, offset, timestamp, timestamp_type } = frame;
    firstRecords.set(key, { key, partition, offset, timestamp, timestamp_type, shownAt });
  }
  if (firstRecords.size > 5000) firstRecords.delete(firstRecords.keys().next().value);
  timeline.recorded(frame, shownAt);
  ordersFromRecord(frame);
}

export const liveView = {
  name: "live",
  title: "Live",
  start() {
    document.querySelectorAll(".add-equipment .add").forEach((button) => {
      button.addEventListener("click", () => { chosen.push(button.dataset.item); renderChips(); });
    });
    $("order-form").addEventListener("submit", placeOrder);
    onStep((orderId, steps) => timeline.stepped(orderId, steps));
    subscribe("record", recorded);
  },
};
