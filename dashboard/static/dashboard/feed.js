// The Kafka feed: every record the socket brings, newest first across partitions, with pause, duplicates hidden, a
// bound, filters and export. One table serves the Live and the Topic views; it keeps filling while another view shows.

import { $, clockTime, config, el, olderRowsNote, roving, shortId, writeData, writeText } from "./dom.js";
import { recordShown } from "./browser_spans.js";
import { relay, subscribe } from "./socket.js";
import { handMadeBadge, orderingFlag, verdictFlag } from "./verdicts.js";
import { fromBase64, hexView } from "./widgets/hex_view.js";
import { jsonView } from "./widgets/json_view.js";

// A page left open for a day must not grow without bound: the feed keeps the newest event ids it dedupes against.
const MAX_SEEN_EVENTS = 20000;
// Rows the filters let through that are drawn, at first and per "show older": the feed keeps up to 2,000 rows (all
// in the table, for filters, export and links), but every row drawn costs each frame's layout and paint, as a new
// record on top moves all of them (a frame's prepaint, paint and layout grew about linearly with the rows drawn:
// docs/performance.md). 25 fill the feed's box (60% of the window's height) up to a 1920 x 1200 screen; scrolling
// to its end draws 25 more. Rows past these are in the table with class "beyond" (display: none).
const DRAWN_STEP = 25;

// Builders of extra controls under a record's payload (the Topic view adds copy-as commands and re-produce).
export const recordExtras = [];

const TRACEPARENT = /^00-([0-9a-f]{32})-[0-9a-f]{16}-[0-9a-f]{2}$/;
const ORDER_KEY = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

// Where a record's trace is drawn: the trace its `traceparent` header names, or else its order's latest trace (a
// record produced with no context started one of its own where it was read).
function traceLink(frame) {
  const traceId = TRACEPARENT.exec(frame.headers?.traceparent || "")?.[1];
  const target = traceId || (ORDER_KEY.test(frame.key || "") ? frame.key : "");
  if (!target) return [];
  const text = traceId ? `its trace, ${traceId}` : `the traces of order ${shortId(frame.key)}`;
  return [el("p", { className: "record-trace" }, "Follow this record across the processes: ",
    el("a", { className: "trace-link", href: `/traces/${target}`, "data-route": "", text }))];
}

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

// Whether record frame `a` is shown above `b`: newest first by record timestamp, then partition, then offset. The
// server sends each partition in offset order but the partitions one after another (history) or interleaved as
// polled (live); the feed places each row where it belongs instead.
function above(a, b) {
  if (a.timestamp !== b.timestamp) return (a.timestamp ?? -1) > (b.timestamp ?? -1);
  if (a.partition !== b.partition) return a.partition > b.partition;
  return a.offset > b.offset;
}

const placeOf = (frame) => `partition ${frame.partition}, offset ${frame.offset}`;
// Every record's row is a copy of this one, and its detail row (built on the first opening: most records are never
// opened) of DETAIL_ROW (a clone costs a fraction of building the nodes one by one); one listener on the table
// serves every row's "payload" button. Each cell that shows text holds one Text node, written in place (its data):
// setting textContent would put a new node there each time. A full feed's oldest row is not dropped but becomes the
// new record's row, so a steady stream of records makes no DOM nodes to collect (docs/performance.md).
const RECORD_ROW = el("tr", { className: "record" }, el("td", {}, ""), el("td", {}, ""), el("td", {}, ""),
  el("td", {}, el("code", {}, "")), el("td", {}, ""), el("td", {}, ""), el("td", { className: "value" }, ""),
  el("td", {}, el("button", { type: "button", className: "link", tabindex: "-1", "data-rove": "", "aria-expanded": "false",
    text: "payload" })));
const DETAIL_ROW = el("tr", { className: "detail", hidden: "" }, el("td", { colspan: "8" }));
// A new row element, with the nodes its writes use: the Text nodes of time, partition, offset, key, type, source and
// value, in that order; the key's cell (for its title) and the "payload" button.
function recordRow() {
  const row = RECORD_ROW.cloneNode(true);
  const cells = row.children;
  row.texts = [cells[0].firstChild, cells[1].firstChild, cells[2].firstChild, cells[3].firstChild.firstChild,
    cells[4].firstChild, cells[5].firstChild, cells[6].firstChild];
  row.keyCell = cells[3];
  row.toggle = cells[7].firstChild;
  row.detail = null;
  return row;
}
// Write a cell's text and the flags after it (a reused row first loses the flags of the record it showed before).
function writeCell(text, value, extras) {
  writeData(text, value);
  while (text.nextSibling) text.nextSibling.remove();
  if (extras.length) text.parentNode.append(...extras);
}
let showOlder = () => {};  // says how many rows the filters let through are kept but not drawn (startFeed sets it)
let detailIds = 0;

