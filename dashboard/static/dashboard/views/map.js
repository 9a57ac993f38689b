// The Map view (/map): the running system drawn from live state (GET /system/state: the processes' heartbeats, the
// outbox, each broker's replicas of the topic, the groups' members), and every record the feed brings pulsing along
// its real path: API → database and outbox → publisher → the partition's leader → the member that owns the
// partition, and → each relay → the browsers. Pulses are aggregated: at most one starts per edge per frame,
// carrying the count of the records it stands for, and at most MAX_PULSES per edge are in flight (more are added to
// the newest), so 200 records/s cost as much as 20. Edges show records/s. With prefers-reduced-motion the edges
// light up instead of carrying dots. A list under the drawing says the same in words.

import { describe, getJSON } from "../api.js";
import { $, el, poller, writeText } from "../dom.js";
import { subscribe } from "../socket.js";

const SVG = "http://www.w3.org/2000/svg";
const HOP_MS = 450;  // a pulse's time on one edge; the next hop of the same record starts as it ends
const MAX_PULSES = 4;
const RATE_WINDOW_MS = 2000;
const REMEMBER_GONE_MS = 60_000;  // a member that left Kafka's group stays drawn, as gone, this long
const NARROW_PX = 760;
const STAGES = ["api", "store", "publisher", "broker", "reader", "browsers"];
const STAGE_TITLES = ["API servers", "database", "publishers", "brokers", "readers", "browsers"];

let state = null;
let nodes = new Map();  // id → {id, stage, title, lines, gone, x, y, w, h}
let edges = new Map();  // id → {id, from, to, back, geometry, count, counted: [[time, n]], label, group, pulses}
let routes = { leader: new Map(), owner: new Map() };
const seenMembers = new Map();  // member id → {member, group, lastSeen}
const pending = new Map();  // edge id → Map(hop index → records) gathered since the last animation frame
let stopRecords = null;
let rateTimer = 0;
const reduceMotion = window.matchMedia("(prefers-reduced-motion: reduce)");

const svg = (tag, attrs = {}) => {
  const node = document.createElementNS(SVG, tag);
  for (const [name, value] of Object.entries(attrs)) node.setAttribute(name, value);
  return node;
};
const clip = (text, n) => (text.length > n ? `${text.slice(0, n - 1)}…` : text);
const plural = (n, word, words = `${word}s`) => `${n} ${n === 1 ? word : words}`;

// The nodes of the state, each on its stage, with the lines it shows.
function nodesOf(system) {
  const out = [];
  const live = (row) => !row.gone;
  const servers = system.processes.filter((row) => row.service === "web" || row.service === "grpc");
  for (const row of servers) {
    out.push({ id: `api:${row.instance}`, stage: "api", gone: row.gone, title: row.service === "web" ? "web · REST" : "gRPC",
      lines: [row.address || row.instance, row.gone ? "gone" : "up"] });
  }
  const { waiting, parked } = system.outbox;
  out.push({ id: "store", stage: "store", gone: false, title: "database",
    lines: [`outbox: ${waiting} waiting`, ...(parked ? [`${parked} parked`] : [])] });
  for (const row of system.processes.filter((p) => p.service === "publisher")) {
    out.push({ id: `pub:${row.instance}`, stage: "publisher", gone: row.gone, title: "publisher",
      lines: [row.instance, row.gone ? "gone" : "up"] });
  }
  for (const broker of system.kafka.brokers) {
    out.push({ id: `broker:${broker.node_id}`, stage: "broker", gone: !broker.up,
      title: `broker ${broker.node_id}${broker.controller ? " · controller" : ""}`,
      lines: [broker.up ? broker.address : "gone",
        ...broker.replicas.map((r) => (broker.up ? `P${r.partition} ${r.leader ? "leader" : "follower"} ${r.in_sync ? "✓ in sync" : "✗ behind"}`
          : `P${r.partition} replica offline`))] });
  }
  const now = Date.now();
  for (const group of system.kafka.groups) {
    for (const member of group.members) seenMembers.set(member.member_id, { member, group: group.group_id, lastSeen: now });
  }
  const current = new Set(system.kafka.groups.flatMap((group) => group.members.map((member) => member.member_id)));
  // A worker's member process names its Kafka client id in its heartbeat: a killed one is gone within three beats,
  // before Kafka's session timeout drops it from the group.
  const members = [];  // drawn last among the readers: their way back to the database runs under the others
  const processOf = new Map(system.processes.filter((row) => row.details.client_id).map((row) => [row.details.client_id, row]));
  for (const [id, seen] of seenMembers) {
    if (now - seen.lastSeen > REMEMBER_GONE_MS) { seenMembers.delete(id); continue; }
    const process = processOf.get(seen.member.client_id);
    const gone = !current.has(id) || Boolean(process && process.gone);
    const why = !current.has(id) ? "gone: left the group" : "gone: its process stopped";
    members.push({ id: `member:${id}`, stage: "reader", gone, title: `member of ${seen.group}`,
      lines: [seen.member.client_id, gone ? why
        : seen.member.partitions.length ? `partitions ${seen.member.partitions.join(", ")}` : "no partition"] });
  }
  const relays = system.processes.filter((row) => row.service === "web");
  for (const row of relays) {
    out.push({ id: `relay:${row.instance}`, stage: "reader", gone: row.gone, title: "relay (web)",
      lines: [row.address || row.instance, row.gone ? "gone" : plural(row.details.sockets || 0, "socket")] });
  }
  for (const row of system.processes.filter((p) => p.service === "worker" && p.details.role === "supervisor")) {
    out.push({ id: `worker:${row.instance}`, stage: "reader", gone: row.gone, title: "worker · supervisor",
      lines: [row.instance, row.gone ? "gone" : "keeps the members running"] });
  }
  out.push(...members);
  const sockets = relays.filter(live).reduce((sum, row) => sum + (row.details.sockets || 0), 0);
  out.push({ id: "browsers", stage: "browsers", gone: false, title: "browsers", lines: [plural(sockets, "open socket")] });
  return out;
}

