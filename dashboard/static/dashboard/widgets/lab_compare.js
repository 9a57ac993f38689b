// Lab 8's table, REST against gRPC, as the server's Check returns it ([what, REST, gRPC] per row, the first row the
// heading): the lab's trade-off, filled in by the learner's own run.

import { el } from "../dom.js";

export function comparisonTable(rows) {
  const [head, ...body] = rows;
  return el("div", { className: "table-scroll lab-extra", tabindex: "0", role: "region", "aria-label": "REST against gRPC, your run" },
    el("table", { className: "lab-compare" },
      el("caption", { text: "Your run: REST against gRPC for the same order" }),
      el("thead", {}, el("tr", {}, ...head.map((text, index) => el("th", { scope: "col", text: index ? text : "measured" })))),
      el("tbody", {}, ...body.map(([what, ...sides]) =>
        el("tr", {}, el("th", { scope: "row", text: what }), ...sides.map((text) => el("td", { text })))))));
}
