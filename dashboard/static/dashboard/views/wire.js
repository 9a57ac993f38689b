// The wire inspector on the Live view: one order as JSON over HTTP, as protobuf (annotated per field) and as Kafka
// records, with the sizes side by side and a proto3 lens.

import { getJSON, send } from "../api.js";
import { $, config, el, payloadBox } from "../dom.js";
import { onWire } from "../orders.js";
import { fillHex, fromHex } from "../widgets/hex_view.js";
import { jsonTree } from "../widgets/json_view.js";

const utf8 = new TextEncoder();
const bytes = (text) => utf8.encode(text).length;

// The HTTP exchange for the order's REST detail, as text (the browser adds a few request headers of its own).
async function httpExchange(orderId) {
  const url = `${config.rest_url}/${orderId}`;
  const response = await send(url, { headers: { Accept: "application/json" } });
  const body = await response.text();
  const head = [`HTTP/1.1 ${response.status} ${response.statusText}`,
    ...[...response.headers.entries()].map(([name, value]) => `${name}: ${value}`)].join("\r\n");
  return { request: `GET ${url} HTTP/1.1\nHost: ${location.host}\nAccept: application/json`,
    response: `${head.replace(/\r\n/g, "\n")}\n\n${body}`, bodyBytes: bytes(body), responseBytes: bytes(`${head}\r\n\r\n${body}`) };
}

const SIZE_NAMES = ["json", "http", "protobuf", "kafka-value", "kafka-key-headers"];

const inspector = {
  inspected: null,
  opener: null,
  async open(orderId, button) {
    const [wire, http] = await Promise.all([
      getJSON(config.wire_url.replace("00000000-0000-0000-0000-000000000000", orderId)), httpExchange(orderId)]);
    this.inspected = wire;
    if (this.opener) this.opener.setAttribute("aria-expanded", "false");
    this.opener = button;
    button.setAttribute("aria-expanded", "true");
    $("wire-card").hidden = false;
    $("wire-order").textContent = orderId;
    $("wire-http").textContent = `${http.request}\n\n${http.response}`;
    const created = wire.kafka[0];
    $("wire-sizes").replaceChildren(...[
      `${http.bodyBytes} bytes`, `${http.responseBytes} bytes`, `${wire.protobuf.size} bytes`,
      created ? `${created.size.value} bytes` : "not yet published",
      created ? `${created.size.key} + ${created.size.headers} bytes` : "—",
    ].map((text, index) => el("td", { "data-size": SIZE_NAMES[index], text })));
    fillHex($("wire-hex"), fromHex(wire.protobuf.hex));
    $("wire-fields").replaceChildren(...wire.protobuf.fields.map((field) => el("tr", { "data-number": String(field.number) },
      el("td", { text: `${field.number} ${field.name}` }), el("td", { text: field.wire_type }),
      el("td", {}, el("code", { className: "long", text: field.hex })), el("td", { text: JSON.stringify(field.value) }))));
    $("wire-kafka").replaceChildren(...wire.kafka.map((record) => el("div", { className: "wire-record" },
      el("p", { text: `${record.type} at partition ${record.partition ?? "?"}, offset ${record.offset ?? "?"}` }),
      payloadBox([`key     ${record.key_hex}`, ...record.headers.map((header) => `header  ${header.name} = ${header.hex}`),
        `value   ${record.value_hex}`].join("\n"), `${record.type} record bytes`))));
    this.lens();
    $("wire-card").scrollIntoView({ block: "start" });
  },
  lens() {
    const protobuf = this.inspected && this.inspected.protobuf;
    if (!protobuf) return;
    const withDefaults = $("wire-defaults").checked;
    $("wire-message").replaceChildren(jsonTree(withDefaults ? protobuf.with_defaults : protobuf.on_the_wire));
    const missing = Object.keys(protobuf.with_defaults).filter((name) => !(name in protobuf.on_the_wire));
    $("wire-lens").textContent = withDefaults
      ? `With defaults: ${missing.join(", ") || "nothing"} filled in from proto3's defaults.`
      : `On the wire: ${missing.length ? `${missing.join(", ")} not sent, because ` : ""}proto3 sends no field at its default `
        + "(0, the first enum value, \"\", empty lists); a reader cannot tell \"QUEUED\" from \"not set\".";
  },
};

export function startWire() {
  onWire((orderId, button) => inspector.open(orderId, button).catch(() => {}));
  $("wire-defaults").addEventListener("change", () => inspector.lens());
}