// The edges records travel on, between the nodes of `list`.
function edgesOf(list) {
  const ids = (stage, prefix = "") => list.filter((n) => n.stage === stage && n.id.startsWith(prefix)).map((n) => n.id);
  const out = [];
  const add = (from, to, back = false) => out.push({ id: `${from}>${to}`, from, to, back });
  ids("api").forEach((api) => add(api, "store"));
  ids("publisher").forEach((pub) => add("store", pub));
  const leaders = new Set([...routes.leader.values()].map((node) => `broker:${node}`));
  for (const pub of ids("publisher")) ids("broker").filter((b) => leaders.has(b)).forEach((b) => add(pub, b));
  for (const [partition, member] of routes.owner) {
    const from = `broker:${routes.leader.get(partition)}`;
    const to = `member:${member}`;
    if (leaders.has(from) && !out.some((edge) => edge.id === `${from}>${to}`)) add(from, to);
  }
  for (const relay of ids("reader", "relay:")) {
    ids("broker").filter((b) => leaders.has(b)).forEach((b) => add(b, relay));
    add(relay, "browsers");
  }
  // The worker writes each status change through the outbox too: the way back to the database.
  ids("reader", "member:").forEach((member) => add(member, "store", true));
  return out;
}

// Where each node sits: stages left to right on a wide screen, top to bottom on a narrow one.
function layout(list, width) {
  const narrow = width < NARROW_PX;
  const pad = narrow ? 20 : 8;  // on a phone the worker's way back to the database runs down the left margin
  const lineH = 15;
  const byStage = STAGES.map((stage) => list.filter((n) => n.stage === stage));
  for (const node of list) node.h = 24 + lineH * node.lines.length;
  if (!narrow) {
    const colW = (width - 2 * pad) / STAGES.length;
    const nodeW = Math.min(200, colW - 44);
    const tall = (column) => column.reduce((sum, n) => sum + n.h + 14, -14);
    const height = Math.max(...byStage.map(tall), 120);
    const bottom = 32 + height;
    byStage.forEach((column, i) => {
      let y = 32 + (height - tall(column)) / 2;
      for (const node of column) {
        Object.assign(node, { x: pad + i * colW + (colW - nodeW) / 2, y, w: nodeW });
        y += node.h + 14;
      }
    });
    return { width, height: bottom + 30, bottom, narrow, titles: STAGE_TITLES.map((text, i) => ({ text, x: pad + i * colW + colW / 2, y: 16 })) };
  }
  // On a phone the members come first, on the left: their way back to the database runs down the left margin.
  const readerOrder = (node) => ["member:", "relay:", "worker:"].findIndex((prefix) => node.id.startsWith(prefix));
  byStage[STAGES.indexOf("reader")].sort((a, b) => readerOrder(a) - readerOrder(b));
  let y = 8;
  const titles = [];
  for (const [i, row] of byStage.entries()) {
    titles.push({ text: STAGE_TITLES[i], x: width / 2, y: y + 12 });
    y += 22;
    const perRow = Math.min(row.length, 2) || 1;  // two boxes a row leave each line room to be read
    const nodeW = (width - 2 * pad - 10 * (perRow - 1)) / perRow;
    for (let start = 0; start < row.length; start += perRow) {
      const line = row.slice(start, start + perRow);
      const lineHeight = Math.max(...line.map((n) => n.h));
      line.forEach((node, k) => Object.assign(node, { x: pad + k * (nodeW + 10), y, w: nodeW }));
      y += lineHeight + 10;
    }
    y += 26;
  }
  return { width, height: y, bottom: y, narrow, titles };
}