// What a record's payload shows: its frame's fields as a JSON tree (a field's format and reason only when it is not
// plain text), then a hex view of each key, value or header that is not UTF-8 (the frame carries those as base64).
// The topic search (widgets/topic_search.js) shows its matches with it too.
export function payloadView(frame, where) {
  const payload = { key: frame.key, headers: frame.headers, value: frame.value, size: frame.size,
    timestamp_type: frame.timestamp_type };
  for (const name of ["key_format", "key_reason", "value_format", "value_reason", "headers_raw", "truncated", "key_size",
    "value_size", "error"]) {
    if (frame[name] !== undefined && !(name.endsWith("_format") && ["text", "json-event"].includes(frame[name]))
      && !(name === "truncated" && !frame[name])) payload[name] = frame[name];
  }
  const parts = [jsonView(payload, `payload of ${where}`)];
  const bytes = (what, base64) => {
    const data = fromBase64(base64);
    parts.push(el("p", { className: "bytes-label muted", text: `${what}: ${data.length} bytes, not UTF-8` }),
      hexView(data, `${what} of ${where}, hex`));
  };
  if (frame.key_format === "base64") bytes("key", frame.key);
  if (frame.value_format === "base64") bytes("value", frame.value);
  for (const header of frame.headers_raw || []) {
    if (header.value_format === "base64") bytes(`header ${header.name}`, header.value);
  }
  return parts;
}

