// The dashboard: place an order over REST or gRPC, watch its Kafka record arrive, follow its timeline.
// Everything from an order or a record is put on the page with textContent, never as HTML.
"use strict";

const config = JSON.parse(document.getElementById("dashboard-config").textContent);
const $ = (id) => document.getElementById(id);

function el(tag, attrs = {}, ...children) {
  const node = document.createElement(tag);
  for (const [name, value] of Object.entries(attrs)) {
    if (name === "text") node.textContent = value;
    else if (name === "className") node.className = value;
    else node.setAttribute(name, value);
  }
  for (const child of children) node.append(child);
  return node;
}

function csrfToken() {
  return document.querySelector("input[name=csrfmiddlewaretoken]").value;
}

const shortId = (id) => (id ? String(id).slice(0, 8) : "—");
// A word for a POSIX shell: the copy-as commands quote every argument that carries data.
const shellQuote = (text) => `'${String(text).replace(/'/g, "'\\''")}'`;

// The order form's call as a command a terminal runs: curl for REST, grpcurl for gRPC (the same request).
function commandForOrder(transport, body) {
  if (transport === "grpc") {
    return ["grpcurl", "-plaintext", "-d", shellQuote(JSON.stringify(body)), "-max-time", "5", config.grpc_target,
      "OrderService/Create"].join(" ");
  }
  return ["curl", "-sS", "-i", "-X", "POST", shellQuote(`${location.origin}${config.rest_url}`), "-H",
    shellQuote("Content-Type: application/json"), "--data-raw", shellQuote(JSON.stringify(body))].join(" ");
}
const clockTime = (ms) => (Number.isFinite(ms) && Math.abs(ms) < 8.64e15
  ? new Date(ms).toISOString().slice(11, 23) : "—");

// ---- the order form ----------------------------------------------------------------------------------

const chosen = [];

function renderChips() {
  const list = $("equipment-chips");
  list.replaceChildren(...chosen.map((item, index) => {
    const chip = el("button", { type: "button", className: "chip", title: "remove", text: `${item} ×` });
    chip.addEventListener("click", () => { chosen.splice(index, 1); renderChips(); });
    return el("li", {}, chip);
  }));
}

document.querySelectorAll(".add-equipment .add").forEach((button) => {
  button.addEventListener("click", () => { chosen.push(button.dataset.item); renderChips(); });
});

function showFieldErrors(errors) {
  document.querySelectorAll(".field-error").forEach((node) => { node.textContent = ""; });
  for (const [field, messages] of Object.entries(errors || {})) {
    const target = document.querySelector(`.field-error[data-field="${CSS.escape(field)}"]`)
      || document.querySelector('.field-error[data-field="non_field_errors"]');
    const text = Array.isArray(messages) ? messages.join(" ") : String(messages);
    target.textContent = target.dataset.field === field ? text : `${field}: ${text}`;
  }
}

async function placeOverRest(body) {
  const response = await fetch(config.rest_url, {
    method: "POST",
    headers: { "Content-Type": "application/json", Accept: "application/json", "X-CSRFToken": csrfToken() },
    body: JSON.stringify(body),
  });
  const payload = await response.json().catch(() => ({}));
  return {
    ok: response.status === 201,
    status: `HTTP ${response.status}`,
    order: response.status === 201 ? payload : null,
    errors: response.status === 201 ? null : payload,
  };
}

async function placeOverGrpc(body) {
  const response = await fetch(config.grpc_url, {
    method: "POST",
    headers: { "Content-Type": "application/json", "X-CSRFToken": csrfToken() },
    body: JSON.stringify(body),
  });
  const payload = await response.json().catch(() => ({}));
  if (response.status !== 200) return { ok: false, status: `HTTP ${response.status}`, errors: payload };
  const ok = payload.code === "OK";
  const order = ok ? { ...payload.order, order_id: payload.order.id } : null;
  const errors = ok ? null : (Object.keys(payload.field_errors || {}).length
    ? payload.field_errors : { non_field_errors: [`${payload.code}: ${payload.message}`] });
  return { ok, status: `gRPC ${payload.code}`, order, errors, serverMs: payload.duration_ms };
}

