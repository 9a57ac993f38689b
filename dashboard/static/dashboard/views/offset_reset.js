// "Reset offsets" of each group reading the topic, in the Consumer groups view: a disclosure with the kind (earliest,
// latest, a time, an offset per partition) and its value, Preview (the new offsets and the lag they leave, like
// --dry-run), Apply, and Kafka's own command for the same reset. The server plans, checks and commits
// (dashboard/fulfilment_panel/offset_reset.py); this asks it and shows its answers, errors beside their field.
// The forms live across the view's polls: a poll updates their text, never the fields being typed in.

import { postJSON } from "../api.js";
import { $, clockTime, config, el } from "../dom.js";

const KINDS = [["earliest", "the earliest"], ["latest", "the latest"], ["datetime", "a time"], ["offsets", "an offset per partition"]];
const entries = new Map();  // group id -> its disclosure
let serial = 0;
let afterApply = () => {};

const urlOf = (groupId) => config.fulfilment_reset_url.replace("GROUP-ID", encodeURIComponent(groupId));
const dash = (value) => (value === null || value === undefined ? "–" : String(value));
const headRow = (...names) => el("thead", {}, el("tr", {}, ...names.map((name) => el("th", { text: name }))));

// The local time a datetime-local field holds, as the instant in UTC; what cannot be read goes as typed, for the
// server to refuse.
function instant(value) {
  const date = new Date(value);
  return value && !Number.isNaN(date.getTime()) ? date.toISOString() : value;
}

class ResetForm {
  constructor(groupId) {
    const n = ++serial;
    this.id = (part) => `reset-${n}-${part}`;
    this.groupId = groupId;
    this.pending = null;  // the body last previewed: what Apply sends
    this.edits = 0;  // changes to the fields, so an answer to an older body never arms Apply
    this.partitionCount = -1;
    this.toggle = el("button", { type: "button", className: "reset-toggle", "aria-expanded": "false",
      "aria-controls": this.id("form") }, "Reset offsets of ", el("code", { text: groupId }));
    this.badge = el("span", { className: "status" });
    this.who = el("span", { className: "muted" });
    this.form = el("form", { id: this.id("form"), className: "reset-form", novalidate: "", hidden: "" },
      this.kinds(), this.datetimeBox(), this.offsetsBox(), this.buttons(), this.answerBox());
    this.root = el("section", { className: "reset", "data-group": groupId, "aria-label": `reset offsets of ${groupId}` },
      el("div", { className: "reset-head" }, this.toggle, this.badge, this.who), this.form);
    this.toggle.addEventListener("click", () => this.setOpen(this.form.hidden));
    this.form.addEventListener("input", () => { this.edits += 1; this.stale(); });
    this.form.addEventListener("change", () => this.showValueFields());
    this.form.addEventListener("submit", (event) => { event.preventDefault(); this.send(false); });
    this.apply.addEventListener("click", () => this.send(true));
  }

  kinds() {
    this.errors = { to: el("p", { className: "field-error", id: this.id("to-error") }) };
    const radios = KINDS.map(([value, label]) => el("label", { className: "inline" },
      el("input", { type: "radio", name: this.id("to"), value, ...(value === "earliest" ? { checked: "" } : {}) }), ` ${label}`));
    return el("fieldset", { className: "reset-kinds", "aria-describedby": this.id("to-error") },
      el("legend", { text: "Reset to" }), ...radios, this.errors.to);
  }

  datetimeBox() {
    this.errors.datetime = el("p", { className: "field-error", id: this.id("datetime-error") });
    this.datetime = el("input", { type: "datetime-local", step: "0.001", id: this.id("datetime"),
      "aria-describedby": this.id("datetime-error") });
    this.datetimeField = el("div", { className: "reset-value", hidden: "" },
      el("label", { for: this.id("datetime"), text: "time, in this browser's time zone" }), this.datetime,
      el("p", { className: "hint muted", text: "Per partition, the first record at or after it; none that late: the log end." }),
      this.errors.datetime);
    return this.datetimeField;
  }