export const feed = {
  paused: false,
  held: [],
  seenEvents: new Set(),
  rows: [],  // the record rows in table order, newest first (a record's detail row, once built, right under it)
  count: 0,
  matching: 0,  // rows the filters let through
  drawn: 0,  // the leading rows drawn (the rest are "beyond")
  drawnMatching: 0,  // of those, the ones the filters let through
  drawnLimit: DRAWN_STEP,
  duplicatesHidden: 0,
  outOfOrder: 0,  // records drawn that the server flagged as out of their key's order, since the last clear
  clearOnReplay: false,  // a chosen start is waiting for the server's "replaying" before the table starts over
  untrimmed: false,  // rows were placed since the last trim: the socket's batch trims once, when it is all placed
  currentFilter: null,  // filterOf() as of the filters' last change (filter() reads them)
  limit() { return Number($("buffer-size").value); },
  add(frame) {
    if (this.paused) {
      this.held.push(frame);
      if (this.held.length > this.limit()) this.held.shift();  // the buffer bound holds while paused too
      $("paused-count").textContent = String(this.held.length);
      return;
    }
    // A "shown" span for what is drawn as it arrives (not for what a pause held back: its arrival is long past).
    if (this.render(frame)) recordShown(frame, relay.receivedAt);
  },
  // A record's row: `reused` (a row that left the feed) rewritten, or a new one.
  row(frame, event, duplicate, reused) {
    const row = reused || recordRow();
    row.className = duplicate ? "record duplicate" : "record";
    row.setAttribute("data-key", frame.key || "");
    row.setAttribute("data-partition", frame.partition);
    row.setAttribute("data-offset", frame.offset);
    row.setAttribute("data-verdict", frame.verdict || "");
    row.toggleAttribute("data-out-of-order", Boolean(frame.out_of_order));
    const texts = row.texts;
    texts[0].data = clockTime(frame.timestamp);
    texts[1].data = String(frame.partition);
    texts[2].data = String(frame.offset);
    row.keyCell.title = frame.key || "";
    texts[3].data = shortId(frame.key);
    texts[4].data = event ? event.type : frame.value_format === "null" ? "(tombstone)" : `(${frame.value_format})`;
    writeCell(texts[5], event ? event.source : "", handMadeBadge(frame));
    const verdict = verdictFlag(frame);
    const ordering = orderingFlag(frame);
    writeCell(texts[6], event ? event.order.status + (duplicate ? " (duplicate)" : "") : String(frame.value).slice(0, 60),
      ordering.length ? [...verdict, ...ordering] : verdict);
    const toggle = row.toggle;
    toggle.setAttribute("aria-label", `payload of ${placeOf(frame)}`);
    if (reused) {
      toggle.removeAttribute("aria-controls");
      toggle.setAttribute("aria-expanded", "false");
    }
    row.frame = frame;
    return row;
  },
  // Open or close a record's payload; its detail row and tools are built on the first opening.
  toggleDetail(row) {
    if (!row.detail) {
      const detail = DETAIL_ROW.cloneNode(true);
      detail.id = `record-detail-${detailIds += 1}`;
      detail.firstChild.append(...payloadView(row.frame, placeOf(row.frame)), ...traceLink(row.frame),
        ...recordExtras.map((extra) => extra(row.frame)));
      row.after(detail);
      row.detail = detail;
      row.toggle.setAttribute("aria-controls", detail.id);
    }
    const detail = row.detail;
    detail.hidden = !detail.hidden;
    row.toggle.setAttribute("aria-expanded", String(!detail.hidden));
  },
  // Place a record's row; false when it is not placed (a hidden duplicate, or older than a full feed's last row).
  render(frame) {
    const event = frame.value_format === "json-event" ? frame.value : null;
    const duplicate = event && this.seenEvents.has(event.event_id);
    if (event) this.seenEvents.add(event.event_id);
    if (this.seenEvents.size > MAX_SEEN_EVENTS) this.seenEvents.delete(this.seenEvents.values().next().value);
    if (duplicate && !$("show-duplicates").checked) {
      this.duplicatesHidden += 1;
      $("duplicates-count").textContent = String(this.duplicatesHidden);
      $("duplicates-note").hidden = false;
      return false;
    }
    // Binary search for the row's place: a live record goes on top at once, a chunk of history lands among the
    // rows by its timestamps, and a record older than a full feed's last row is not built at all.
    const rows = this.rows;
    let low = 0;
    if (rows.length && !above(frame, rows[0].frame)) {
      let high = rows.length;
      low = 1;
      while (low < high) {
        const middle = (low + high) >> 1;
        if (above(frame, rows[middle].frame)) high = middle;
        else low = middle + 1;
      }
    }
    const limit = this.limit();
    if (low >= limit) return false;
    // A full feed drops its oldest row to keep the bound: that row's element becomes this record's.
    const row = this.row(frame, event, duplicate, rows.length >= limit ? this.dropOldest() : null);
    row.hidden = !matches(frame, this.filterNow());
    const next = rows[low] || null;
    if (low < this.drawn) {
      this.drawn += 1;
      if (!row.hidden) this.drawnMatching += 1;
    } else {
      row.classList.add("beyond");
    }
    $("feed").insertBefore(row, next);
    if (low === 0) rows.unshift(row);  // a live record's place: splice would make an array of nothing removed
    else rows.splice(low, 0, row);
    if (!row.hidden) this.matching += 1;
    this.untrimmed = true;
    if (frame.out_of_order) this.countOutOfOrder(1);
    return true;
  },
  // Draw the leading rows up to drawnLimit matching ones, and no more: usually one row crosses the line.
  settle() {
    const rows = this.rows;
    while (this.drawn > 0 && this.drawnMatching > this.drawnLimit) {
      const row = rows[this.drawn -= 1];
      row.classList.add("beyond");
      if (!row.hidden) this.drawnMatching -= 1;
    }
    while (this.drawn < rows.length && this.drawnMatching < this.drawnLimit) {
      const row = rows[this.drawn];
      this.drawn += 1;
      row.classList.remove("beyond");
      if (!row.hidden) this.drawnMatching += 1;
    }
    showOlder(this.matching - this.drawnMatching);
  },
  drawMore() {
    this.drawnLimit += DRAWN_STEP;
    this.settle();
  },
  // Rows the filters let through, oldest first (by timestamp; each partition in offset order when its timestamps are).
  shown() {
    return this.rows.filter((row) => !row.hidden).reverse();
  },
  // What the filters ask for, read once after each change of theirs (not with every record).
  filterNow() {
    return this.currentFilter ||= filterOf();
  },
  filter() {
    const filter = this.currentFilter = filterOf();
    this.matching = 0;
    this.drawnMatching = 0;
    this.rows.forEach((row, index) => {
      row.hidden = !matches(row.frame, filter);
      if (row.hidden) {
        if (row.detail) row.detail.hidden = true;
        row.toggle.setAttribute("aria-expanded", "false");
      } else {
        this.matching += 1;
        if (index < this.drawn) this.drawnMatching += 1;
      }
    });
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
  // Drop the oldest rows past the bound, and say how many are kept and how many the filters let through.
  trim() {
    this.untrimmed = false;
    const limit = this.limit();
    while (this.rows.length > limit) this.dropOldest()?.remove();
    this.settle();
    this.count = this.rows.length;
    writeText($("feed-count"), `${this.count} record${this.count === 1 ? "" : "s"}`);
    writeText($("filter-count"), this.matching === this.count ? "" : `${this.matching} of ${this.count} match`);
  },
  // Take the oldest row out of the feed's count and return it, still in the table, for its element to be reused or
  // removed; null (and removed) when its element is not to be reused: it holds the focus, say.
  dropOldest() {
    const row = this.rows.pop();
    if (!row.hidden) this.matching -= 1;
    if (this.rows.length < this.drawn) {
      this.drawn -= 1;
      if (!row.hidden) this.drawnMatching -= 1;
    }
    if (row.detail) {
      row.detail.remove();
      row.detail = null;
    }
    if (!row.contains(document.activeElement)) return row;
    row.remove();
    return null;
  },
  countOutOfOrder(more) {
    this.outOfOrder = more ? this.outOfOrder + more : 0;
    $("ordering-count").hidden = !this.outOfOrder;
    $("ordering-count").textContent = `${this.outOfOrder} out of order`;
  },
  clear() {
    this.countOutOfOrder(0);
    $("feed").replaceChildren();
    this.rows = [];
    this.matching = 0;
    this.drawn = 0;
    this.drawnMatching = 0;
    this.drawnLimit = DRAWN_STEP;
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
    $("pause").setAttribute("aria-pressed", String(this.paused));
    $("paused-note").hidden = !this.paused;
    if (!this.paused) {
      for (const frame of this.held) this.render(frame);
      this.held = [];
      this.trim();
      $("paused-count").textContent = "0";
    }
  },
  // A new stream from a start the person chose: the table starts over once the server takes it (a refused start
  // leaves the feed as it was).
  restart(from) {
    this.clearOnReplay = true;
    relay.replay(from, { chosen: true });
  },
};

function listPartitions(partitions) {
  const select = $("filter-partition");
  if (select.options.length === 1 && partitions.length) {
    select.append(...partitions.map((p) => el("option", { value: String(p), text: `partition ${p}` })));
  }
}

// Bring a record's row in the feed into view and mark it.
export function showFeedRow(partition, offset) {
  document.querySelectorAll("#feed tr.highlight").forEach((row) => row.classList.remove("highlight"));
  const row = document.querySelector(`#feed tr.record[data-partition="${partition}"][data-offset="${offset}"]`);
  if (!row) return;
  while (row.classList.contains("beyond") && feed.drawn < feed.rows.length) feed.drawMore();
  row.classList.add("highlight");
  row.scrollIntoView({ block: "center" });
  row.toggle.focus();
}

export function startFeed() {
  $("pause").setAttribute("aria-pressed", "false");
  $("pause").addEventListener("click", () => feed.togglePause());
  $("clear").addEventListener("click", () => feed.clear());
  $("buffer-size").addEventListener("change", () => feed.trim());
  $("export").addEventListener("click", () => feed.exportShown());
  for (const id of ["filter-partition", "filter-type", "filter-source"]) $(id).addEventListener("change", () => feed.filter());
  for (const id of ["filter-key", "filter-text"]) $(id).addEventListener("input", () => feed.filter());
  roving($("feed"), "tr:not(.beyond) button[data-rove]");
  $("feed").addEventListener("click", (event) => {
    const toggle = event.target.closest("tr.record > td > button[data-rove]");
    if (toggle) feed.toggleDetail(toggle.closest("tr"));
  });
  showOlder = olderRowsNote($("feed").closest(".table-scroll"),
    { id: "feed-more", noun: "record", step: DRAWN_STEP, drawMore: () => feed.drawMore() });
  subscribe("partitions", listPartitions);
  subscribe("record", (frame) => feed.add(frame));
  subscribe("batch", () => { if (feed.untrimmed) feed.trim(); });
  subscribe("status", (frame) => {
    if (feed.clearOnReplay && frame.type === "status" && frame.state === "replaying") {
      feed.clearOnReplay = false;
      feed.clear();
    }
  });
  subscribe("refused", () => { feed.clearOnReplay = false; });
}