// An edge's curve: from the side of one node to the facing side of the next (a quadratic Bézier).
function geometry(edge, narrow, bottom) {
  const a = nodes.get(edge.from);
  const b = nodes.get(edge.to);
  if (edge.back) {
    const [x1, y1, x2, y2] = narrow ? [a.x, a.y + a.h / 2, b.x, b.y + b.h / 2] : [a.x + a.w / 2, a.y + a.h, b.x + b.w / 2, b.y + b.h];
    // Control points placed so the curve's far point is 10 px left of the nodes (phone) or under every node.
    return narrow ? { x1, y1, cx: 2 * (a.x - 10) - (x1 + x2) / 2, cy: (y1 + y2) / 2, x2, y2 }
      : { x1, y1, cx: (x1 + x2) / 2, cy: 2 * (bottom + 14) - (y1 + y2) / 2, x2, y2 };
  }
  const [x1, y1, x2, y2] = narrow ? [a.x + a.w / 2, a.y + a.h, b.x + b.w / 2, b.y] : [a.x + a.w, a.y + a.h / 2, b.x, b.y + b.h / 2];
  return { x1, y1, cx: (x1 + x2) / 2, cy: (y1 + y2) / 2, x2, y2 };
}
const at = (g, t) => [
  (1 - t) * (1 - t) * g.x1 + 2 * (1 - t) * t * g.cx + t * t * g.x2,
  (1 - t) * (1 - t) * g.y1 + 2 * (1 - t) * t * g.cy + t * t * g.y2,
];

