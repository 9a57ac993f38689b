// The Topic view: the topic's partitions, a search of the whole topic on the server, where the feed starts, its
// filters, producing a record, and under each record the commands that read exactly it from a terminal.

import { getJSON } from "../api.js";
import { $, config, copyButton, el, poller } from "../dom.js";
import { feed, recordExtras } from "../feed.js";
import { relay, subscribe } from "../socket.js";
import { navigate } from "../router.js";
import { HAND_MADE, mountProduceForm } from "../widgets/produce_form.js";
import { mountTopicSearch } from "../widgets/topic_search.js";

// ---- partitions --------------------------------------------------------------------------------------

async function showPartitions() {
  try {
    const state = await getJSON(config.fulfilment_state_url, { timeoutMs: 5000 });
    $("topic-error").textContent = state.topic.error ? `Kafka: ${state.topic.error}` : "";
    $("topic-partitions").replaceChildren(...state.topic.partitions.map((p) => el("tr", { "data-partition": String(p.partition) },
      ...[p.partition, p.leader, p.log_start, p.log_end, p.records].map((value) => el("td", { text: String(value) })))));
  } catch (error) {
    $("topic-error").textContent = `The partitions cannot be read: ${error.message}`;
  }
}
const partitions = poller(showPartitions, 2000);

// ---- where the feed starts ---------------------------------------------------------------------------

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
  const known = Object.keys(relay.ends()).map(Number).sort((a, b) => a - b);
  const missing = Object.keys(offsets).map(Number).filter((partition) => known.length && !known.includes(partition));
  if (missing.length) {
    throw new Error(`partition ${missing[0]} does not exist: the topic has partitions ${known[0]}–${known.at(-1)}`);
  }
  // Partitions left out start at their end: only new records of theirs are shown.
  return { ...relay.ends(), ...offsets };
}

// One start at a time: Start (disabled in the template) waits until the page's own first replay is live, and
// while any replay is asked for or answered, so the "replaying" that starts the table over is always the chosen
// start's. (A first socket can go live before the server knows the topic's ends; its "live" then asks for the
// newest records at once, and Start waits for that replay too.)
function followReplays(frame) {
  if (frame.type === "status" && frame.state === "replaying") $("start").disabled = true;
  else if (frame.type === "error" || (frame.type === "status" && ["live", "paused"].includes(frame.state))) {
    $("start").disabled = relay.unanswered > 0;
  }
}

function restartFeed(event) {
  event.preventDefault();
  try {
    const from = startFrom();
    $("start-error").textContent = "";
    $("start").disabled = true;
    feed.restart(from);
  } catch (error) {
    $("start-error").textContent = error.message;
  }
}

// ---- re-produce and copy-as ---------------------------------------------------------------------------

let producer = null;  // the produce form (widgets/produce_form.js), mounted at start

const asText = (value, format) => (format === "null" || value === null || value === undefined ? ""
  : format === "json-event" ? JSON.stringify(value) : String(value));

// Fill the produce form with a record as it was (text only: a base64 field cannot be typed back as bytes; a null
// value is a tombstone). The page's own marker is left out: the server adds it to every record produced here.
function reproduce(frame) {
  navigate("/topic");
  producer.fill({
    key: frame.key_format === "text" ? frame.key : null,
    headers: Object.entries(frame.headers || {}).filter(([name]) => name !== HAND_MADE[0])
      .map(([name, value]) => [name, value === null ? "" : value]),
    value: asText(frame.value, frame.value_format),
    tombstone: frame.value_format === "null",
  });
}

// The commands that print exactly this record from a terminal in the project's folder.
function commandsFor(frame) {
  const where = `--partition ${frame.partition} --offset ${frame.offset}`;
  return [
    ["Kafka's console consumer", `.venv/bin/python -m localkafka console-consumer --bootstrap-server ${config.bootstrap_servers} `
      + `--topic ${config.topic} ${where} --max-messages 1 --formatter-property print.key=true --formatter-property print.headers=true`],
    ["manage.py kafka_consume", `KAFKA_BOOTSTRAP_SERVERS=${config.bootstrap_servers} .venv/bin/python manage.py kafka_consume `
      + `--topic ${config.topic} ${where} --max-records 1 --print-headers --timeout 10`],
  ];
}

function recordTools(frame) {
  const box = el("div", { className: "record-tools" });
  if (frame.value_format !== "unreadable") {
    const again = el("button", { type: "button", className: "reproduce", text: "Re-produce this record" });
    again.addEventListener("click", () => reproduce(frame));
    box.append(again);
  }
  for (const [name, command] of commandsFor(frame)) {
    box.append(el("p", { className: "copy-as" }, el("span", { className: "muted", text: `${name}: ` }),
      el("code", { className: "cmd", "data-copy": name, text: command }), " ", copyButton(command, name)));
  }
  return box;
}

export const topicView = {
  name: "topic",
  title: "Topic",
  start() {
    recordExtras.push(recordTools);
    const search = el("section", { className: "card", id: "topic-search-card", "data-views": "topic" });
    $("topic-card").after(search);
    mountTopicSearch(search, { topic: config.topic });
    $("start-from").addEventListener("change", () => {
      $("start-offsets").hidden = $("start-from").value !== "offsets";
      $("start-time").hidden = $("start-from").value !== "time";
    });
    $("feed-start").addEventListener("submit", restartFeed);
    subscribe("refused", (frame) => {
      $("start-error").textContent = frame.message;
      $("start").disabled = false;
    });
    subscribe("status", followReplays);
    producer = mountProduceForm($("produce-mount"), { topic: config.topic });
  },
  enter() { partitions.start(); },
  leave() { partitions.stop(); },
};