  offsetsBox() {
    this.errors.offsets = el("p", { className: "field-error", id: this.id("offsets-error") });
    this.offsetRows = el("tbody");
    this.offsetsField = el("div", { className: "reset-value", hidden: "" },
      el("p", { className: "hint muted", text: "New offsets for the partitions to move; leave the others empty." }),
      el("div", { className: "table-scroll" }, el("table", { className: "reset-offsets" },
        headRow("partition", "log start–end", "committed", "new offset"), this.offsetRows)),
      this.errors.offsets);
    return this.offsetsField;
  }

  buttons() {
    this.preview = el("button", { type: "submit", text: "Preview" });
    this.apply = el("button", { type: "button", className: "apply", text: "Apply", disabled: "" });
    this.errors.form = el("p", { className: "field-error", id: this.id("error") });
    return el("div", {}, el("div", { className: "controls" }, this.preview, this.apply), this.errors.form);
  }

  answerBox() {
    this.planRows = el("tbody");
    this.plan = el("div", { className: "table-scroll", tabindex: "0", role: "region", hidden: "",
      "aria-label": `new offsets of ${this.groupId}` },
      el("table", { className: "reset-plan" }, headRow("partition", "current", "new", "lag after"), this.planRows));
    this.summary = el("p", { className: "muted reset-summary", "aria-live": "polite",
      text: "Preview shows the new offsets, and Kafka's own command for the same reset." });
    this.dryRun = el("code", { className: "cmd", "data-reset-command": "dry_run" });
    this.execute = el("code", { className: "cmd", "data-reset-command": "execute" });
    this.commands = el("div", { className: "reset-commands", hidden: "" },
      el("p", { className: "muted" }, "Preview from a terminal: ", this.dryRun),
      el("p", { className: "muted" }, "Apply from a terminal: ", this.execute));
    return el("div", {}, this.summary, this.plan, this.commands);
  }

  get open() { return !this.form.hidden; }

  setOpen(open) {
    this.form.hidden = !open;
    this.toggle.setAttribute("aria-expanded", String(open));
  }

  kind() { return this.form.querySelector("input[type=radio]:checked").value; }

  showValueFields() {
    this.datetimeField.hidden = this.kind() !== "datetime";
    this.offsetsField.hidden = this.kind() !== "offsets";
  }

  // A poll's news: the group's state and, in the offsets table, each partition's log and committed offset.
  update(group, state) {
    this.badge.textContent = group.state;
    this.badge.className = `status group-${group.state}`;
    const count = group.members.length;
    this.who.textContent = count ? `${count} member${count === 1 ? "" : "s"}: Kafka refuses a reset until it has none`
      : "no members";
    this.preview.disabled = !state.controls_enabled;
    if (!state.controls_enabled) this.apply.disabled = true;
    const committed = new Map(group.partitions.map((row) => [row.partition, row.committed]));
    if (state.topic.partitions.length !== this.partitionCount) this.buildOffsetRows(state.topic.partitions);
    for (const partition of state.topic.partitions) {
      const row = this.offsetRows.querySelector(`tr[data-partition="${partition.partition}"]`);
      row.querySelector(".log").textContent = `${partition.log_start}–${partition.log_end}`;
      row.querySelector(".committed").textContent = dash(committed.get(partition.partition));
    }
  }

  buildOffsetRows(partitions) {
    this.partitionCount = partitions.length;
    this.offsetRows.replaceChildren(...partitions.map(({ partition }) => {
      const error = el("p", { className: "field-error", id: this.id(`offsets-${partition}-error`) });
      this.errors[`offsets.${partition}`] = error;
      const input = el("input", { type: "number", min: "0", step: "1", "data-partition": String(partition),
        "aria-label": `new offset of partition ${partition}`, "aria-describedby": error.id });
      return el("tr", { "data-partition": String(partition) }, el("td", { text: String(partition) }),
        el("td", { className: "log" }), el("td", { className: "committed" }), el("td", {}, input, error));
    }));
  }

