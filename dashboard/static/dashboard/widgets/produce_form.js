// A form that produces one record to a topic (POST /workbench/produce): a key, a partition or the key's, headers,
// a value or a tombstone (a null value, not an empty one), and beside it the terminal command that writes the same
// record. mountProduceForm(container, {topic}) builds it; any view can mount one per topic it shows.

import { describe, postJSON } from "../api.js";
import { config, copyButton, el } from "../dom.js";
import { produceCommand } from "./produce_command.js";

// The header the server adds to every record produced from the page (messaging/judging.py HAND_MADE_HEADER).
export const HAND_MADE = ["hand-made", "dashboard produce"];

// "name: value" per line; a line without a colon is a header with an empty value.
export function parseHeaders(text) {
  return text.split("\n").filter((line) => line.trim()).map((line) => {
    const at = line.indexOf(":");
    return at < 0 ? [line.trim(), ""] : [line.slice(0, at).trim(), line.slice(at + 1).trim()];
  });
}

let mounted = 0;

// Build the form in `container`; returns {fill(record), open()}. `idPrefix` names its fields (one form per page may
// keep the default).
export function mountProduceForm(container, { topic, idPrefix = null } = {}) {
  const prefix = idPrefix || (mounted ? `produce-${mounted}` : "produce");
  mounted += 1;
  const id = (part) => `${prefix}-${part}`;
  const field = (tag, part, attrs = {}) => el(tag, { id: id(part), autocomplete: "off", ...attrs });
  const key = field("input", "key");
  const partition = field("input", "partition", { type: "number", min: "0", step: "1", placeholder: "by key",
    inputmode: "numeric" });
  const headers = field("textarea", "headers", { rows: "2" });
  const value = field("textarea", "value", { rows: "3" });
  const tombstone = field("input", "tombstone", { type: "checkbox" });
  const send = el("button", { type: "submit", id: prefix, text: "Produce" });
  const result = el("span", { className: "muted", id: id("result"), role: "status" });
  const error = el("p", { className: "field-error", id: id("error") });
  const tool = el("span", { className: "muted", id: id("tool") });
  const command = el("code", { className: "cmd", id: id("command"), "data-copy": "produce" });
  const note = el("p", { className: "hint muted", id: id("note") });
  const label = (part, text, hint) => el("label", { for: id(part) }, text, " ", el("small", { className: "muted", text: hint }));
  const form = el("form", { id: id("form"), novalidate: "" },
    el("div", { className: "produce-place" },
      el("div", {}, label("key", "key", "(empty: none)"), key),
      el("div", {}, label("partition", "partition", "(empty: the key's)"), partition)),
    label("headers", "headers", "(one name: value per line)"), headers,
    label("value", "value", "(empty: an empty value)"), value,
    el("p", { className: "produce-tombstone" }, el("label", { className: "inline" }, tombstone, " tombstone ",
      el("small", { className: "muted", text: "(a null value: deletes the key on a compacted topic)" }))),
    el("div", { className: "controls" }, send, result), error,
    el("p", { className: "copy-as" }, tool, command, " ", copyButton(() => command.textContent, "produce")), note);
  const box = el("details", { className: "produce", id: id("box") },
    el("summary", {}, "Produce a record to ", el("code", { text: topic })), form);
  container.append(box);

  const record = () => ({
    topic,
    partition: partition.value.trim() === "" ? null : Number(partition.value),
    key: key.value === "" ? null : key.value,
    headers: parseHeaders(headers.value),
    value: tombstone.checked ? null : value.value,
    tombstone: tombstone.checked,
  });
  const showCommand = () => {
    value.disabled = tombstone.checked;
    const shown = produceCommand(record(), HAND_MADE);
    tool.textContent = `${shown.tool}: `;
    command.textContent = shown.command;
    note.textContent = shown.note ? `${shown.note} This command does the same.` : "";
  };
  form.addEventListener("input", showCommand);
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    result.textContent = "";
    error.textContent = "";
    const body = record();
    if (topic === config.topic) delete body.topic;  // the server's default: the orders topic
    try {
      const { data } = await postJSON(config.produce_url, body);
      result.textContent = `sent to partition ${data.partition}, offset ${data.offset}`;
    } catch (failure) {
      error.textContent = describe(failure);
      result.textContent = failure.status ? `HTTP ${failure.status}` : "";
    }
  });
  showCommand();
  return {
    // Fill the fields with a record ({key, partition, headers: [[name, value]], value, tombstone}) and open the form.
    fill(filled) {
      key.value = filled.key ?? "";
      partition.value = filled.partition ?? "";
      headers.value = (filled.headers || []).map(([name, text]) => `${name}: ${text}`).join("\n");
      tombstone.checked = Boolean(filled.tombstone);
      value.value = filled.value ?? "";
      showCommand();
      box.open = true;
      key.focus();
    },
  };
}
