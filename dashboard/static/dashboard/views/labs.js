// The Labs view: each lab's goal, steps (commands to copy, built by the server from its real addresses), what to
// watch, a Check that asks the real system whether the steps were done, and a Reset. Progress (each lab's last
// Check and its round) is kept in this browser's localStorage; the learner id that names a lab's evidence too.

import { describe, getJSON, postJSON } from "../api.js";
import { $, config, copyButton, el } from "../dom.js";
import { comparisonTable } from "../widgets/lab_compare.js";
import { durablePanel } from "../widgets/lab_durable.js";

const LEARNER_KEY = "labs:learner";
const PROGRESS_KEY = "labs:progress";

function stored(key, fallback) {
  try { return JSON.parse(localStorage.getItem(key)) ?? fallback; } catch (error) { return fallback; }
}

function browserId() {
  let id = stored(LEARNER_KEY, null);
  if (typeof id !== "string" || !/^[a-z0-9]{6,16}$/.test(id)) {
    id = Array.from(crypto.getRandomValues(new Uint8Array(4)), (b) => b.toString(16).padStart(2, "0")).join("");
    localStorage.setItem(LEARNER_KEY, JSON.stringify(id));
  }
  return id;
}

const progress = () => stored(PROGRESS_KEY, {});
const saveProgress = (all) => localStorage.setItem(PROGRESS_KEY, JSON.stringify(all));
// A lab's learner id: the browser's, with the round after the first Reset (each round leaves evidence of its own).
function learnerOf(lab) {
  const round = (progress()[lab] || {}).round || 1;
  return round > 1 ? `${browserId()}-${round}` : browserId();
}

// The server's sentences mark names with `backticks`: those parts become <code>, the rest stays text.
function withCode(text) {
  return String(text).split("`").map((part, index) => (index % 2 ? el("code", { text: part }) : part));
}

// A lab that needs more than steps, Check and Reset: its panel, given the lab's learner id and the controls' switch.
const PANELS = { durable: durablePanel };

let labs = [];
let controls = { enabled: false, reason: "" };

function renderSummary() {
  const all = progress();
  const done = labs.filter((lab) => (all[lab.id] || {}).passed);
  $("labs-progress").textContent = labs.length
    ? `${done.length} of ${labs.length} labs done in this browser` + (done.length ? `: ${done.map((lab) => lab.title.split(":")[0]).join(", ")}.` : ".")
    : "";
}

function showResult(lab, node, state) {
  const badge = node.querySelector(".lab-state");
  badge.textContent = state ? (state.passed ? "passed" : "not yet") : "not checked";
  badge.className = `status lab-state ${state ? (state.passed ? "status-COMPLETED" : "status-FAILED") : ""}`;
  const seen = node.querySelector(".lab-seen");
  seen.replaceChildren(...(state ? [`${state.passed ? "Passed" : "Not yet"}: `, ...withCode(state.seen)] : []));
  if (state && state.at) seen.append(el("small", { className: "muted", text: ` (checked ${new Date(state.at).toLocaleTimeString()})` }));
  node.querySelector(".lab-extra")?.remove();
  if (state && state.table) node.append(comparisonTable(state.table));
}

async function check(lab, node) {
  const seen = node.querySelector(".lab-seen");
  seen.textContent = "Checking…";
  try {
    const { data } = await postJSON(`${config.labs_url}${lab.id}/check`, { learner: learnerOf(lab.id) }, { timeoutMs: 20000 });
    const all = progress();
    all[lab.id] = { ...(all[lab.id] || {}), passed: data.passed, seen: data.seen, table: data.details.table, at: Date.now() };
    saveProgress(all);
    showResult(lab, node, all[lab.id]);
    renderSummary();
  } catch (error) {
    seen.textContent = `The Check could not run: ${describe(error)}`;
  }
}

async function reset(lab, node) {
  const seen = node.querySelector(".lab-seen");
  seen.textContent = "Resetting…";
  try {
    const { data } = await postJSON(`${config.labs_url}${lab.id}/reset`, { learner: learnerOf(lab.id) }, { timeoutMs: 20000 });
    const all = progress();
    all[lab.id] = { round: ((all[lab.id] || {}).round || 1) + 1 };
    saveProgress(all);
    await load();
    $(`lab-${lab.id}`).querySelector(".lab-seen").replaceChildren("Reset: ", ...withCode(data.seen));
  } catch (error) {
    seen.textContent = `Not reset: ${describe(error)}`;
  }
}

function stepItem(step) {
  const item = el("li", {}, el("p", { text: step.text }));
  if (step.link) {
    const internal = step.link.startsWith("/");
    item.append(el("p", {}, el("a", { href: step.link, ...(internal ? { "data-route": "" } : {}), text: step.link })));
  }
  if (step.command) {
    item.append(el("p", { className: "copy-as" }, el("code", { className: "cmd", text: step.command }), " ",
      copyButton(step.command, "step's")));
  }
  return item;
}

function labCard(lab, index) {
  const checkButton = el("button", { type: "button", className: "lab-check", text: "Check" });
  const resetButton = el("button", { type: "button", className: "lab-reset", text: "Reset" });
  if (!controls.enabled) { resetButton.disabled = true; resetButton.title = controls.reason; }
  const node = el("article", { className: "lab", id: `lab-${lab.id}`, "data-lab": lab.id },
    el("div", { className: "card-head" },
      el("h2", { text: `${index + 1}. ${lab.title}` }),
      el("span", { className: "status lab-state", text: "not checked" })),
    el("p", {}, el("strong", { text: "Goal: " }), ...withCode(lab.goal), el("small", { className: "muted", text: ` About ${lab.minutes} minutes.` })),
    el("ol", { className: "lab-steps" }, ...lab.steps.map(stepItem)),
    el("p", {}, el("strong", { text: "Watch: " }), el("a", { href: lab.watch.link, "data-route": "", text: lab.watch.text })),
    el("p", { className: "muted", text: `The Check reads ${lab.check_reads}.` }),
    el("div", { className: "controls" }, checkButton, resetButton),
    el("p", { className: "lab-seen", role: "status" }));
  if (PANELS[lab.id]) node.querySelector(".controls").before(PANELS[lab.id](learnerOf(lab.id), controls));
  checkButton.addEventListener("click", () => check(lab, node));
  resetButton.addEventListener("click", () => reset(lab, node));
  showResult(lab, node, (progress()[lab.id] || {}).seen ? progress()[lab.id] : null);
  return node;
}

// The labs in the server's order, each as its learner id (per lab, for its round) names its evidence: the browser's
// id first, then once more for each other round a Reset started.
async function load() {
  try {
    const answers = new Map();
    const answerFor = async (learner) => {
      if (!answers.has(learner)) answers.set(learner, await getJSON(`${config.labs_url}?learner=${encodeURIComponent(learner)}`));
      return answers.get(learner);
    };
    const first = await answerFor(browserId());
    controls = first.controls;
    labs = [];
    for (const { id } of first.labs) labs.push((await answerFor(learnerOf(id))).labs.find((lab) => lab.id === id));
    $("labs-error").textContent = "";
    $("labs-list").replaceChildren(...labs.map(labCard));
    renderSummary();
  } catch (error) {
    $("labs-error").textContent = `The labs cannot be read: ${describe(error)}`;
  }
}

export const labsView = {
  name: "labs",
  title: "Labs",
  enter() { if (!labs.length) load(); },
};
