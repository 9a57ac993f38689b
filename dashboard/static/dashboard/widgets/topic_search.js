// Search a whole topic on the server (/ws/search/, docs/protocol.md "Searching a topic"): criteria and bounds, a
// progress bar, cancel, the matches as the feed shows records (its payload view: JSON tree, hex for bytes that are
// not UTF-8) and why the search stopped. mountTopicSearch(container, {topic}) builds it all inside `container`, so
// any view can hold one; each search opens a socket of its own and closes it at its end.

import { clockTime, config, el, roving, shortId } from "../dom.js";
import { payloadView } from "../feed.js";
import { handMadeBadge, verdictFlag } from "../verdicts.js";

const REASONS = {
  end_of_topic: "it reached the end of the range",
  max_records: "it scanned as many records as allowed",
  max_bytes: "it scanned as many bytes as allowed",
  max_seconds: "it ran as long as allowed",
  max_matches: "it found as many matches as allowed",
  cancelled: "it was cancelled",
  error: "an error stopped it",
};
let mounted = 0;

const number = (value) => Number(value).toLocaleString("en-US");
const mib = (bytes) => `${(bytes / 1048576).toFixed(bytes < 1048576 ? 2 : 1)} MiB`;

// A labelled field with its own error line: [wrapper, input, error].
function field(prefix, name, label, input, hint = "") {
  input.id = `${prefix}-${name}`;
  const error = el("p", { className: "field-error", id: `${prefix}-${name}-error`, "data-field": name });
  input.setAttribute("aria-describedby", error.id);
  const title = el("label", { for: input.id, text: label });
  if (hint) title.append(" ", el("small", { className: "muted", text: hint }));
  return [el("div", { className: `ts-field ts-${name}` }, title, input, error), input, error];
}

function select(options, value) {
  const node = el("select");
  for (const [optionValue, text] of options) node.append(el("option", { value: optionValue, text }));
  node.value = value;
  return node;
}

// The local time a datetime-local input holds, as ms since the epoch; "" stays null.
function timeOf(input) {
  if (!input.value) return null;
  const ms = new Date(input.value).getTime();
  return Number.isFinite(ms) ? ms : NaN;
}