function draw() {
  const box = $("map-box");
  const width = Math.max(box.clientWidth, 300);
  const list = nodesOf(state);
  const shape = layout(list, width);
  const previous = edges;
  nodes = new Map(list.map((node) => [node.id, node]));
  edges = new Map();
  const edgeLayer = svg("g", { class: "map-edges" });
  const labelLayer = svg("g", { class: "map-labels" });
  for (const spec of edgesOf(list)) {
    const old = previous.get(spec.id);
    const edge = { ...spec, count: old ? old.count : 0, counted: old ? old.counted : [], pulses: old ? old.pulses : [] };
    edge.geometry = geometry(edge, shape.narrow, shape.bottom);
    const g = edge.geometry;
    edge.group = svg("g", { class: "map-edge", "data-edge": edge.id, "data-count": String(edge.count) });
    edge.group.append(svg("path", { d: `M${g.x1},${g.y1} Q${g.cx},${g.cy} ${g.x2},${g.y2}` }));
    const [lx, ly] = at(g, 0.5);
    edge.label = svg("text", { x: lx, y: ly - 4, class: "map-rate", "text-anchor": "middle" });
    if (edge.back && shape.narrow) edge.label.classList.add("visually-hidden");  // no room in the margin
    edge.label.textContent = old ? old.label.textContent : "";
    edgeLayer.append(edge.group);
    labelLayer.append(edge.label);
    edges.set(edge.id, edge);
  }
  for (const [id, old] of previous) if (!edges.has(id)) old.pulses.forEach((pulse) => pulse.node.remove());
  const nodeLayer = svg("g", { class: "map-nodes" });
  for (const node of list) {
    const g = svg("g", { class: "map-node", "data-node": node.id, "data-stage": node.stage, "data-state": node.gone ? "gone" : "up" });
    g.append(svg("rect", { x: node.x, y: node.y, width: node.w, height: node.h, rx: 6 }));
    const title = svg("text", { x: node.x + 8, y: node.y + 17, class: "map-node-title" });
    const chars = Math.max(8, Math.floor((node.w - 12) / 6.6));
    title.textContent = clip(node.title, chars);
    g.append(title);
    node.lines.forEach((line, i) => {
      const text = svg("text", { x: node.x + 8, y: node.y + 34 + 15 * i });
      text.textContent = clip(line, chars);
      g.append(text);
    });
    nodeLayer.append(g);
  }
  const titles = svg("g", { class: "map-stage-titles" });
  for (const title of shape.titles) {
    const text = svg("text", { x: title.x, y: title.y, "text-anchor": "middle" });
    text.textContent = title.text;
    titles.append(text);
  }
  let pulseLayer = $("map-pulses");
  if (!pulseLayer) pulseLayer = svg("g", { id: "map-pulses" });
  const root = $("map-svg");
  root.setAttribute("viewBox", `0 0 ${shape.width} ${shape.height}`);
  root.setAttribute("width", shape.width);
  root.setAttribute("height", shape.height);
  root.replaceChildren(titles, edgeLayer, nodeLayer, labelLayer, pulseLayer);
  describeInWords(list);
}

// The same state as a list, for screen readers and for reading.
function describeInWords(list) {
  const items = list.map((node) => el("li", { "data-node": node.id, "data-state": node.gone ? "gone" : "up" },
    el("strong", { text: node.title }), ` — ${node.lines.join(", ")}`));
  $("map-list").replaceChildren(...items);
  const up = (service) => state.processes.filter((row) => row.service === service && !row.gone).length;
  const brokers = state.kafka.brokers.filter((b) => b.up).length;
  writeText($("map-summary"), `${plural(up("web"), "web process", "web processes")}, ${up("grpc")} gRPC, ${plural(up("publisher"), "publisher")}, `
    + `${plural(up("worker"), "worker process", "worker processes")}, ${brokers} of ${plural(state.kafka.brokers.length, "broker")} up`);
}

// Which broker leads each partition and which member owns it: where a record on that partition goes.
function learnRoutes(system) {
  routes = { leader: new Map(), owner: new Map() };
  for (const broker of system.kafka.brokers) {
    for (const replica of broker.replicas) if (replica.leader) routes.leader.set(replica.partition, broker.node_id);
  }
  for (const group of system.kafka.groups) {
    for (const member of group.members) for (const p of member.partitions) routes.owner.set(p, member.member_id);
  }
}

// While Kafka cannot be asked (the only broker is down), the brokers last seen stay drawn, as gone.
let lastBrokers = [];
function keepBrokers(system) {
  if (system.kafka.brokers.length || !system.kafka.error) {
    lastBrokers = system.kafka.brokers;
    return;
  }
  system.kafka.brokers = lastBrokers.map((broker) => ({ ...broker, up: false, controller: false,
    replicas: broker.replicas.map((replica) => ({ ...replica, leader: false, in_sync: false })) }));
}

async function refresh() {
  try {
    state = await getJSON("/system/state");
    keepBrokers(state);
    learnRoutes(state);
    writeText($("map-error"), state.kafka.error ? `Kafka: ${state.kafka.error}` : "");
    draw();
  } catch (error) {
    writeText($("map-error"), describe(error));
  }
}
const statePoll = poller(refresh, 2000);

const ofKind = (prefix) => [...edges.keys()].filter((id) => id.startsWith(prefix));

