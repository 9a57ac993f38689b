// The Topics view: every topic on the broker (Kafka's internal ones marked) with its partitions, replication factor,
// records and size, each name a link to its details; and creating a topic, checked by the broker first, with Kafka's
// own command for the same. The server reads and changes the broker (topics/ on the server); this shows its answers.

import { describe, getJSON, postJSON } from "../api.js";
import { $, config, el, poller } from "../dom.js";

// Bytes as a person reads them: 512 B, 1.5 KiB, 3.2 MiB.
export function formatBytes(bytes) {
  if (bytes === null || bytes === undefined) return "–";
  const units = ["B", "KiB", "MiB", "GiB", "TiB"];
  let value = bytes;
  let unit = 0;
  while (value >= 1024 && unit < units.length - 1) { value /= 1024; unit += 1; }
  return unit === 0 ? `${bytes} B` : `${value.toFixed(value < 10 ? 1 : 0)} ${units[unit]}`;
}

export const dash = (value) => (value === null || value === undefined ? "–" : String(value));
export const topicPath = (name) => `/topics/${encodeURIComponent(name)}`;
export const topicUrl = (name) => `${config.topics_url}${encodeURIComponent(name)}`;

let lastTopics = [];

function topicRow(topic) {
  const name = el("td", { className: "topic-name" }, el("a", { href: topicPath(topic.name), "data-route": "", text: topic.name }));
  if (topic.internal) name.append(" ", el("span", { className: "status internal", text: "internal" }));
  if (topic.name === config.topic) name.append(" ", el("span", { className: "status", text: "the orders topic" }));
  return el("tr", { "data-topic": topic.name }, name,
    ...[topic.partitions, topic.replication_factor, dash(topic.records), formatBytes(topic.size_bytes), topic.under_replicated]
      .map((value) => el("td", { text: String(value) })));
}

function renderTopics() {
  const showInternal = $("topics-internal").checked;
  const shown = lastTopics.filter((topic) => showInternal || !topic.internal);
  $("topics-rows").replaceChildren(...(shown.length ? shown.map(topicRow)
    : [el("tr", {}, el("td", { colspan: "6", className: "muted", text: "No topic yet." }))]));
  const hidden = lastTopics.length - shown.length;
  $("topics-count").textContent = `${lastTopics.length} topic${lastTopics.length === 1 ? "" : "s"}`
    + (hidden ? `, ${hidden} internal hidden` : "");
}

function showControls(controls) {
  $("topic-create-off").hidden = controls.enabled;
  $("topic-create-off").textContent = controls.reason;
  for (const id of ["topic-check", "topic-create-button"]) $(id).disabled = !controls.enabled;
}

async function refresh() {
  try {
    const answer = await getJSON(config.topics_url, { timeoutMs: 15000 });
    lastTopics = answer.topics;
    $("topics-error").textContent = "";
    $("topics-broker").textContent = answer.bootstrap_servers;
    $("topics-list-command").textContent = answer.commands.list;
    showControls(answer.controls);
    renderTopics();
  } catch (error) {
    $("topics-error").textContent = `The topics cannot be read: ${describe(error)}`;
  }
}
const topicsPoll = poller(refresh, 5000);

// ---- create ------------------------------------------------------------------------------------------------------

// "name=value" per line; a line with no "=" goes as typed, for the server to refuse.
function parseConfigs(text) {
  const configs = {};
  for (const line of text.split("\n").map((part) => part.trim()).filter(Boolean)) {
    const at = line.indexOf("=");
    configs[at < 0 ? line : line.slice(0, at).trim()] = at < 0 ? "" : line.slice(at + 1).trim();
  }
  return configs;
}

const numberOrText = (value) => (/^\d+$/.test(value) ? Number(value) : value);

function showFieldErrors(fieldErrors) {
  for (const node of document.querySelectorAll("[data-topic-field]")) {
    const field = node.dataset.topicField;
    const own = Object.entries(fieldErrors).filter(([name]) => name === field || name.startsWith(`${field}.`));
    node.textContent = own.map(([name, text]) => (name === field ? text : `${name.slice(field.length + 1)}: ${text}`)).join(" ");
  }
}

async function createTopic(validateOnly) {
  const body = {
    name: $("topic-create-name").value.trim(),
    partitions: numberOrText($("topic-create-partitions").value),
    replication_factor: numberOrText($("topic-create-replication").value),
    configs: parseConfigs($("topic-create-configs").value),
    validate_only: validateOnly,
  };
  showFieldErrors({});
  $("topic-create-result").textContent = validateOnly ? "Checking…" : "Creating…";
  try {
    const { data } = await postJSON(config.topics_url, body, { timeoutMs: 20000 });
    $("topic-create-command").textContent = data.command;
    $("topic-create-command-box").hidden = false;
    if (validateOnly) {
      $("topic-create-result").textContent = `The broker would create ${data.name}: ${data.partitions} partition(s), replication ${data.replication_factor}.`;
    } else {
      $("topic-create-result").replaceChildren(`Created `,
        el("a", { href: topicPath(data.name), "data-route": "", text: data.name }), ".");
      await refresh();
    }
  } catch (error) {
    $("topic-create-result").textContent = error.status ? `Not created (HTTP ${error.status}).` : "";
    const fieldErrors = Object.keys(error.fieldErrors).length ? error.fieldErrors : { non_field_errors: error.message };
    showFieldErrors(fieldErrors);
  }
}

export const topicsView = {
  name: "topics",
  title: "Topics",
  start() {
    $("topics-internal").addEventListener("change", renderTopics);
    $("topic-create").addEventListener("submit", (event) => { event.preventDefault(); createTopic(false); });
    $("topic-check").addEventListener("click", () => createTopic(true));
  },
  enter() { topicsPoll.start(); },
  leave() { topicsPoll.stop(); },
};
