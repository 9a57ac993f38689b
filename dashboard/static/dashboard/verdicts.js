// What the server believes of a record: each record frame's verdict, and whether it came out of its key's order
// (docs/protocol.md). The rules themselves stay on the server (orders/events.py judge and goes_back); the page only
// shows the verdict and applies what was accepted.

import { el } from "./dom.js";

// What a record without a flag gets: one shared empty list (a feed row asks for each kind of flag with every record).
const NONE = Object.freeze([]);

// Whether a record moves its order on the page: only an event the order rules accept does.
export const applies = (frame) => frame.verdict === "accepted" && frame.value_format === "json-event";

// A record that is not applied: a flag naming its verdict, then the reason in words.
export function verdictFlag(frame) {
  if (!frame.verdict || frame.verdict === "accepted") return NONE;
  return [el("span", { className: `flag flag-${frame.verdict}`, text: frame.verdict }),
    el("span", { className: "flag-reason", text: frame.verdict_reason || "" })];
}

// A record the server read out of its key's sequence (messaging/ordering.py): a badge, then why.
export function orderingFlag(frame) {
  if (!frame.out_of_order) return NONE;
  return [el("span", { className: "flag flag-out-of-order", text: "out of order" }),
    el("span", { className: "flag-reason", text: frame.out_of_order })];
}

// A record produced from this page's produce form (its "hand-made" header).
export function handMadeBadge(frame) {
  return frame.hand_made ? [el("span", { className: "hand-made", title: "produced from this page (Topic view)",
    text: "hand-made" })] : NONE;
}
