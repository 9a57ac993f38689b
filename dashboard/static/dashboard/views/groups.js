// The Consumer groups view: the worker group's partitions, offsets, lag and members from the Kafka admin API,
// polled every second while it shows, the other groups reading the topic, the stuck orders, and the controls that
// break things on purpose (or recover what broke), each beside its terminal command; each group's offset reset is
// offset_reset.js's.

import { describe, getJSON, postJSON } from "../api.js";
import { $, clockTime, config, el, poller, shortId } from "../dom.js";
import { markOrders } from "../orders.js";
import { renderResets, startResets } from "./offset_reset.js";

const text = (value) => (value === null || value === undefined ? "–" : String(value));
const cells = (values, classes = []) => values.map((value, index) => el("td", classes[index] ? { className: classes[index], text: value } : { text: value }));
const emptyRow = (colspan, message) => el("tr", {}, el("td", { colspan: String(colspan), className: "muted", text: message }));

function renderGroup(state, group) {
  const rows = new Map((group ? group.partitions : []).map((row) => [row.partition, row]));
  $("group-state").textContent = group ? group.state : "no members, no commits yet";
  $("group-state").className = `status group-${group ? group.state : "none"}`;
  $("total-lag").textContent = group ? String(group.lag) : "–";
  $("partitions").replaceChildren(...state.topic.partitions.map((partition) => {
    const row = rows.get(partition.partition) || {};
    return el("tr", { "data-partition": String(partition.partition) }, ...cells([
      String(partition.partition), String(partition.leader), String(partition.log_start), String(partition.log_end),
      String(partition.records), text(row.committed), row.lag === undefined ? String(partition.records) : String(row.lag),
      row.member || "–"], [null, null, null, null, null, "committed", "lag", "member"]));
  }));
}

function renderMembers(state, group) {
  const working = new Map(state.members.map((member) => [member.name, member]));
  const members = group ? group.members : [];
  $("members").replaceChildren(...(members.length ? members.map((member) => {
    const beat = working.get(member.client_id);
    const order = beat && beat.order_id ? `${shortId(beat.order_id)} (${beat.step || "received"})`
      : beat && beat.step === "paused" ? "paused" : "idle";
    return el("tr", { "data-member": member.client_id }, ...cells(
      [member.client_id, member.host, member.partitions.join(", ") || "none", order], [null, null, "owned", "working"]));
  }) : [emptyRow(4, "No member in the group right now.")]));
}

// Every other group reading the topic, the most behind first: its members and where each partition stands.
function renderOthers(state) {
  const others = state.topic.groups.filter((group) => group.group_id !== state.group_id)
    .sort((a, b) => b.lag - a.lag || a.group_id.localeCompare(b.group_id));
  const committed = (row) => `${row.partition}: ${row.committed === null ? "–" : row.committed}/${row.log_end} lag ${row.lag}`;
  const row = (group) => el("tr", { "data-group": group.group_id }, ...cells([
    group.group_id, group.state,
    group.members.map((m) => `${m.client_id}@${m.host} [${m.partitions.join(", ")}]`).join("; ") || "none",
    group.partitions.map(committed).join(" · "), String(group.lag)]));
  $("other-groups").replaceChildren(...(others.length ? others.map(row) : [emptyRow(5, "none")]));
}

// Orders QUEUED or PROCESSING too long with no member working on them: the server reads them from the database.
function renderStuck(stuck) {
  const every = stuck.recovery_seconds ? `the worker recovers them every ${stuck.recovery_seconds} s`
    : "recovered only on request";
  $("stuck-rule").textContent = `QUEUED or PROCESSING over ${stuck.after_seconds} s, no member working on them; `
    + every;
  const row = (order) => el("tr", { "data-order-id": order.order_id }, ...cells([
    order.order_id, order.status, `${Math.round(order.unchanged_seconds)} s`, `${order.partition}@${order.offset}`,
    order.last_member || "–"], ["order", "order-status", "age", "record", "member"]));
  $("stuck-orders").replaceChildren(...(stuck.orders.length ? stuck.orders.map(row) : [emptyRow(5, "none")]));
}

// What the Recover button's round did to each order (completed, failed, duplicate…), at the time it answered.
function showRecovered(recovered) {
  const done = recovered.map((order) => `${shortId(order.order_id)} ${order.outcome}`);
  $("recovered").textContent = `${clockTime(Date.now())}: `
    + (done.length ? `recovered ${done.join(", ")}.` : "nothing was stuck.");
}

function renderKill(state) {
  const control = state.control;
  const kill = control.last_kill;
  $("kill-member").disabled = control.kill_requested || !state.controls_enabled;
  $("recover-stuck").disabled = !state.controls_enabled;
  $("last-kill").textContent = control.kill_requested ? "Waiting for a member to be in the middle of an order…"
    : kill.error ? kill.error
    : kill.member ? `Killed ${kill.member} at ${clockTime(Date.parse(kill.at))} `
      + `in the middle of order ${shortId(kill.order_id)} (${kill.delivery_mode}).` : "";
  $("deliveries").replaceChildren(...state.last_kill_deliveries.map((row) => el("li", {
    className: row.skipped ? "skipped" : "", "data-step": row.step, "data-skipped": String(row.skipped),
    text: `${row.step} of ${row.partition}@${row.offset} by ${row.member} at ${clockTime(Date.parse(row.at))}`
      + (row.skipped ? ": skipped, the processed-events record says it was done" : ""),
  })));
}