// The edges one record travelled, hop by hop (each hop a list of edges: which of several processes of a kind did
// the work the feed does not say, so each one's edge carries it).
function path(record) {
  const source = record.value && typeof record.value === "object" ? record.value.source : null;
  const leader = `broker:${routes.leader.get(record.partition)}`;
  const owner = routes.owner.get(record.partition);
  const hops = [];
  if (source === "rest") hops.push(ofKind("api:").filter((id) => nodes.get(id.split(">")[0]).title.startsWith("web")));
  else if (source === "grpc") hops.push(ofKind("api:").filter((id) => nodes.get(id.split(">")[0]).title === "gRPC"));
  else if (source === "worker" && owner) hops.push([`member:${owner}>store`]);
  if (hops.length) {
    hops.push(ofKind("store>"));
    hops.push(ofKind("pub:").filter((id) => id.endsWith(`>${leader}`)));
  }
  hops.push([...(owner ? [`${leader}>member:${owner}`] : []), ...ofKind(`${leader}>relay:`)]);
  hops.push(ofKind("relay:"));
  return hops;
}

function onRecord(record) {
  path(record).forEach((hop, index) => {
    for (const id of hop) {
      if (!edges.has(id)) continue;
      const gathered = pending.get(id) || new Map();
      gathered.set(index, (gathered.get(index) || 0) + 1);
      pending.set(id, gathered);
    }
  });
  if (!animation) animation = requestAnimationFrame(animate);
}
let animation = 0;

// Once per frame: the records gathered since the last become one pulse per edge and hop (or a lit edge), and every
// pulse in flight moves on.
function animate(now) {
  animation = 0;
  for (const [id, byHop] of pending) {
    const edge = edges.get(id);
    if (!edge) continue;
    for (const [hop, count] of byHop) {
      edge.count += count;
      edge.counted.push([now, count]);
      if (reduceMotion.matches) light(edge);
      else launch(edge, count, now + hop * HOP_MS);
    }
  }
  pending.clear();
  let moving = false;
  for (const edge of edges.values()) {
    edge.pulses = edge.pulses.filter((pulse) => {
      const t = (now - pulse.start) / HOP_MS;
      if (t > 1) { pulse.node.remove(); return false; }
      moving = true;
      if (t < 0) return true;
      const [x, y] = at(edge.geometry, t);
      pulse.node.setAttribute("transform", `translate(${x.toFixed(1)},${y.toFixed(1)})`);
      pulse.node.dataset.shown = "1";
      return true;
    });
  }
  if (moving) animation = requestAnimationFrame(animate);
}

function launch(edge, count, start) {
  const same = edge.pulses.find((pulse) => Math.abs(pulse.start - start) < 50);
  const merged = same || (edge.pulses.length >= MAX_PULSES ? edge.pulses[edge.pulses.length - 1] : null);
  if (merged) {
    merged.count += count;
    merged.text.textContent = String(merged.count);
    return;
  }
  const node = svg("g", { class: "map-pulse", "data-edge": edge.id, transform: "translate(-99,-99)" });
  const text = svg("text", { "text-anchor": "middle", y: -9 });
  text.textContent = count > 1 ? String(count) : "";
  node.append(svg("circle", { r: 5 }), text);
  $("map-pulses").append(node);
  edge.pulses.push({ node, text, count, start });
}

function light(edge) {
  edge.group.classList.add("lit");
  clearTimeout(edge.unlit);
  edge.unlit = setTimeout(() => edge.group.classList.remove("lit"), 400);
}

// Twice a second: each edge's records/s over the last RATE_WINDOW_MS, and its total as data-count.
function writeRates() {
  const now = performance.now();
  for (const edge of edges.values()) {
    edge.counted = edge.counted.filter(([when]) => now - when < RATE_WINDOW_MS);
    const rate = edge.counted.reduce((sum, [, count]) => sum + count, 0) / (RATE_WINDOW_MS / 1000);
    writeText(edge.label, rate ? `${rate < 10 ? rate.toFixed(1) : Math.round(rate)}/s` : "");
    edge.group.dataset.count = String(edge.count);
  }
}

let resized = 0;
const onResize = new ResizeObserver(() => {
  cancelAnimationFrame(resized);
  resized = requestAnimationFrame(() => state && draw());
});

export const mapView = {
  name: "map",
  title: "Map",
  enter() {
    statePoll.start();
    stopRecords = subscribe("record", onRecord);
    rateTimer = setInterval(writeRates, 500);
    onResize.observe($("map-box"));
  },
  leave() {
    statePoll.stop();
    if (stopRecords) stopRecords();
    clearInterval(rateTimer);
    onResize.disconnect();
    pending.clear();
  },
};