  body() {
    const to = this.kind();
    if (to === "datetime") return { to, datetime: instant(this.datetime.value) };
    if (to !== "offsets") return { to };
    const offsets = {};
    for (const input of this.offsetRows.querySelectorAll("input")) {
      if (input.value !== "") offsets[input.dataset.partition] = Number(input.value);
    }
    return { to, offsets };
  }

  // A changed field makes the preview shown no longer the one Apply would send.
  stale() {
    if (!this.pending) return;
    this.pending = null;
    this.apply.disabled = true;
    this.plan.hidden = true;
    this.commands.hidden = true;
    this.summary.textContent = "Changed: preview again before applying.";
  }

  clearErrors() {
    for (const node of Object.values(this.errors)) node.textContent = "";
  }

  async send(apply) {
    const body = apply ? this.pending : this.body();
    const edits = this.edits;
    this.clearErrors();
    this.preview.disabled = this.apply.disabled = true;
    try {
      const { data } = await postJSON(urlOf(this.groupId), { ...body, apply });
      this.show(data);
      this.pending = apply || edits !== this.edits ? null : body;
      if (apply) afterApply();
    } catch (error) {
      this.showError(error);
    } finally {
      this.preview.disabled = false;
      this.apply.disabled = !this.pending;
    }
  }

  show(answer) {
    this.planRows.replaceChildren(...answer.partitions.map((row) => el("tr", { "data-partition": String(row.partition) },
      el("td", { text: String(row.partition) }), el("td", { className: "current", text: dash(row.current) }),
      el("td", { className: "new", text: String(row.new) }), el("td", { className: "lag", text: String(row.lag) }))));
    this.plan.hidden = false;
    this.dryRun.textContent = answer.commands.dry_run;
    this.execute.textContent = answer.commands.execute;
    this.commands.hidden = false;
    const from = answer.datetime ? ` (records from ${answer.datetime}, UTC)` : "";
    this.summary.textContent = answer.applied
      ? `Applied at ${clockTime(Date.now())}: ${answer.group} reads on from these offsets${from}; lag ${answer.lag}.`
      : `Preview, nothing changed yet${from}: lag after ${answer.lag} in total. Apply commits it.`;
  }

  // Field errors beside their field; a refusal (409: the group has members) or Kafka away (503) under the buttons.
  showError(error) {
    const fields = error.status === 400 ? Object.entries(error.fieldErrors) : [];
    for (const [field, text] of fields) {
      const beside = this.errors[field];
      if (beside) beside.textContent = text;
      else this.errors.form.textContent += `${field === "non_field_errors" ? "" : `${field}: `}${text} `;
    }
    if (!fields.length) this.errors.form.textContent = error.message;
  }
}

// The disclosures follow the groups the panel lists, the worker's group first; an open one stays while its group is
// gone from the list (its answer may still be read).
export function renderResets(state) {
  const groups = [...state.topic.groups].sort((a, b) => (b.group_id === state.group_id) - (a.group_id === state.group_id)
    || a.group_id.localeCompare(b.group_id));
  const listed = new Set(groups.map((group) => group.group_id));
  for (const [groupId, entry] of entries) {
    if (!listed.has(groupId) && !entry.open) { entry.root.remove(); entries.delete(groupId); }
  }
  const container = $("offset-resets");
  let previous = null;
  for (const group of groups) {
    if (!entries.has(group.group_id)) entries.set(group.group_id, new ResetForm(group.group_id));
    const entry = entries.get(group.group_id);
    entry.update(group, state);
    // In the order of the list; a node is moved only when out of place (a move would take the focus from it).
    const place = previous ? previous.nextSibling : container.firstChild;
    if (entry.root !== place) container.insertBefore(entry.root, place);
    previous = entry.root;
  }
  $("no-resets").hidden = entries.size > 0;
}

// `applied` runs after each Apply: the view reads the panel again, so the tables show the new offsets at once.
export function startResets(applied) {
  afterApply = applied;
}