// Each control shows the server's value; `force` also resets the one being edited (after a refused change).
function renderInputs(control, force = false) {
  for (const input of document.querySelectorAll("[data-control]")) {
    if (force || document.activeElement !== input) input.value = String(control[input.dataset.control]);
  }
  showDeliveryHint();
}

// A delivery mode's option says its name only, so the select stays narrow enough to show it whole; what the
// chosen mode does is written under it.
function showDeliveryHint() {
  const chosen = $("delivery-mode").selectedOptions[0];
  $("delivery-mode-hint").textContent = chosen ? chosen.title : "";
}

// The records the members read out of order (messaging/ordering.py): how many are kept, the newest listed.
function renderOrdering(ordering) {
  $("ordering-summary").textContent = `${ordering.flagged} flagged (the newest ${ordering.kept_at_most} are kept)`;
  const row = (flag) => el("tr", { "data-key": flag.key },
    el("td", { title: flag.key }, el("code", { text: shortId(flag.key) })),
    el("td", { text: `${flag.partition}@${flag.offset}` }),
    el("td", { text: `${flag.event_type} ${flag.status}` }),
    el("td", { text: flag.reason }),
    el("td", { text: flag.member }));
  $("ordering-flags").replaceChildren(...(ordering.recent.length ? ordering.recent.map(row) : [emptyRow(5, "none")]));
}

function renderControls(state) {
  const control = state.control;
  const modes = $("delivery-mode");
  if (!modes.options.length) {
    modes.replaceChildren(...state.delivery_modes.map((mode) => el("option", { value: mode.value, title: mode.label, text: mode.value })));
  }
  renderInputs(control);
  $("pause-worker").textContent = control.paused ? "Resume group" : "Pause group";
  $("pause-worker").dataset.paused = String(control.paused);
  // The server builds each command from the state the controls show (panel.py `commands`): shown as it comes.
  for (const code of document.querySelectorAll("#fulfilment-card code.cmd[data-command]")) {
    code.textContent = state.commands[code.dataset.command] || "";
  }
  renderKill(state);
  const counters = state.counters;
  $("lost-count").textContent = counters.lost === null ? "?" : String(counters.lost);
  $("twice-count").textContent = String(counters.processed_twice);
  $("counters-since").textContent = `orders since ${counters.delivery_mode} was set at ${clockTime(Date.parse(counters.since))}`;
  const broker = state.broker;
  $("broker-state").textContent = broker.controllable ? broker.state : "not ours";
  $("broker-state").className = `status broker-${broker.state || "none"}`;
  $("broker-stop").disabled = !broker.controllable || broker.state !== "running" || !state.controls_enabled;
  $("broker-start").disabled = !broker.controllable || broker.state !== "stopped" || !state.controls_enabled;
  $("broker-note").textContent = broker.controllable ? "" : broker.reason;
  $("controls-off").hidden = state.controls_enabled;
  for (const input of document.querySelectorAll("#worker-controls [data-control], #pause-worker")) {
    input.disabled = !state.controls_enabled;
  }
}

// Polls overlap when a change asks for one at once: only an answer newer than the one shown is drawn.
let asked = 0;
let drawn = 0;
let last = null;

async function poll() {
  const number = ++asked;
  try {
    const state = await getJSON(config.fulfilment_state_url, { timeoutMs: 5000 });
    if (number < drawn) return;
    drawn = number;
    last = state;
    $("panel-error").textContent = state.topic.error ? `Kafka: ${state.topic.error}` : "";
    const group = state.topic.groups.find((candidate) => candidate.group_id === state.group_id);
    renderGroup(state, group);
    renderMembers(state, group);
    renderOthers(state);
    renderResets(state);
    renderStuck(state.stuck);
    renderOrdering(state.ordering);
    renderControls(state);
    markOrders(state.marked);
  } catch (error) {
    if (number >= drawn) $("panel-error").textContent = `The panel cannot be read: ${error.message}`;
  }
}
const panel = poller(poll, 1000);

// A control's change, with the answer's field errors shown under the controls. Either way the panel is read again
// at once, so the controls and their commands show what the server now holds (a refused value does not stay).
async function post(url, body) {
  try {
    const answer = await postJSON(url, body);
    $("control-error").textContent = "";
    return answer;
  } catch (error) {
    $("control-error").textContent = describe(error);
    if (last) renderInputs(last.control, true);
    return false;
  } finally {
    poll();
  }
}

export const groupsView = {
  name: "groups",
  title: "Consumer groups",
  start() {
    startResets(() => poll());
    for (const input of document.querySelectorAll("#worker-controls [data-control]")) {
      input.addEventListener("change", () => {
        const field = input.dataset.control;
        post(config.fulfilment_controls_url, { [field]: field === "delivery_mode" ? input.value : Number(input.value) });
      });
    }
    $("delivery-mode").addEventListener("change", showDeliveryHint);
    $("pause-worker").addEventListener("click", () =>
      post(config.fulfilment_controls_url, { paused: $("pause-worker").dataset.paused !== "true" }));
    $("kill-member").addEventListener("click", () => post(config.fulfilment_kill_url, {}));
    $("recover-stuck").addEventListener("click", async () => {
      const answer = await post(config.fulfilment_recover_url, {});
      if (answer) showRecovered(answer.data.recovered);
    });
    $("broker-stop").addEventListener("click", () => post(config.fulfilment_broker_url, { action: "stop" }));
    $("broker-start").addEventListener("click", () => post(config.fulfilment_broker_url, { action: "start" }));
    $("worker-controls").addEventListener("submit", (event) => event.preventDefault());
  },
  enter() { panel.start(); },
  leave() { panel.stop(); },
};
