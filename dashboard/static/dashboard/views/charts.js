// The Charts view (/charts): the last 15 minutes of the orders topic drawn with uPlot, which this server serves from
// node_modules (make install): records/s per partition and lag per group (sampled on the server by
// `manage.py sample_metrics`, so the window is there when the page opens), and the produce → consume and click →
// shown latencies (p50 and p99 per 30 s, from the kept spans). Each chart's figures are also a table under it, the
// text a screen reader reads. Polled while the view shows; the library is loaded on the first visit only.

import { getJSON } from "../api.js";
import { $, config, el, poller, writeText } from "../dom.js";
import { currentView } from "../router.js";

const POLL_MS = 5000;
const COLOURS = 6;
const narrow = window.matchMedia("(max-width: 600px)");

const number = (value, digits = 1) => (value === null || value === undefined ? "–" : value.toFixed(digits));
const present = (values) => values.filter((value) => value !== null);
const mean = (values) => (values.length ? values.reduce((sum, value) => sum + value, 0) / values.length : null);
const peak = (values) => (values.length ? Math.max(...values) : null);
const last = (values) => present(values).at(-1) ?? null;

// What each chart draws from its endpoint's answer: its series (name → values on the answer's time axis) and its
// figures (the rows of its table).
const CHARTS = [
  {
    id: "chart-rates", url: () => config.metrics_rates_url, unit: "records/s",
    series: (data) => Object.entries(data.series).map(([partition, values]) => [`partition ${partition}`, values]),
    figures: (data) => Object.entries(data.series).map(([partition, values]) =>
      [partition, number(last(values)), number(mean(present(values))), number(peak(present(values)))]),
  },
  {
    id: "chart-lag", url: () => config.metrics_lag_url, unit: "records",
    series: (data) => Object.entries(data.series),
    figures: (data) => Object.entries(data.series).map(([group, values]) =>
      [group, number(last(values), 0), number(mean(present(values)), 1), number(peak(present(values)), 0)]),
  },
  latencyChart("chart-produce-consume", "produce_consume"),
  latencyChart("chart-click-shown", "click_shown"),
];

function latencyChart(id, key) {
  return {
    id, url: () => config.metrics_latency_url, unit: "ms", key,
    // At most 30 points: each is drawn, so a lone bucket with clicks shows even where its neighbours have none.
    points: { show: true, size: 6 },
    series: (data) => Object.entries(data[key].series),
    figures: (data) => {
      const d = data[key];
      return [[String(d.count), number(d.p50), number(d.p90), number(d.p99), number(d.max)]];
    },
    axis: (data) => data[key].t,
  };
}

let uPlot = null;
const plots = new Map();  // chart id → {plot, names, theme, window: the x range it draws, moved in place}

const colour = (index) => getComputedStyle(document.documentElement)
  .getPropertyValue(`--chart-${(index % COLOURS) + 1}`).trim();
const themeColour = (name) => getComputedStyle(document.documentElement).getPropertyValue(name).trim();

function sizeOf(box) {
  return { width: Math.max(box.clientWidth, 200), height: narrow.matches ? 180 : 220 };
}

// The time axis in the page's local 24-hour clock, minutes only (the window is 15 of them).
const clock = (u, splits) => splits.map((at) => new Date(at * 1000).toTimeString().slice(0, 5));

function options(chart, names, box, window) {
  const ink = themeColour("--muted");
  const grid = themeColour("--line");
  const axis = { stroke: ink, grid: { stroke: grid, width: 1 }, ticks: { stroke: grid, width: 1 } };
  return {
    ...sizeOf(box),
    // The window is the last 15 minutes, whatever was sampled in it.
    scales: { x: { time: true, range: () => window }, y: { range: (u, min, max) => [0, Math.max(max ?? 0, 1) * 1.1] } },
    axes: [{ ...axis, values: clock }, { ...axis, label: chart.unit, size: 56 }],
    cursor: { drag: { x: false, y: false } },
    series: [{}, ...names.map((name, index) => ({
      label: name, stroke: colour(index), width: 2, spanGaps: false, ...(chart.points ? { points: chart.points } : {}),
      value: (u, value) => (value === null || value === undefined ? "–" : `${number(value)} ${chart.unit}`),
    }))],
  };
}

function draw(chart, data, window) {
  const box = $(chart.id).querySelector(".chart-plot");
  const named = chart.series(data);
  const names = named.map(([name]) => name);
  const columns = [chart.axis ? chart.axis(data) : data.t, ...named.map(([, values]) => values)];
  const theme = document.documentElement.dataset.theme;
  const drawn = plots.get(chart.id);
  if (drawn && drawn.theme === theme && drawn.names.join("\n") === names.join("\n")) {
    drawn.window.splice(0, 2, ...window);
    drawn.plot.setData(columns);
    return;
  }
  if (drawn) drawn.plot.destroy();
  const range = [...window];
  const plot = new uPlot(options(chart, names, box, range), columns, box);
  plots.set(chart.id, { plot, names, theme, window: range });
}

function tabulate(chart, data) {
  const rows = chart.figures(data);
  const body = $(chart.id).querySelector(".chart-figures tbody");
  const columns = $(chart.id).querySelectorAll(".chart-figures th").length;
  body.replaceChildren(...(rows.length ? rows : [["nothing sampled yet", ...Array(columns - 1).fill("")]])
    .map((cells) => el("tr", {}, ...cells.map((text) => el("td", { text })))));
}

async function refresh() {
  try {
    if (!uPlot) uPlot = (await import(config.uplot_url)).default;
    const answers = new Map();
    for (const url of new Set(CHARTS.map((chart) => chart.url()))) answers.set(url, await getJSON(url));
    const now = Date.now() / 1000;
    for (const chart of CHARTS) {
      const data = answers.get(chart.url());
      const window = [now - data.window_s, now];
      draw(chart, data, window);
      tabulate(chart, data);
    }
    const rates = answers.get(config.metrics_rates_url);
    const sampled = rates.t.length ? `last sample ${Math.max(Math.round(now - rates.t.at(-1)), 0)} s ago` : "no samples yet: is `manage.py sample_metrics` running?";
    writeText($("charts-status"), `Topic ${rates.topic}, sampled every ${rates.interval_s} s; ${sampled}.`);
  } catch (error) {
    writeText($("charts-status"), `The charts could not be read: ${error.message}`);
  }
}

const charts = poller(refresh, POLL_MS);

function resize() {
  for (const [id, { plot }] of plots) plot.setSize(sizeOf($(id).querySelector(".chart-plot")));
}

export const chartsView = {
  name: "charts",
  title: "Charts",
  start() {
    new ResizeObserver(resize).observe($("charts"));
    // A theme switch redraws with the other theme's colours (draw() compares the theme it drew with).
    new MutationObserver(() => { if (currentView() === "charts") refresh(); })
      .observe(document.documentElement, { attributes: true, attributeFilter: ["data-theme"] });
  },
  enter() { charts.start(); },
  leave() { charts.stop(); },
};
