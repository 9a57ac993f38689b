// The durability lab's panel: the local cluster's brokers with Crash and Stop, a Restart, an order button over the
// REST API, and, read every POLL_MS from the server, the orders topic's leaders and in-sync replicas and whether each
// partition takes acks=all writes, and the outbox's waiting count with the publisher's last error.

import { describe, getJSON, postJSON } from "../api.js";
import { config, el, writeText } from "../dom.js";

const POLL_MS = 1500;
// A broker's state as the order statuses' badge colours: running green, starting amber, dead red.
const BADGES = { running: "COMPLETED", starting: "PROCESSING", dead: "FAILED" };

function brokerRow(broker, act, controls) {
  const running = broker.state === "running";
  const button = (action, label) => {
    const node = el("button", { type: "button", text: label, "aria-label": `${label} broker ${broker.node}` });
    node.disabled = !running || !controls.enabled;
    if (!controls.enabled) node.title = controls.reason;
    node.addEventListener("click", () => act({ action, node: broker.node }));
    return node;
  };
  return el("li", { "data-broker": String(broker.node), "data-state": broker.state },
    el("strong", { text: `Broker ${broker.node}` }), ` ${broker.address} `,
    el("span", { className: `status status-${BADGES[broker.state] || "FAILED"}`, text: broker.state }), " ",
    button("crash", "Crash"), " ", button("stop", "Stop"));
}

function partitionRow(row) {
  const writes = row.leader === null ? "refused: no leader" : row.refuses_writes ? "refused: NotEnoughReplicas" : "accepted";
  return el("tr", { "data-partition": String(row.partition) },
    el("td", { text: String(row.partition) }),
    el("td", { text: row.leader === null ? "none" : String(row.leader) }),
    el("td", { text: row.replicas.join(", ") }),
    el("td", { className: "durable-isr", text: row.isr.join(", ") }),
    el("td", { className: row.refuses_writes ? "durable-refused" : "", text: writes }));
}

export function durablePanel(learner, controls) {
  const said = el("p", { className: "durable-said", role: "status" });
  const brokers = el("ul", { className: "durable-brokers" });
  const restart = el("button", { type: "button", text: "Restart dead brokers" });
  const order = el("button", { type: "button", text: "Place an order" });
  const minIsr = el("p", { className: "muted" });
  const rows = el("tbody");
  const outbox = el("p", { className: "durable-outbox" });
  const publisherError = el("p", { className: "durable-error" });
  const why = el("p", { className: "muted" });
  const orders = el("p", { className: "durable-orders" });
  const node = el("section", { className: "durable-panel", "aria-label": "The cluster, its partitions and the outbox" },
    brokers,
    el("div", { className: "controls" }, restart, order),
    minIsr,
    el("div", { className: "table-scroll", tabindex: "0", role: "region", "aria-label": "partitions of the orders topic" },
      el("table", { className: "durable-partitions" },
      el("thead", {}, el("tr", {}, ...["Partition", "Leader", "Replicas", "In sync", "acks=all writes"].map((text) => el("th", { text })))),
      rows)),
    outbox, publisherError, why, orders, said);
  let createdBy = "";
  let acknowledged = 0;
  order.disabled = true;  // until the first read names the lab's created_by
  if (!controls.enabled) { restart.disabled = true; restart.title = controls.reason; }

  async function act(body) {
    writeText(said, "Asking the cluster…");
    try {
      const { data } = await postJSON(`${config.labs_url}durable/brokers`, body);
      writeText(said, `Done: ${data.done}.`);
    } catch (error) {
      writeText(said, `Not done: ${describe(error)}`);
    }
  }

  restart.addEventListener("click", () => act({ action: "restart" }));
  order.addEventListener("click", async () => {
    try {
      const { data } = await postJSON(config.rest_url, { created_by: createdBy, equipment: ["KEYBOARD"] });
      acknowledged += 1;
      writeText(said, `The API acknowledged order ${data.order_id} (201).`);
    } catch (error) {
      writeText(said, `The order was refused: ${describe(error)}`);
    }
  });

  function render(state) {
    createdBy = state.created_by;
    order.disabled = !createdBy;
    const cluster = state.cluster;
    brokers.replaceChildren(...(cluster.controllable
      ? cluster.nodes.map((broker) => brokerRow(broker, act, controls))
      : [el("li", { text: `No local cluster to act on: ${cluster.reason}. Run make cluster.` })]));
    restart.disabled = !cluster.controllable || !controls.enabled;
    const kafka = state.kafka;
    if (kafka) {
      writeText(minIsr, `Topic ${kafka.topic}: min.insync.replicas ${kafka.min_insync}; brokers up: ${kafka.brokers_up.join(", ") || "none"}.`);
      rows.replaceChildren(...kafka.partitions.map(partitionRow));
    } else {
      writeText(minIsr, `Kafka cannot be asked: ${state.kafka_error}`);
      rows.replaceChildren();
    }
    const box = state.outbox;
    writeText(outbox, `Outbox: ${box.waiting} event(s) waiting` + (box.waiting ? `, the oldest for ${box.oldest_waiting_seconds} s.` : "."));
    const refused = kafka && kafka.partitions.some((row) => row.refuses_writes);
    writeText(publisherError, box.last_error ? `The publisher's last error (try ${box.attempts}): ${box.last_error}` : "");
    // The leader answers NotEnoughReplicas; the producer retries that until its delivery timeout, then gives up.
    writeText(why, box.last_error && refused ? "The leaders refused each try with NotEnoughReplicas; the producer "
      + "retried until its delivery timeout, and the outbox keeps the event for its next try." : "");
    writeText(orders, `${state.orders} order(s) by ${createdBy}; the API acknowledged ${acknowledged} from this page.`);
  }

  // Read while the card is shown (not while another view is), until a reload of the labs replaces the card.
  async function poll() {
    if (!node.isConnected) return;
    if (node.offsetParent !== null) {
      try {
        render(await getJSON(`${config.labs_url}durable/state?learner=${encodeURIComponent(learner)}`));
      } catch (error) {
        writeText(minIsr, `The lab's state cannot be read: ${describe(error)}`);
      }
    }
    setTimeout(poll, POLL_MS);
  }
  // Started once the card is in the page: a card not yet attached would stop at its first poll.
  setTimeout(poll, 0);
  return node;
}
