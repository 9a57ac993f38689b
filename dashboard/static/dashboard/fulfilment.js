// The fulfilment panel: the worker group's partitions, offsets, lag and members from the Kafka admin API, polled
// every second, and the controls that break things on purpose. Uses $, el and csrfToken from app.js.
"use strict";

const panel = {
  state: null,
  async poll() {
    try {
      const response = await fetch(config.fulfilment_state_url, { headers: { Accept: "application/json" } });
      if (!response.ok) throw new Error(`HTTP ${response.status}`);
      this.state = await response.json();
      $("panel-error").textContent = this.state.topic.error ? `Kafka: ${this.state.topic.error}` : "";
      this.render(this.state);
    } catch (error) {
      $("panel-error").textContent = `The panel cannot be read: ${error.message}`;
    } finally {
      setTimeout(() => this.poll(), 1000);
    }
  },
  render(state) {
    const group = state.topic.groups.find((candidate) => candidate.group_id === state.group_id);
    this.renderGroup(state, group);
    this.renderMembers(state, group);
    this.renderOthers(state);
    this.renderControls(state);
  },
  renderGroup(state, group) {
    const rows = new Map((group ? group.partitions : []).map((row) => [row.partition, row]));
    $("group-state").textContent = group ? group.state : "no members, no commits yet";
    $("group-state").className = `status group-${group ? group.state : "none"}`;
    $("total-lag").textContent = group ? String(group.lag) : "–";
    $("partitions").replaceChildren(...state.topic.partitions.map((partition) => {
      const row = rows.get(partition.partition) || {};
      return el("tr", { "data-partition": String(partition.partition) },
        el("td", { text: String(partition.partition) }),
        el("td", { text: String(partition.leader) }),
        el("td", { text: String(partition.log_start) }),
        el("td", { text: String(partition.log_end) }),
        el("td", { text: String(partition.records) }),
        el("td", { className: "committed", text: row.committed === null || row.committed === undefined ? "–" : String(row.committed) }),
        el("td", { className: "lag", text: row.lag === undefined ? String(partition.records) : String(row.lag) }),
        el("td", { className: "member", text: row.member || "–" }));
    }));
  },
  renderMembers(state, group) {
    const working = new Map(state.members.map((member) => [member.name, member]));
    const members = group ? group.members : [];
    $("members").replaceChildren(...(members.length ? members.map((member) => {
      const beat = working.get(member.client_id);
      const order = beat && beat.order_id ? `${shortId(beat.order_id)} (${beat.step || "received"})`
        : beat && beat.step === "paused" ? "paused" : "idle";
      return el("tr", { "data-member": member.client_id },
        el("td", { text: member.client_id }),
        el("td", { text: member.host }),
        el("td", { className: "owned", text: member.partitions.join(", ") || "none" }),
        el("td", { className: "working", text: order }));
    }) : [el("tr", {}, el("td", { colspan: "4", className: "muted", text: "No member in the group right now." }))]));
  },
  // Every other group reading the topic, the most behind first: its members and where each partition stands.
  renderOthers(state) {
    const others = state.topic.groups.filter((group) => group.group_id !== state.group_id)
      .sort((a, b) => b.lag - a.lag || a.group_id.localeCompare(b.group_id));
    const committed = (row) => `${row.partition}: ${row.committed === null ? "–" : row.committed}/${row.log_end} lag ${row.lag}`;
    $("other-groups").replaceChildren(...(others.length ? others.map((group) => el("tr", { "data-group": group.group_id },
      el("td", { text: group.group_id }),
      el("td", { text: group.state }),
      el("td", { text: group.members.map((m) => `${m.client_id}@${m.host} [${m.partitions.join(", ")}]`).join("; ") || "none" }),
      el("td", { text: group.partitions.map(committed).join(" · ") }),
      el("td", { text: String(group.lag) }))) : [el("tr", {}, el("td", { colspan: "5", className: "muted", text: "none" }))]));
  },
  renderControls(state) {
    const control = state.control;
    const modes = $("delivery-mode");
    if (!modes.options.length) {
      modes.replaceChildren(...state.delivery_modes.map((mode) => el("option", { value: mode.value, text: `${mode.value}: ${mode.label}` })));
    }
    for (const input of document.querySelectorAll("[data-control]")) {
      if (document.activeElement !== input) input.value = String(control[input.dataset.control]);
    }
    $("pause-worker").textContent = control.paused ? "Resume group" : "Pause group";
    $("pause-worker").dataset.paused = String(control.paused);
    // The command shown is the one the button would run now.
    const now = { pause: control.paused ? "resume" : "pause",
      broker_stop: state.broker.state === "stopped" ? "broker_start" : "broker_stop" };
    for (const code of document.querySelectorAll("#fulfilment-card code.cmd[data-command]")) {
      code.textContent = state.commands[now[code.dataset.command] || code.dataset.command] || "";
    }
    $("kill-member").disabled = control.kill_requested || !state.controls_enabled;
    $("last-kill").textContent = control.kill_requested ? "Waiting for a member to be in the middle of an order…"
      : control.last_kill.error ? control.last_kill.error
      : control.last_kill.member ? `Killed ${control.last_kill.member} at ${clockTime(Date.parse(control.last_kill.at))} `
        + `in the middle of order ${shortId(control.last_kill.order_id)} (${control.last_kill.delivery_mode}).` : "";
    $("deliveries").replaceChildren(...state.last_kill_deliveries.map((row) => el("li", {
      className: row.skipped ? "skipped" : "", "data-step": row.step, "data-skipped": String(row.skipped),
      text: `${row.step} of ${row.partition}@${row.offset} by ${row.member} at ${clockTime(Date.parse(row.at))}`
        + (row.skipped ? ": skipped, the processed-events record says it was done" : ""),
    })));
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
  },
  async post(url, body) {
    const response = await fetch(url, {
      method: "POST",
      headers: { "Content-Type": "application/json", Accept: "application/json", "X-CSRFToken": csrfToken() },
      body: JSON.stringify(body),
    });
    const payload = await response.json().catch(() => ({}));
    $("control-error").textContent = response.ok ? "" : Object.entries(payload)
      .map(([field, messages]) => `${field}: ${Array.isArray(messages) ? messages.join(" ") : messages}`).join("; ");
    return response.ok;
  },
  change(field, value) {
    return this.post(config.fulfilment_controls_url, { [field]: value });
  },
};

for (const input of document.querySelectorAll("#worker-controls [data-control]")) {
  input.addEventListener("change", () => {
    const field = input.dataset.control;
    const value = field === "delivery_mode" ? input.value : Number(input.value);
    panel.change(field, value);
  });
}
$("pause-worker").addEventListener("click", () => panel.change("paused", $("pause-worker").dataset.paused !== "true"));
$("kill-member").addEventListener("click", () => panel.post(config.fulfilment_kill_url, {}));
$("broker-stop").addEventListener("click", () => panel.post(config.fulfilment_broker_url, { action: "stop" }));
$("broker-start").addEventListener("click", () => panel.post(config.fulfilment_broker_url, { action: "start" }));
$("worker-controls").addEventListener("submit", (event) => event.preventDefault());

panel.poll();