export function mountTopicSearch(container, { topic, headingLevel = 2 }) {
  mounted += 1;
  const prefix = `topic-search-${mounted}`;
  const limits = config.search_limits;
  const fields = {};
  const add = (name, label, input, hint) => {
    const [wrapper, node, error] = field(prefix, name, label, input, hint);
    fields[name] = { node, error };
    return wrapper;
  };
  const bound = (name, max, step = "1") => el("input", { type: "number", min: step === "1" ? "1" : "0.1", step,
    max: String(max), placeholder: number(max), inputmode: "decimal" });

  const form = el("form", { className: "ts-form", novalidate: "" },
    el("div", { className: "ts-grid" },
      add("key", "key", el("input", { autocomplete: "off", spellcheck: "false" })),
      add("key_match", "key match", select([["contains", "contains"], ["exact", "is exactly"]], "contains")),
      add("header_name", "header name", el("input", { autocomplete: "off", spellcheck: "false" }), "exact"),
      add("header_value", "header value", el("input", { autocomplete: "off", spellcheck: "false" }), "contains"),
      add("value", "value contains", el("input", { autocomplete: "off", spellcheck: "false" }), "case-sensitive"),
      add("value_format", "value as", select([["text", "text (UTF-8)"], ["hex", "hex bytes"]], "text")),
      add("partitions", "partitions", el("input", { autocomplete: "off", placeholder: "all, or e.g. 0, 2" })),
      add("from_time", "from", el("input", { type: "datetime-local", step: "0.001" }), "your local time"),
      add("to_time", "to", el("input", { type: "datetime-local", step: "0.001" }), "your local time")),
    el("details", { className: "ts-bounds" }, el("summary", { text: "Bounds" }),
      el("div", { className: "ts-grid" },
        add("max_records", "records scanned", bound("max_records", limits.max_records)),
        add("max_bytes", "bytes scanned", bound("max_bytes", limits.max_bytes)),
        add("max_seconds", "seconds", bound("max_seconds", limits.max_seconds, "0.1")),
        add("max_matches", "matches", bound("max_matches", limits.max_matches)))),
    el("p", { className: "field-error", "data-field": "non_field_errors" }));
  const run = el("button", { type: "submit", className: "ts-run", text: "Search" });
  const cancel = el("button", { type: "button", className: "ts-cancel", text: "Cancel", disabled: "" });
  form.append(el("div", { className: "controls" }, run, cancel));

  const bar = el("progress", { className: "ts-progress", max: "1", value: "0", "aria-label": `search of ${topic}: scanned` });
  const line = el("p", { className: "ts-line muted" });  // not a live region: it changes 4 times a second
  const partitionsLine = el("p", { className: "ts-positions muted" });
  const stopped = el("p", { className: "ts-stopped", role: "status" });
  const body = el("tbody", { className: "ts-results" });
  const table = el("div", { className: "table-scroll tall", tabindex: "0", role: "region", "aria-label": `matches in ${topic}` },
    el("table", { className: "feed ts-table" },
      el("thead", {}, el("tr", {}, ...["time", "partition", "offset", "key", "type", "value"].map((text) => el("th", { text })),
        el("th", {}, el("span", { className: "visually-hidden", text: "payload" })))),
      body));
  const progressBox = el("div", { className: "ts-status", hidden: "" }, bar, line, partitionsLine, stopped);
  table.hidden = true;
  container.classList.add("topic-search");
  container.append(el(`h${headingLevel}`, {}, "Search ", el("code", { text: topic }), " ",
    el("small", { className: "muted", text: "on the server, from the topic's first record" })), form, progressBox, table);
  roving(body, "button[data-rove]");

  let socket = null;
  let range = 0;

  const setRunning = (running) => {
    run.disabled = running;
    cancel.disabled = !running;
  };

  const clearErrors = () => {
    for (const { node, error } of Object.values(fields)) {
      error.textContent = "";
      node.removeAttribute("aria-invalid");
    }
    form.querySelector("[data-field=non_field_errors]").textContent = "";
  };

  const showErrors = (frame) => {
    const errors = frame.field_errors || {};
    for (const [name, messages] of Object.entries(errors)) {
      const target = fields[name];
      if (target) {
        target.error.textContent = messages.join(" ");
        target.node.setAttribute("aria-invalid", "true");
      } else {
        form.querySelector("[data-field=non_field_errors]").textContent += `${name}: ${messages.join(" ")} `;
      }
    }
    if (!Object.keys(errors).length) form.querySelector("[data-field=non_field_errors]").textContent = frame.message;
  };

  // The message the form asks for; a criterion left empty is left out.
  const message = () => {
    const out = { action: "search", topic };
    const text = (name) => fields[name].node.value;
    for (const name of ["key", "header_name", "header_value", "value"]) if (text(name) !== "") out[name] = text(name);
    if (out.key !== undefined) out.key_match = text("key_match");
    if (out.value !== undefined) out.value_format = text("value_format");
    if (text("partitions").trim()) {
      out.partitions = text("partitions").split(",").map((part) => part.trim()).filter(Boolean)
        .map((part) => (/^\d+$/.test(part) ? Number(part) : part));
    }
    for (const name of ["from_time", "to_time"]) {
      const ms = timeOf(fields[name].node);
      if (ms !== null) out[name] = Number.isNaN(ms) ? fields[name].node.value : ms;
    }
    for (const name of ["max_records", "max_bytes", "max_seconds", "max_matches"]) {
      if (text(name) !== "") out[name] = Number(text(name));
    }
    return out;
  };

  const showProgress = (frame) => {
    bar.value = range ? Math.min(1, frame.scanned_records / range) : 1;
    line.textContent = `${number(frame.scanned_records)} of ${number(range)} records scanned · ${mib(frame.scanned_bytes)}`
      + ` · ${number(frame.matches)} match${frame.matches === 1 ? "" : "es"} · ${(frame.elapsed_ms / 1000).toFixed(1)} s`
      + (frame.unreadable ? ` · ${number(frame.unreadable)} the Kafka client cannot decode` : "");
    partitionsLine.textContent = Object.entries(frame.partitions || {})
      .map(([p, at]) => `partition ${p}: ${number(at.position)} of ${number(at.from)}–${number(at.until)}`).join(" · ");
  };

  const addMatch = (frame) => {
    const event = frame.value_format === "json-event" ? frame.value : null;
    const where = `partition ${frame.partition}, offset ${frame.offset}`;
    const detail = el("tr", { className: "detail", hidden: "" }, el("td", { colspan: "7" }));
    detail.id = `${prefix}-match-${frame.partition}-${frame.offset}`;
    const toggle = el("button", { type: "button", className: "link", tabindex: "-1", "data-rove": "",
      "aria-expanded": "false", "aria-controls": detail.id, "aria-label": `payload of ${where}`, text: "payload" });
    const valueCell = el("td", { className: "value" }, event ? `${event.order.status}` : String(frame.value ?? "").slice(0, 60),
      ...verdictFlag(frame), ...handMadeBadge(frame));
    const row = el("tr", { className: "record", "data-partition": String(frame.partition), "data-offset": String(frame.offset) },
      el("td", { text: clockTime(frame.timestamp) }), el("td", { text: String(frame.partition) }),
      el("td", { text: String(frame.offset) }), el("td", { title: frame.key || "" }, el("code", { text: shortId(frame.key) })),
      el("td", { text: event ? event.type : `(${frame.value_format})` }), valueCell, el("td", {}, toggle));
    toggle.addEventListener("click", () => {
      if (!detail.firstChild.firstChild) detail.firstChild.append(...payloadView(frame, where));
      detail.hidden = !detail.hidden;
      toggle.setAttribute("aria-expanded", String(!detail.hidden));
    });
    body.append(row, detail);
    table.hidden = false;
  };

  const finish = (text) => {
    stopped.textContent = text;
    setRunning(false);
    if (socket) {
      const ending = socket;
      socket = null;
      ending.close();
    }
  };

  const onFrame = (frame) => {
    if (frame.type === "started") {
      range = frame.records_in_range;
      showProgress({ scanned_records: 0, scanned_bytes: 0, matches: 0, elapsed_ms: 0, partitions: frame.partitions });
    } else if (frame.type === "match") addMatch(frame.record);
    else if (frame.type === "progress") showProgress(frame);
    else if (frame.type === "done") {
      showProgress(frame);
      const why = REASONS[frame.reason] || frame.reason;
      finish(`Stopped: ${why}${frame.message ? ` (${frame.message})` : ""}.`);
      stopped.dataset.reason = frame.reason;
    } else if (frame.type === "error") {
      progressBox.hidden = true;
      showErrors(frame);
      finish("");
    }
  };

  form.addEventListener("submit", (submitted) => {
    submitted.preventDefault();
    if (socket) return;
    clearErrors();
    body.replaceChildren();
    table.hidden = true;
    stopped.textContent = "";
    delete stopped.dataset.reason;
    line.textContent = "Starting…";
    partitionsLine.textContent = "";
    bar.value = 0;
    range = 0;
    progressBox.hidden = false;
    setRunning(true);
    const scheme = location.protocol === "https:" ? "wss" : "ws";
    const opened = new WebSocket(`${scheme}://${location.host}${config.search_ws_path}`);
    socket = opened;
    const request = message();
    opened.addEventListener("open", () => opened.send(JSON.stringify(request)));
    opened.addEventListener("message", (received) => { if (socket === opened) onFrame(JSON.parse(received.data)); });
    opened.addEventListener("close", () => {
      if (socket === opened) finish("Stopped: the connection closed before the search ended.");
    });
  });
  // The server says it stopped (its done frame); a socket not open yet is closed, which starts nothing.
  cancel.addEventListener("click", () => {
    if (!socket) return;
    if (socket.readyState === WebSocket.OPEN) socket.send(JSON.stringify({ action: "cancel" }));
    else finish("Stopped: cancelled before it started.");
  });
  // For a view that drops the panel: closing the socket ends the search on the server.
  return { stop: () => { if (socket) finish("Stopped: the view was left."); } };
}