$("order-form").addEventListener("submit", async (event) => {
  event.preventDefault();
  const transport = document.querySelector("input[name=transport]:checked").value;
  const body = { created_by: $("created-by").value, equipment: [...chosen] };
  const button = $("place-order");
  button.disabled = true;
  const trip = timeline.start(transport, commandForOrder(transport, body));
  try {
    const result = await (transport === "grpc" ? placeOverGrpc(body) : placeOverRest(body));
    timeline.responded(trip, result);
    showFieldErrors(result.errors);
    if (result.ok) orders.upsert(result.order, transport);
  } catch (error) {
    timeline.responded(trip, { ok: false, status: `network error: ${error.message}` });
  } finally {
    button.disabled = false;
  }
});

// ---- the timeline of the last order ------------------------------------------------------------------

const timeline = {
  trip: null,
  start(transport, command) {
    this.trip = { transport, command, sentAt: Date.now() };
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
    const seen = trip.orderId && feed.firstRecordFor(trip.orderId);
    if (seen) this.recorded(seen.frame, seen.shownAt);
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
  render() {
    const trip = this.trip;
    const sent = `${trip.transport.toUpperCase()} at ${clockTime(trip.sentAt)}`;
    const hops = [{ name: "request sent", detail: sent, at: 0 }];
    const pending = [];
    if (!trip.result) {
      pending.push(["response", "waiting…"]);
    } else {
      const server = trip.result.serverMs !== undefined ? ` (gateway→rungrpc ${trip.result.serverMs} ms)` : "";
      hops.push({ name: "response", detail: `${trip.result.status}${server}`, at: trip.respondedAt - trip.sentAt });
    }
    if (trip.result && trip.result.ok && !trip.record) pending.push(["Kafka record", "waiting for the outbox publisher…"]);
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
    hops.sort((a, b) => a.at - b.at);
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
    $("timeline").replaceChildren(...items);
  },
};

// ---- the orders table --------------------------------------------------------------------------------

// Opens the wire inspector (wire.js) on an order.
function wireButton(orderId) {
  const button = el("button", { type: "button", className: "link wire", title: "this order's bytes on each wire", text: "wire" });
  button.addEventListener("click", () => wireInspector.open(orderId));
  return button;
}

// A page left open for a day must not grow without bound: the table keeps the newest rows, the feed the newest
// event ids it dedupes against.
const MAX_ORDER_ROWS = 2000;
const MAX_SEEN_EVENTS = 20000;

const orders = {
  rows: new Map(),
  steps: new Map(),  // order id -> [{status, at, reason}]: what the feed showed happening to it, in order
  // An event of the feed: the order's status at that moment, and when it happened (the event's occurred_at).
  stepped(event, reason) {
    const id = event.order.order_id;
    const steps = this.steps.get(id) || [];
    const at = Date.parse(event.occurred_at);
    if (!steps.some((step) => step.status === event.order.status && step.at === at)) {
      steps.push({ status: event.order.status, at, reason: reason || "" });
      steps.sort((a, b) => a.at - b.at);
    }
    this.steps.set(id, steps);
    timeline.stepped(id, steps);
  },
  stepsText(id) {
    const steps = this.steps.get(id) || [];
    return steps.map((step, index) => {
      const ms = index ? ` +${Math.max(0, step.at - steps[index - 1].at)} ms` : "";
      return `${step.status}${step.reason ? ` (${step.reason})` : ""}${ms}`;
    }).join(" → ");
  },
  upsert(order, via) {
    if (!order || !order.order_id) return;
    let row = this.rows.get(order.order_id);
    if (!row) {
      row = el("tr", { "data-order-id": order.order_id });
      this.rows.set(order.order_id, row);
      $("orders").prepend(row);
      if (this.rows.size > MAX_ORDER_ROWS) {
        const oldest = this.rows.keys().next().value;
        this.rows.get(oldest).remove();
        this.rows.delete(oldest);
        this.steps.delete(oldest);
      }
    }
    const equipment = (order.equipment || []).join(", ");
    // A response or a page load can come after the feed showed a later step: the newest step wins.
    const steps = this.steps.get(order.order_id) || [];
    const last = steps[steps.length - 1];
    const current = (last && last.status) || order.status || "QUEUED";
    const status = el("span", { className: `status status-${current}`, text: current,
      title: last && last.reason ? last.reason : "" });
    row.replaceChildren(
      el("td", { title: order.order_id }, el("code", { text: shortId(order.order_id) }), " ", wireButton(order.order_id)),
      el("td", { text: order.created_by || "" }),
      el("td", { text: equipment }),
      el("td", {}, status),
      el("td", { className: "steps", text: this.stepsText(order.order_id) }),
      el("td", { className: "created-at", text: order.created_at || "" }),
      el("td", { text: via || row.dataset.via || "" }),
    );
    if (via) row.dataset.via = via;
  },
  async load() {
    const response = await fetch(`${config.rest_url}?page_size=50`, { headers: { Accept: "application/json" } });
    if (!response.ok) return;
    const page = await response.json();
    for (const order of page.computer_orders.reverse()) this.upsert(order);
  },
};

// ---- the Kafka feed ----------------------------------------------------------------------------------

// Builders of extra controls under a record's payload (workbench.js adds copy-as commands and re-produce).
const recordExtras = [];

// What the filters ask for; a record is shown when it matches all of them.
function filterOf() {
  return { partition: $("filter-partition").value, key: $("filter-key").value, type: $("filter-type").value,
    source: $("filter-source").value, text: $("filter-text").value.toLowerCase() };
}

function matches(frame, filter) {
  const event = frame.value_format === "json-event" ? frame.value : null;
  if (filter.partition !== "" && String(frame.partition) !== filter.partition) return false;
  if (filter.key && !String(frame.key || "").includes(filter.key)) return false;
  if (filter.type === "other" ? event !== null : filter.type && (!event || event.type !== filter.type)) return false;
  if (filter.source && (!event || event.source !== filter.source)) return false;
  if (filter.text) {
    const haystack = `${JSON.stringify(frame.value)} ${JSON.stringify(frame.headers_raw || frame.headers)}`;
    if (!haystack.toLowerCase().includes(filter.text)) return false;
  }
  return true;
}

const feed = {
  paused: false,
  held: [],
  seenEvents: new Set(),
  byKey: new Map(),
  count: 0,
  limit() { return Number($("buffer-size").value); },
  add(frame) {
    const shownAt = Date.now();
    if (frame.key && !this.byKey.has(frame.key)) this.byKey.set(frame.key, { frame, shownAt });
    if (this.byKey.size > 5000) this.byKey.delete(this.byKey.keys().next().value);
    timeline.recorded(frame, shownAt);
    const event = frame.value_format === "json-event" ? frame.value : null;
    if (event) {
      orders.stepped(event, frame.headers && frame.headers.reason);
      orders.upsert(event.order, event.type === "order.created" ? event.source : undefined);
    }
    if (this.paused) {
      this.held.push(frame);
      if (this.held.length > this.limit()) this.held.shift();  // the buffer bound holds while paused too
      $("paused-count").textContent = String(this.held.length);
      return;
    }
    this.render(frame);
  },
  firstRecordFor(key) { return this.byKey.get(key); },
  duplicatesHidden: 0,
  render(frame) {
    const event = frame.value_format === "json-event" ? frame.value : null;
    const duplicate = event && this.seenEvents.has(event.event_id);
    if (event) this.seenEvents.add(event.event_id);
    if (this.seenEvents.size > MAX_SEEN_EVENTS) this.seenEvents.delete(this.seenEvents.values().next().value);
    if (duplicate && !$("show-duplicates").checked) {
      this.duplicatesHidden += 1;
      $("duplicates-count").textContent = String(this.duplicatesHidden);
      $("duplicates-note").hidden = false;
      return;
    }
    const details = el("pre", { className: "payload", text: JSON.stringify(
      { key: frame.key, headers: frame.headers, value: frame.value, size: frame.size, timestamp_type: frame.timestamp_type },
      null, 2) });
    const toggle = el("button", { type: "button", className: "link", text: "payload" });
    const row = el("tr", { className: `record${duplicate ? " duplicate" : ""}`, "data-key": frame.key || "",
      "data-partition": frame.partition, "data-offset": frame.offset },
      el("td", { text: clockTime(frame.timestamp) }),
      el("td", { text: String(frame.partition) }),
      el("td", { text: String(frame.offset) }),
      el("td", { title: frame.key || "" }, el("code", { text: shortId(frame.key) })),
      el("td", { text: event ? event.type : `(${frame.value_format})` }),
      el("td", { text: event ? event.source : "" }),
      el("td", { text: event ? event.order.status + (duplicate ? " (duplicate)" : "") : String(frame.value).slice(0, 60) }),
      el("td", {}, toggle));
    const detailRow = el("tr", { className: "detail", hidden: "" },
      el("td", { colspan: "8" }, details, ...recordExtras.map((extra) => extra(frame))));
    toggle.addEventListener("click", () => { detailRow.hidden = !detailRow.hidden; });
    row.frame = frame;
    row.detail = detailRow;
    row.hidden = !matches(frame, filterOf());
    $("feed").prepend(detailRow);
    $("feed").prepend(row);
    this.count += 1;
    this.trim();
  },
  // Rows the filters let through, oldest first (the order of the topic), and a count of them.
  shown() {
    return [...$("feed").querySelectorAll("tr.record:not([hidden])")].reverse();
  },
  filter() {
    const filter = filterOf();
    for (const row of $("feed").querySelectorAll("tr.record")) {
      row.hidden = !matches(row.frame, filter);
      if (row.hidden) row.detail.hidden = true;
    }
    this.trim();
  },
  // What is shown, as JSON lines: one record frame per line, oldest first.
  exportShown() {
    const lines = this.shown().map((row) => JSON.stringify(row.frame)).join("\n");
    const link = el("a", { href: URL.createObjectURL(new Blob([lines ? `${lines}\n` : ""], { type: "application/x-ndjson" })),
      download: `${config.topic}-feed.jsonl` });
    document.body.append(link);
    link.click();
    link.remove();
  },
  trim() {
    const body = $("feed");
    while (body.querySelectorAll("tr.record").length > this.limit()) {
      body.lastElementChild.remove();
      body.lastElementChild.remove();
      this.count -= 1;
    }
    $("feed-count").textContent = `${this.count} record${this.count === 1 ? "" : "s"}`;
    const shown = $("feed").querySelectorAll("tr.record:not([hidden])").length;
    $("filter-count").textContent = shown === this.count ? "" : `${shown} of ${this.count} match`;
  },
  clear() {
    $("feed").replaceChildren();
    this.held = [];
    $("paused-count").textContent = "0";
    this.seenEvents.clear();
    this.count = 0;
    this.duplicatesHidden = 0;
    $("duplicates-note").hidden = true;
    this.trim();
  },
  togglePause() {
    this.paused = !this.paused;
    $("pause").textContent = this.paused ? "Resume" : "Pause";
    $("paused-note").hidden = !this.paused;
    if (!this.paused) {
      for (const frame of this.held) this.render(frame);
      this.held = [];
      $("paused-count").textContent = "0";
    }
  },
};

$("pause").addEventListener("click", () => feed.togglePause());
$("clear").addEventListener("click", () => feed.clear());
$("buffer-size").addEventListener("change", () => feed.trim());
$("export").addEventListener("click", () => feed.exportShown());
for (const id of ["filter-partition", "filter-type", "filter-source"]) $(id).addEventListener("change", () => feed.filter());
for (const id of ["filter-key", "filter-text"]) $(id).addEventListener("input", () => feed.filter());

// Where a new stream starts: the newest records, the beginning, offsets per partition or a time.
function startFrom() {
  const choice = $("start-from").value;
  if (choice === "newest") return relay.newest();
  if (choice === "beginning") return "beginning";
  if (choice === "time") {
    const ms = new Date($("start-time").value).getTime();
    if (!Number.isFinite(ms)) throw new Error("Pick a date and time.");
    return { timestamp: ms };
  }
  const offsets = {};
  for (const part of $("start-offsets").value.split(",").map((text) => text.trim()).filter(Boolean)) {
    const match = /^(\d+)\s*:\s*(\d+)$/.exec(part);
    if (!match) throw new Error(`"${part}" is not partition:offset, e.g. 0:12.`);
    offsets[match[1]] = Number(match[2]);
  }
  if (!Object.keys(offsets).length) throw new Error("Give at least one partition:offset, e.g. 0:12, 1:7.");
  // Partitions left out start at their end: only new records of theirs are shown.
  return { ...relay.ends(), ...offsets };
}

$("start-from").addEventListener("change", () => {
  $("start-offsets").hidden = $("start-from").value !== "offsets";
  $("start-time").hidden = $("start-from").value !== "time";
});
$("feed-start").addEventListener("submit", (event) => {
  event.preventDefault();
  try {
    const from = startFrom();
    $("start-error").textContent = "";
    feed.clear();
    relay.replay(from);
  } catch (error) {
    $("start-error").textContent = error.message;
  }
});

// ---- the websocket -----------------------------------------------------------------------------------

function setBadge(id, state, text) {
  const badge = $(id);
  badge.dataset.state = state;
  badge.textContent = text;
}

// The outbox backlog from /health: events committed but not yet acknowledged, and those parked for good.
async function showOutbox() {
  try {
    const response = await fetch(config.health_url, { headers: { Accept: "application/json" } });
    const outbox = (await response.json()).outbox || {};
    const age = outbox.waiting ? `, oldest ${Math.round(outbox.oldest_waiting_seconds)} s` : "";
    const state = outbox.parked || outbox.stale ? "down" : outbox.waiting ? "busy" : "ok";
    setBadge("outbox-state", state, `Outbox: ${outbox.waiting} waiting${age}, ${outbox.parked} parked`);
  } catch (error) {
    setBadge("outbox-state", "unknown", "Outbox: unknown");
  }
}
showOutbox();
setInterval(showOutbox, 2000);

const relay = {
  socket: null,
  positions: {},  // next offset per partition: what a reconnect resumes from
  endOffsets: {},  // the topic's end per partition when the socket connected
  retryMs: 500,
  connect() {
    const scheme = location.protocol === "https:" ? "wss" : "ws";
    const socket = new WebSocket(`${scheme}://${location.host}${config.ws_path}`);
    this.socket = socket;
    socket.addEventListener("open", () => {
      this.retryMs = 500;
      setBadge("ws-state", "ok", "WebSocket: connected");
      // A socket streams nothing until asked: resume exactly after the last record seen; a fresh page asks for
      // the newest records once the "connected" status says where the topic ends.
      if (Object.keys(this.positions).length) this.replay(this.positions);
    });
    socket.addEventListener("message", (message) => this.receive(JSON.parse(message.data)));
    socket.addEventListener("close", () => {
      setBadge("ws-state", "down", "WebSocket: reconnecting…");
      setTimeout(() => this.connect(), this.retryMs);
      this.retryMs = Math.min(this.retryMs * 2, 5000);
    });
  },
  replay(from) {
    if (this.socket && this.socket.readyState === WebSocket.OPEN) {
      this.socket.send(JSON.stringify({ action: "replay", from }));
    }
  },
  // The newest records already on the topic: the last few of each partition (a partition's log start is the
  // server's to apply), or only new ones when the ends are not known.
  ends() {
    const ends = { ...this.endOffsets };
    for (const [partition, offset] of Object.entries(this.positions)) ends[partition] = Math.max(ends[partition] || 0, offset);
    return ends;
  },
  newest() {
    const ends = this.ends();
    if (!Object.keys(ends).length) return "latest";
    return Object.fromEntries(Object.entries(ends).map(([partition, end]) =>
      [partition, Math.max(0, end - config.newest_per_partition)]));
  },
  connected(frame) {
    this.endOffsets = frame.end_offsets || {};
    this.listPartitions(frame.partitions || []);
    if (Object.keys(this.positions).length) return;
    // The first socket of a web process may connect before the shared reader knows the topic's ends: then go
    // live first, and ask for the newest records once the live status says where the topic ends.
    this.newestPending = !Object.keys(this.endOffsets).length;
    this.replay(this.newest());
  },
  listPartitions(partitions) {
    const select = $("filter-partition");
    if (select.options.length === 1) {
      select.append(...partitions.map((p) => el("option", { value: String(p), text: `partition ${p}` })));
    }
  },
  wentLive(positions) {
    this.listPartitions(Object.keys(positions || {}));
    if (!this.newestPending) return;
    this.newestPending = false;
    this.endOffsets = positions || {};
    if (Object.keys(this.endOffsets).length) this.replay(this.newest());
  },
  receive(frame) {
    // Several records that were ready at once come coalesced in one frame; each is shown as if it came alone.
    if (frame.type === "records") return frame.records.forEach((record) => this.receive(record));
    if (frame.type === "status" && frame.state === "connected") this.connected(frame);
    if (frame.type === "record") {
      this.positions[frame.partition] = Math.max(this.positions[frame.partition] || 0, frame.offset + 1);
      feed.add(frame);
    } else if (frame.type === "status") {
      if (frame.state === "live") {
        this.wentLive(frame.positions);
        // Partitions with no record seen yet resume from here too, not from their beginning.
        for (const [partition, offset] of Object.entries(frame.positions || {})) {
          this.positions[partition] = Math.max(this.positions[partition] || 0, offset);
        }
      }
      const labels = { connected: "connected", replaying: "replaying…", live: "live", paused: "paused" };
      if (frame.kafka === "unavailable" || frame.state === "kafka_unavailable") {
        setBadge("kafka-state", "down", `Kafka: unavailable${frame.error ? ` (${frame.error})` : ""}`);
      } else {
        setBadge("kafka-state", frame.state === "live" ? "ok" : "busy", `Kafka: ${labels[frame.state] || frame.state}`);
      }
    } else if (frame.type === "error") {
      setBadge("kafka-state", "down", `Relay error: ${frame.message}`);
    }
  },
};

orders.load();
relay.connect();
