// The view of one topic (/topics/<name>): its partitions with leader, replicas, in-sync replicas, log and size; every
// config marked default or override (or only the overrides); deleting it, with Kafka's command for the same; and its
// records (topic_records.js). Polled while it shows, so a new record or a lost replica shows within seconds.

import { deleteJSON, describe, getJSON } from "../api.js";
import { $, el, poller } from "../dom.js";
import { navigate } from "../router.js";
import { mountProduceForm } from "../widgets/produce_form.js";
import { mountTopicSearch } from "../widgets/topic_search.js";
import { browseTopic, startRecordBrowser, stopBrowsing } from "./topic_records.js";
import { dash, formatBytes, topicUrl } from "./topics.js";

let topicName = "";
let lastConfigs = [];
let search = null;

const nameOfPath = () => decodeURIComponent(location.pathname.replace(/^\/topics\//, "").replace(/\/+$/, ""));
const nodes = (ids) => (ids.length ? ids.join(", ") : "none");

function partitionRow(row) {
  const short = row.isr.length < row.replicas.length;
  const isr = el("td", { className: short ? "short-isr" : "", text: nodes(row.isr) });
  if (short) isr.append(" ", el("span", { className: "flag", text: "under-replicated" }));
  return el("tr", { "data-partition": String(row.partition) },
    ...[row.partition, dash(row.leader), nodes(row.replicas)].map((value) => el("td", { text: String(value) })), isr,
    ...[dash(row.log_start), dash(row.log_end), dash(row.records), formatBytes(row.size_bytes)]
      .map((value) => el("td", { text: value })));
}

// A config's name with a line-break opportunity after each ".", so a phone wraps "follower.replication.…" there.
const configName = (name) => el("code", {}, ...name.split(".").flatMap((part, index, parts) =>
  (index < parts.length - 1 ? [`${part}.`, el("wbr")] : [part])));

function configRow(config) {
  const mark = el("span", { className: `status ${config.override ? "override" : "default"}`,
    text: config.override ? "override" : "default" });
  return el("tr", { "data-config": config.name, "data-override": String(config.override) },
    el("td", { className: "config-name" }, configName(config.name)),
    el("td", { className: "config-value", text: config.sensitive ? "(hidden)" : dash(config.value) }),
    el("td", {}, mark), el("td", { className: "muted", text: config.source.toLowerCase().replaceAll("_", " ") }));
}

function renderConfigs() {
  const onlyOverrides = $("td-overrides-only").checked;
  const shown = lastConfigs.filter((config) => !onlyOverrides || config.override);
  const overrides = lastConfigs.filter((config) => config.override).length;
  $("td-config-count").textContent = `${lastConfigs.length} configs, ${overrides} set on the topic`;
  $("td-configs").replaceChildren(...(shown.length ? shown.map(configRow)
    : [el("tr", {}, el("td", { colspan: "4", className: "muted", text: "No config is set on this topic: every one is a default." }))]));
}

function renderDelete(topic) {
  const refusal = topic.orders_topic ? "The playground's orders topic is not deleted from here."
    : topic.internal ? "Kafka's internal topics are not deleted from here." : topic.controls.reason;
  $("td-delete").disabled = Boolean(refusal);
  $("td-delete-note").textContent = refusal;
  $("td-delete-command").textContent = topic.commands.delete;
}

function render(topic) {
  $("td-error").textContent = "";
  $("td-summary").textContent = `${topic.internal ? "internal · " : ""}${topic.partitions} partitions · replication `
    + `${topic.replication_factor} · ${dash(topic.records)} records · ${formatBytes(topic.size_bytes)}`;
  $("td-describe-command").textContent = topic.commands.describe;
  $("td-partitions").replaceChildren(...topic.partition_details.map(partitionRow));
  lastConfigs = topic.configs;
  renderConfigs();
  renderDelete(topic);
  browseTopic(topicName, topic.partition_details.map((row) => row.partition));
}

async function refresh() {
  const name = topicName;
  try {
    const topic = await getJSON(topicUrl(name), { timeoutMs: 15000 });
    if (name === topicName) render(topic);
  } catch (error) {
    if (name !== topicName) return;
    $("td-error").textContent = error.status === 404 ? `No topic ${name} on the broker (deleted?).`
      : `The topic cannot be read: ${describe(error)}`;
  }
}
const detailsPoll = poller(refresh, 5000);

// Kafka's default partitioner, asked of the server (topics/keys.py): the key's partition and each step to it.
async function partitionOfKey(event) {
  event.preventDefault();
  const key = $("td-key").value;
  try {
    const found = await getJSON(`${topicUrl(topicName)}/partition-of?key=${encodeURIComponent(key)}`);
    $("td-key-answer").textContent = `partition ${found.partition}: ${found.formula} (the key's ${found.key_bytes} UTF-8 bytes)`;
  } catch (error) {
    $("td-key-answer").textContent = describe(error);
  }
}

function askDelete(confirming) {
  $("td-delete").hidden = confirming;
  $("td-delete-confirm").hidden = !confirming;
  if (confirming) $("td-delete-no").focus();
}

async function deleteTopic() {
  $("td-delete-error").textContent = "";
  try {
    await deleteJSON(topicUrl(topicName), { timeoutMs: 20000 });
    askDelete(false);
    navigate("/topics");
  } catch (error) {
    $("td-delete-error").textContent = describe(error);
    askDelete(false);
  }
}

export const topicDetailsView = {
  name: "topic-details",
  title: "Topic",
  start() {
    startRecordBrowser();
    $("td-overrides-only").addEventListener("change", renderConfigs);
    $("td-delete").addEventListener("click", () => askDelete(true));
    $("td-delete-no").addEventListener("click", () => { askDelete(false); $("td-delete").focus(); });
    $("td-delete-yes").addEventListener("click", deleteTopic);
    $("td-key-form").addEventListener("submit", partitionOfKey);
  },
  enter() {
    topicName = nameOfPath();
    $("view-title").textContent = `Topic ${topicName}`;
    document.title = `Topic ${topicName} · Message Passing Playground`;
    for (const id of ["td-summary", "td-error", "td-delete-error", "td-describe-command", "td-delete-command", "td-key-answer"]) {
      $(id).textContent = "";
    }
    $("td-partitions").replaceChildren();
    lastConfigs = [];
    renderConfigs();
    askDelete(false);
    // The produce form names its topic: a new one for each topic shown.
    $("td-produce-mount").replaceChildren();
    mountProduceForm($("td-produce-mount"), { topic: topicName, idPrefix: "td-produce" });
    $("td-search-card").replaceChildren();
    search = mountTopicSearch($("td-search-card"), { topic: topicName });
    detailsPoll.start();
  },
  leave() {
    detailsPoll.stop();
    stopBrowsing();
    if (search) search.stop();
  },
};
