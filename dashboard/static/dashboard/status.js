// The header's badges: the websocket, Kafka (what the relay reports, whether the broker listens, and whether
// /health reaches the broker), and the outbox backlog from /health.

import { send } from "./api.js";
import { $, config } from "./dom.js";
import { subscribe } from "./socket.js";

// A badge says a short state; the detail (an exception's text) goes in its tooltip, so the header never widens.
function setBadge(id, state, text, detail = "") {
  const badge = $(id);
  badge.dataset.state = state;
  badge.textContent = text;
  if (detail) badge.title = detail;
  else if (id !== "outbox-state") badge.removeAttribute("title");
}

const LABELS = { connected: "connected", replaying: "replaying…", live: "live", paused: "paused" };

// Three views of Kafka: the relay's stream notices a broker gone only when its next read fails (seconds when idle);
// the socket's broker frame says within a fraction of a second when the broker's port stops (and starts) taking
// connections; /health, polled every second, asks the broker itself (and is all there is while the socket is
// down). The badge shows the worst of them.
const kafka = { relay: ["unknown", "Kafka: unknown", ""], listening: true, listeningReason: "", reachable: true, reason: "" };

function showKafka() {
  if (!kafka.listening) setBadge("kafka-state", "down", "Kafka: unreachable", kafka.listeningReason);
  else if (!kafka.reachable) setBadge("kafka-state", "down", "Kafka: unreachable", kafka.reason);
  else setBadge("kafka-state", ...kafka.relay);
}

function showBroker(frame) {
  kafka.listening = frame.listening !== false;
  kafka.listeningReason = frame.error || "";
  showKafka();
}

function showRelay(frame) {
  if (frame.type === "error" && frame.action === "replay") return;  // a refused start: told at its field
  if (frame.type === "error") kafka.relay = ["down", "Relay error", frame.message];
  else if (frame.kafka === "unavailable" || frame.state === "kafka_unavailable") {
    kafka.relay = ["down", "Kafka: unavailable", frame.error || ""];
  } else if (frame.type === "status") {
    kafka.relay = [frame.state === "live" ? "ok" : "busy", `Kafka: ${LABELS[frame.state] || frame.state}`, ""];
  } else return;
  showKafka();
}

function showOutbox(outbox) {
  const age = outbox.waiting ? `, oldest ${Math.round(outbox.oldest_waiting_seconds)} s` : "";
  const state = outbox.parked || outbox.stale ? "down" : outbox.waiting ? "busy" : "ok";
  setBadge("outbox-state", state, `Outbox: ${outbox.waiting} waiting${age}, ${outbox.parked} parked`);
}

async function checkHealth() {
  try {
    // /health answers 503 while the database is down, with the same body: the backlog is what matters then.
    const response = await send(config.health_url, { headers: { Accept: "application/json" }, timeoutMs: 5000 });
    const body = await response.json();
    showOutbox(body.outbox || {});
    kafka.reachable = body.kafka?.reachable !== false;
    kafka.reason = body.kafka?.error || "";
    showKafka();
  } catch (error) {
    setBadge("outbox-state", "unknown", "Outbox: unknown");
  }
}

export function startStatus() {
  subscribe("connection", (state) => {
    if (state === "open") return setBadge("ws-state", "ok", "WebSocket: connected");
    setBadge("ws-state", "down", "WebSocket: reconnecting…");
    showBroker({ listening: true });  // what the socket said no longer holds: /health alone tells until it is back
  });
  subscribe("status", showRelay);
  subscribe("broker", showBroker);
  checkHealth();
  setInterval(checkHealth, 1000);
}
