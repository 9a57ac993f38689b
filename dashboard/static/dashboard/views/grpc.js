// The gRPC workbench: the methods rungrpc lists through reflection, a form per request message, metadata and a
// deadline; the answer as a gRPC client sees it (status, message, BadRequest violations, headers, trailers,
// duration), the response on the wire or with proto3's defaults, and the call as grpcurl. A tab runs at most one
// stream: Start is disabled while it runs, and Cancel or leaving the view ends it. Below, the calls made and the
// requests saved in this browser (widgets/history_panel.js).

import { describe, getJSON, postJSON, send } from "../api.js";
import { $, clockTime, config, el, shellQuote, shortId } from "../dom.js";
import { showFeedRow } from "../feed.js";
import { navigate } from "../router.js";
import { mountHistoryPanel } from "../widgets/history_panel.js";
import { jsonTree } from "../widgets/json_view.js";
import { createRequestStore } from "../widgets/request_store.js";

const grpc = {
  methods: [],
  controller: null,  // the running stream's, or null
  report: null,
  history: null,  // the store of calls and saved requests (widgets/request_store.js), made at start
  async load() {
    let payload;
    try {
      payload = await getJSON(config.grpc_services_url);
    } catch (error) {
      $("grpc-error").textContent = describe(error);
      // 403: switched off here (WORKBENCH_GRPC=0), as the produce form learns its own switch; nothing can be called.
      if (error.status === 403) this.switchOff();
      return;
    }
    for (const service of payload.services) {
      for (const method of service.methods) this.methods.push({ service: service.name, ...method });
    }
    $("grpc-method").replaceChildren(...this.methods.map((method, index) => el("option",
      { value: String(index), text: `${method.service}/${method.name}${method.kind === "unary" ? "" : ` (${method.kind})`}` })));
    this.choose();
  },
  switchOff() {
    $("grpc-card").dataset.switch = "off";
    $("grpc-kind").textContent = "switched off";
    $("grpc-send").disabled = true;
    $("grpc-method").disabled = true;
  },
  current() { return this.methods[Number($("grpc-method").value)]; },
  choose() {
    const method = this.current();
    $("grpc-kind").textContent = `${method.kind}: ${method.input} → ${method.output}`;
    const streaming = method.kind === "server streaming";
    $("grpc-send").textContent = streaming ? "Start stream" : "Call";
    $("grpc-deadline").value = streaming ? "" : $("grpc-deadline").value || "5000";
    $("grpc-deadline").placeholder = streaming ? "none" : "";
    $("grpc-fields").replaceChildren(...method.fields.map((field) => this.input(field)));
    this.enable();
    this.showGrpcurl();
  },
  // Send is off for client streams (the page cannot send one) and while a stream runs.
  enable() {
    const method = this.current();
    $("grpc-send").disabled = Boolean(this.controller) || (method && !["unary", "server streaming"].includes(method.kind));
    $("grpc-method").disabled = Boolean(this.controller);
  },
  // One input per field: enums as selects, repeated fields as comma-separated values, messages as JSON.
  input(field) {
    const id = `grpc-field-${field.name}`;
    let input;
    if (field.enum && !field.repeated) {
      input = el("select", { id }, el("option", { value: "", text: "(not set)" }),
        ...field.enum.map((name) => el("option", { value: name, text: name })));
    } else if (field.type === "bool") {
      input = el("select", { id }, el("option", { value: "", text: "(not set)" }), el("option", { text: "true" }), el("option", { text: "false" }));
    } else {
      input = el("input", { id, placeholder: field.repeated ? `${field.enum ? field.enum.join(", ") : field.type}, …` : field.type });
    }
    input.dataset.field = field.name;
    input.dataset.kind = field.fields ? "message" : /int|fixed|double|float/.test(field.type) ? "number" : field.type === "bool" ? "bool" : "text";
    input.dataset.repeated = String(field.repeated);
    return el("label", { className: "inline param" }, `${field.name} = ${field.number}${field.repeated ? " (repeated)" : ""} `, input);
  },
  request() {
    const body = {};
    for (const input of $("grpc-fields").querySelectorAll("[data-field]")) {
      if (input.value.trim() === "") continue;
      const one = (text) => (input.dataset.kind === "number" ? Number(text) : input.dataset.kind === "bool" ? text === "true"
        : input.dataset.kind === "message" ? JSON.parse(text) : text);
      body[input.dataset.field] = input.dataset.repeated === "true"
        ? input.value.split(",").map((part) => part.trim()).filter(Boolean).map(one) : one(input.value);
    }
    return body;
  },
  metadata() {
    return $("grpc-metadata").value.split("\n").filter((line) => line.includes(":"))
      .map((line) => [line.slice(0, line.indexOf(":")).trim(), line.slice(line.indexOf(":") + 1).trim()]);
  },
  showGrpcurl() {
    const method = this.current();
    if (!method) return;
    let body;
    try { body = JSON.stringify(this.request()); } catch (error) { body = "{}"; }
    const seconds = Number($("grpc-deadline").value) / 1000;
    $("grpc-grpcurl").textContent = ["grpcurl", "-plaintext", "-d", shellQuote(body),
      ...this.metadata().flatMap(([key, value]) => ["-H", shellQuote(`${key}: ${value}`)]),
      ...(seconds > 0 ? ["-max-time", String(seconds)] : []), config.grpc_target, `${method.service}/${method.name}`].join(" ");
  },
  // The form as the history keeps it: the method and each field as typed, enough to fill the form again.
  stored() {
    if (!this.current()) throw new Error("No method is listed yet.");
    const fields = Object.fromEntries([...$("grpc-fields").querySelectorAll("[data-field]")]
      .map((input) => [input.dataset.field, input.value]));
    return { method: this.current().path, fields, metadata: $("grpc-metadata").value, deadline: $("grpc-deadline").value };
  },
  // Fill the form with a kept request; its method must still be listed.
  fill(request) {
    if (this.controller) throw new Error("A stream is running: cancel it first.");
    const index = this.methods.findIndex((method) => method.path === request.method);
    if (index < 0) throw new Error(`rungrpc lists no ${request.method.slice(1)}.`);
    $("grpc-method").value = String(index);
    this.choose();
    for (const input of $("grpc-fields").querySelectorAll("[data-field]")) input.value = request.fields[input.dataset.field] ?? "";
    $("grpc-metadata").value = request.metadata;
    $("grpc-deadline").value = request.deadline;
    this.showGrpcurl();
  },
  run() {
    if (this.current().kind === "server streaming") return this.stream();
    return this.call();
  },
  // The call's body for the gateway, or null with the error shown beside the form.
  callBody() {
    try {
      return { method: this.current().path, request: this.request(), metadata: this.metadata(),
        deadline_ms: Number($("grpc-deadline").value) || null };
    } catch (error) {
      $("grpc-error").textContent = `A message field holds no JSON: ${error.message}`;
      return null;
    }
  },
  // Each call starts from nothing: the last result and error go before the new one is asked for.
  clear() {
    $("grpc-error").textContent = "";
    $("grpc-result").hidden = true;
    $("grpc-stream-box").hidden = true;
    this.report = null;
  },
  async call() {
    this.clear();
    const body = this.callBody();
    if (!body) return;
    const kept = this.stored();
    $("grpc-send").disabled = true;
    try {
      const report = (await postJSON(config.grpc_call_url, body, { timeoutMs: 65_000 })).data;
      this.show(report);
      this.history.record(kept, { summary: `${report.code} · ${report.duration_ms} ms`,
        body: report.response !== undefined ? JSON.stringify(report.response, null, 1) : report.message });
    } catch (error) {
      $("grpc-error").textContent = describe(error);
      this.history.record(kept, { summary: describe(error), body: "" });
    } finally {
      this.enable();
    }
  },
  show(report) {
    this.report = report;
    $("grpc-result").hidden = false;
    $("grpc-status").textContent = `${report.code_number} ${report.code}`;
    $("grpc-status").dataset.code = report.code;
    $("grpc-message").textContent = report.message;
    $("grpc-duration").textContent = `${report.duration_ms} ms`;
    $("grpc-violations").replaceChildren(...report.details.flatMap((detail) => (detail.field_violations || [])
      .map((v) => el("li", { "data-field": v.field, text: `${v.field}: ${v.description}` }))));
    $("grpc-metadata-out").textContent = [...report.headers.map(([k, v]) => `header  ${k}: ${v}`),
      ...report.trailers.map(([k, v]) => `trailer ${k}: ${v}`)].join("\n") || "(none)";
    $("grpc-bytes").textContent = `request  ${report.request_bytes.length / 2} bytes: ${report.request_bytes || "(empty)"}\n`
      + (report.response_bytes !== undefined ? `response ${report.response_bytes.length / 2} bytes: ${report.response_bytes || "(empty)"}` : "");
    this.showResponse();
  },
  // A server stream, message by message as it arrives. At most one runs: Start is off until it ends.
  async stream() {
    if (this.controller) return;
    this.clear();
    const body = this.callBody();
    if (!body) return;
    const kept = this.stored();
    const controller = new AbortController();
    this.controller = controller;
    this.enable();
    $("grpc-stream").replaceChildren();
    $("grpc-stream-count").textContent = "";
    $("grpc-stream-box").hidden = false;
    $("grpc-cancel").hidden = false;
    this.streamState("streaming", "STREAMING");
    try {
      const response = await send(config.grpc_stream_url, { method: "POST", signal: controller.signal, timeoutMs: 0,
        headers: { "Content-Type": "application/json" }, body: JSON.stringify(body) });
      if (!response.ok) {
        const errors = await response.json().catch(() => ({}));
        this.streamState(`HTTP ${response.status}: ${Object.values(errors).flat().join(" ")}`, "ERROR");
        return;
      }
      await this.readLines(response.body.getReader(), controller.signal);
    } catch (error) {
      if (!error.aborted) this.streamState(error.message, "ERROR");
    } finally {
      if (this.controller === controller) this.controller = null;
      $("grpc-cancel").hidden = true;
      this.enable();
      this.history.record(kept, { summary: `stream: ${$("grpc-stream-state").textContent}, ${$("grpc-stream").children.length} message(s)`,
        body: [...$("grpc-stream").children].map((item) => item.textContent).join("\n") });
    }
  },
  async readLines(reader, signal) {
    const decoder = new TextDecoder();
    let pending = "";
    for (;;) {
      const { value, done } = await reader.read();
      if (done || signal.aborted) return;
      pending += decoder.decode(value, { stream: true });
      const lines = pending.split("\n");
      pending = lines.pop();
      for (const line of lines.filter(Boolean)) this.streamed(JSON.parse(line));
    }
  },
  // An order event is drawn as one, linked to its feed row; any other message as its own type, field by field.
  streamed(item) {
    if (item.type === "end") {
      this.streamState(`${item.code}${item.message ? `: ${item.message}` : ""}`, item.code);
      return;
    }
    if (item.type !== "message") return;
    const message = item.message;
    const at = el("span", { className: "muted", text: `${clockTime(item.at)} ` });
    let entry;
    if (message.order) {
      const order = message.order;
      const where = [message.partition ?? 0, message.offset ?? 0];
      const link = el("button", { type: "button", className: "link", text: `feed row ${where[0]}@${where[1]}` });
      link.addEventListener("click", () => { navigate("/"); showFeedRow(...where); });
      const trace = el("a", { className: "trace-link", href: `/traces/${encodeURIComponent(order.id || "")}`, "data-route": "",
        text: "trace", "aria-label": `trace of order ${shortId(order.id)}` });
      entry = el("li", { "data-order-id": order.id || "", "data-partition": String(where[0]), "data-offset": String(where[1]) },
        at, el("span", { text: `${message.type || ""} ${shortId(order.id)} ${order.status || "QUEUED"} via ${message.source || ""} ` }), link,
        " ", trace);
    } else {
      entry = el("li", { "data-message-type": this.current().output }, at,
        el("span", { text: `${this.current().output} ${JSON.stringify(message)}` }));
    }
    $("grpc-stream").prepend(entry);
    $("grpc-stream-count").textContent = `${$("grpc-stream").children.length} message(s)`;
  },
  streamState(text, code) {
    $("grpc-stream-state").textContent = text;
    $("grpc-stream-state").dataset.code = code;
  },
  cancel() {
    if (!this.controller) return;
    this.controller.abort();
    this.controller = null;
    this.streamState("CANCELLED by the page", "CANCELLED");
    $("grpc-cancel").hidden = true;
    this.enable();
  },
  // Proto3 leaves a field at its default off the wire: a QUEUED order (status 0) carries no status at all.
  showResponse() {
    const report = this.report;
    if (!report || report.response === undefined) {
      $("grpc-response").textContent = "(no message: the call failed)";
      $("grpc-lens").textContent = "";
      return;
    }
    const withDefaults = $("grpc-defaults").checked;
    $("grpc-response").replaceChildren(jsonTree(withDefaults ? report.response_with_defaults : report.response));
    $("grpc-lens").textContent = withDefaults
      ? "With defaults: fields at their default value, which proto3 does not send, are filled in."
      : "As on the wire: proto3 sends no field at its default (0, \"\", the first enum value, empty lists).";
  },
};

export const grpcView = {
  name: "grpc",
  title: "gRPC workbench",
  start() {
    $("grpc-method").addEventListener("change", () => grpc.choose());
    $("grpc-call").addEventListener("input", () => grpc.showGrpcurl());
    $("grpc-call").addEventListener("change", () => grpc.showGrpcurl());
    $("grpc-defaults").addEventListener("change", () => grpc.showResponse());
    $("grpc-call").addEventListener("submit", (event) => {
      event.preventDefault();
      grpc.run();
    });
    $("grpc-cancel").addEventListener("click", () => grpc.cancel());
    // Closing the tab ends the stream too (the browser drops the fetch; this says so to the server at once).
    window.addEventListener("pagehide", () => grpc.cancel());
    grpc.history = createRequestStore("grpc");
    mountHistoryPanel($("grpc-history"), {
      store: grpc.history,
      idPrefix: "grpc-history",
      title: "gRPC workbench",
      describe: (request) => request.method.slice(1),
      current: () => grpc.stored(),
      fill: (request) => grpc.fill(request),
      send: (request) => { grpc.fill(request); return grpc.run(); },
    });
    grpc.load();
  },
  // Leaving the view ends a running stream: nothing runs where it cannot be seen.
  leave() { grpc.cancel(); },
};
