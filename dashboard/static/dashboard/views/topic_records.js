// A topic's records, a page at a time (GET /kafka/topics/<name>/records): the newest across partitions, or one
// partition's from an offset; Older and Newer page on from the cursors the server gives. Rows and payloads are the
// feed's: each frame's payload opens as the same JSON tree, with a hex view of bytes that are not UTF-8, and the
// console consumer's command that prints that record; the page exports as JSON lines, as the feed does.

import { describe, getJSON } from "../api.js";
import { $, clockTime, config, el, roving, shortId } from "../dom.js";
import { payloadView } from "../feed.js";
import { verdictFlag } from "../verdicts.js";
import { topicUrl } from "./topics.js";

let topic = "";
let cursors = { older: null, newer: null };
let request = null;  // the page being asked for, aborted when another is asked or the view leaves
let detailIds = 0;
let shown = [];  // the frames on the page, newest first

const placeOf = (frame) => `partition ${frame.partition}, offset ${frame.offset}`;

// Kafka's console consumer printing exactly this record (a topic name holds no character a shell reads).
function recordCommand(frame) {
  const command = `.venv/bin/python -m localkafka console-consumer --bootstrap-server ${config.bootstrap_servers} `
    + `--topic ${topic} --partition ${frame.partition} --offset ${frame.offset} --max-messages 1 `
    + "--formatter-property print.key=true --formatter-property print.headers=true";
  return el("p", { className: "copy-as" }, el("span", { className: "muted", text: "Kafka's console consumer: " }),
    el("code", { className: "cmd", text: command }));
}

// The page's frames as JSON lines, oldest first, as the feed exports.
function exportPage() {
  const lines = [...shown].reverse().map((frame) => JSON.stringify(frame)).join("\n");
  const link = el("a", { href: URL.createObjectURL(new Blob([lines ? `${lines}\n` : ""], { type: "application/x-ndjson" })),
    download: `${topic}-records.jsonl` });
  document.body.append(link);
  link.click();
  link.remove();
}

// What the value column shows of a frame: an order event's type, text's start, or the format of what is not text.
function valueText(frame) {
  if (frame.value_format === "json-event") return `${frame.value.type} (${frame.value.order.status})`;
  if (frame.value_format === "text") return String(frame.value).slice(0, 80);
  if (frame.value_format === "unreadable") return "(unreadable by the client)";
  if (frame.value_format === "null") return "(null: a tombstone)";
  return "(bytes, not UTF-8)";
}

function recordRows(frame) {
  const detailId = `browse-detail-${detailIds += 1}`;
  const toggle = el("button", { type: "button", className: "link", tabindex: "-1", "data-rove": "",
    "aria-expanded": "false", "aria-controls": detailId, "aria-label": `payload of ${placeOf(frame)}`, text: "payload" });
  const key = frame.key_format === "base64" ? "(bytes)" : frame.key_format === "null" ? "—" : shortId(frame.key);
  const row = el("tr", { className: "record", "data-partition": String(frame.partition), "data-offset": String(frame.offset) },
    el("td", { text: clockTime(frame.timestamp) }), el("td", { text: String(frame.partition) }),
    el("td", { text: String(frame.offset) }), el("td", { title: frame.key_format === "text" ? frame.key : "" }, el("code", { text: key })),
    el("td", { className: "value" }, valueText(frame), ...verdictFlag(frame)), el("td", {}, toggle));
  const detail = el("tr", { className: "detail", id: detailId, hidden: "" }, el("td", { colspan: "6" }));
  toggle.addEventListener("click", () => {
    if (!detail.firstChild.firstChild) detail.firstChild.append(...payloadView(frame, placeOf(frame)), recordCommand(frame));
    detail.hidden = !detail.hidden;
    toggle.setAttribute("aria-expanded", String(!detail.hidden));
  });
  return [row, detail];
}

function query(extra) {
  const params = new URLSearchParams({ limit: $("tr-limit").value, ...extra });
  const partition = $("tr-partition").value;
  if (partition !== "") params.set("partition", partition);
  return params;
}

async function load(params) {
  if (request) request.abort();
  const controller = new AbortController();
  request = controller;
  $("tr-error").textContent = "";
  $("tr-status").textContent = "reading…";
  try {
    const page = await getJSON(`${topicUrl(topic)}/records?${params}`, { signal: controller.signal, timeoutMs: 20000 });
    cursors = { older: page.older, newer: page.newer };
    shown = page.records;
    $("tr-rows").replaceChildren(...(page.records.length ? page.records.flatMap(recordRows)
      : [el("tr", {}, el("td", { colspan: "6", className: "muted", text: "No records here." }))]));
    const bound = page.bounded_by === "bytes" ? `, stopped at ${page.bounds.max_bytes / 1048576} MiB`
      : page.bounded_by === "time" ? `, stopped after ${page.bounds.max_seconds} s` : "";
    $("tr-status").textContent = `${page.records.length} record${page.records.length === 1 ? "" : "s"}, newest first${bound}`;
  } catch (error) {
    if (error.aborted && controller !== request) return;
    $("tr-status").textContent = "";
    $("tr-error").textContent = describe(error);
  } finally {
    if (controller === request) request = null;
    $("tr-older").disabled = !cursors.older;
    $("tr-newer").disabled = !cursors.newer;
    $("tr-export").disabled = !shown.length;
  }
}

function show(event) {
  event.preventDefault();
  const offset = $("tr-offset").value;
  if (offset !== "" && $("tr-partition").value === "") {
    $("tr-error").textContent = "Choose the partition the offset is in.";
    return;
  }
  load(query(offset === "" ? {} : { offset }));
}

// Start browsing `name` with the newest records (the first time it is shown); a poll with the same topic keeps the
// page as it is, only adding partitions that are new to the choice.
export function browseTopic(name, partitions) {
  const select = $("tr-partition");
  const known = new Set([...select.options].map((option) => option.value));
  select.append(...partitions.filter((p) => !known.has(String(p))).map((p) => el("option", { value: String(p), text: `partition ${p}` })));
  if (name === topic) return;
  topic = name;
  load(query({}));
}

export function stopBrowsing() {
  if (request) request.abort();
  request = null;
  topic = "";
  cursors = { older: null, newer: null };
  shown = [];
  $("tr-rows").replaceChildren();
  $("tr-partition").replaceChildren(el("option", { value: "", text: "every partition" }));
  $("tr-offset").value = "";
  $("tr-status").textContent = "";
  $("tr-error").textContent = "";
}

export function startRecordBrowser() {
  $("tr-form").addEventListener("submit", show);
  $("tr-older").addEventListener("click", () => load(query({ before: cursors.older })));
  $("tr-newer").addEventListener("click", () => load(query({ after: cursors.newer })));
  $("tr-export").addEventListener("click", exportPage);
  roving($("tr-rows"), "tr:not([hidden]) button[data-rove]");
}
