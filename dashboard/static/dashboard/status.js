// The header's badges: the websocket, Kafka as the relay reports it, and the outbox backlog from /health.

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

function showRelay(frame) {
  if (frame.type === "error" && frame.action === "replay") return;  // a refused start: told at its field
  if (frame.type === "error") {
    setBadge("kafka-state", "down", "Relay error", frame.message);
  } else if (frame.kafka === "unavailable" || frame.state === "kafka_unavailable") {
    setBadge("kafka-state", "down", "Kafka: unavailable", frame.error || "");
  } else if (frame.type === "status") {
    setBadge("kafka-state", frame.state === "live" ? "ok" : "busy", `Kafka: ${LABELS[frame.state] || frame.state}`);
  }
}

// The outbox backlog from /health: events committed but not yet acknowledged, and those parked for good.
async function showOutbox() {
  try {
    // /health answers 503 while Kafka is down, with the same body: the backlog is what matters then.
    const response = await send(config.health_url, { headers: { Accept: "application/json" }, timeoutMs: 5000 });
    const outbox = (await response.json()).outbox || {};
    const age = outbox.waiting ? `, oldest ${Math.round(outbox.oldest_waiting_seconds)} s` : "";
    const state = outbox.parked || outbox.stale ? "down" : outbox.waiting ? "busy" : "ok";
    setBadge("outbox-state", state, `Outbox: ${outbox.waiting} waiting${age}, ${outbox.parked} parked`);
  } catch (error) {
    setBadge("outbox-state", "unknown", "Outbox: unknown");
  }
}

export function startStatus() {
  subscribe("connection", (state) => (state === "open"
    ? setBadge("ws-state", "ok", "WebSocket: connected") : setBadge("ws-state", "down", "WebSocket: reconnecting…")));
  subscribe("status", showRelay);
  showOutbox();
  setInterval(showOutbox, 2000);
}
