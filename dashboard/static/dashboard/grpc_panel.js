// The gRPC workbench: the methods rungrpc lists through reflection, a form per request message, metadata and a
// deadline; the answer as a gRPC client sees it (status, message, BadRequest violations, headers, trailers,
// duration), the response on the wire or with proto3's defaults, and the call as grpcurl.
"use strict";

const grpcPanel = {
  methods: [],
  async load() {
    const response = await fetch(config.grpc_services_url, { headers: { Accept: "application/json" } });
    const payload = await response.json().catch(() => ({}));
    if (!response.ok) {
      $("grpc-error").textContent = payload.detail || `HTTP ${response.status}`;
      return;
    }
    for (const service of payload.services) {
      for (const method of service.methods) this.methods.push({ service: service.name, ...method });
    }
    $("grpc-method").replaceChildren(...this.methods.map((method, index) => el("option",
      { value: String(index), text: `${method.service}/${method.name}${method.kind === "unary" ? "" : ` (${method.kind})`}` })));
    this.choose();
  },
  current() { return this.methods[Number($("grpc-method").value)]; },
  choose() {
    const method = this.current();
    $("grpc-kind").textContent = `${method.kind}: ${method.input} → ${method.output}`;
    const streaming = method.kind === "server streaming";
    $("grpc-send").disabled = !streaming && method.kind !== "unary";
    $("grpc-send").textContent = streaming ? "Start stream" : "Call";
    $("grpc-deadline").value = streaming ? "" : $("grpc-deadline").value || "5000";
    $("grpc-deadline").placeholder = streaming ? "none" : "";
    $("grpc-fields").replaceChildren(...method.fields.map((field) => this.input(field)));
    this.showGrpcurl();
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
  async call() {
    const method = this.current();
    let request;
    try {
      request = this.request();
    } catch (error) {
      $("grpc-error").textContent = `A message field holds no JSON: ${error.message}`;
      return;
    }
    const response = await fetch(config.grpc_call_url, {
      method: "POST",
      headers: { "Content-Type": "application/json", Accept: "application/json", "X-CSRFToken": csrfToken() },
      body: JSON.stringify({ method: method.path, request, metadata: this.metadata(),
        deadline_ms: Number($("grpc-deadline").value) || null }),
    });
    const report = await response.json().catch(() => ({}));
    $("grpc-error").textContent = response.ok ? "" : Object.entries(report)
      .map(([field, messages]) => `${field}: ${Array.isArray(messages) ? messages.join(" ") : messages}`).join("; ");
    if (response.ok) this.show(report);
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
  // A server stream, message by message as it arrives; each message links to its row in the Kafka feed.
  async stream() {
    const method = this.current();
    const controller = new AbortController();
    this.controller = controller;
    $("grpc-stream").replaceChildren();
    $("grpc-stream-box").hidden = false;
    $("grpc-cancel").hidden = false;
    this.streamState("streaming", "STREAMING");
    let response;
    try {
      response = await fetch(config.grpc_stream_url, {
        method: "POST", signal: controller.signal,
        headers: { "Content-Type": "application/json", "X-CSRFToken": csrfToken() },
        body: JSON.stringify({ method: method.path, request: this.request(), metadata: this.metadata(),
          deadline_ms: Number($("grpc-deadline").value) || null }),
      });
      if (!response.ok) {
        const errors = await response.json().catch(() => ({}));
        this.streamState(`HTTP ${response.status}: ${Object.values(errors).flat().join(" ")}`, "ERROR");
        return;
      }
      await this.readLines(response.body.getReader());
    } catch (error) {
      if (error.name !== "AbortError") this.streamState(`network error: ${error.message}`, "ERROR");
    } finally {
      if (this.controller === controller) $("grpc-cancel").hidden = true;
    }
  },
  async readLines(reader) {
    const decoder = new TextDecoder();
    let pending = "";
    for (;;) {
      const { value, done } = await reader.read();
      if (done) return;
      pending += decoder.decode(value, { stream: true });
      const lines = pending.split("\n");
      pending = lines.pop();
      for (const line of lines.filter(Boolean)) this.streamed(JSON.parse(line));
    }
  },
  streamed(item) {
    if (item.type === "message") {
      const message = item.message;
      const order = message.order || {};
      const link = el("button", { type: "button", className: "link", text: `feed row ${message.partition ?? 0}@${message.offset ?? 0}` });
      link.addEventListener("click", () => showFeedRow(message.partition ?? 0, message.offset ?? 0));
      $("grpc-stream").prepend(el("li", { "data-order-id": order.id || "", "data-partition": String(message.partition ?? 0),
        "data-offset": String(message.offset ?? 0) },
        el("span", { className: "muted", text: `${clockTime(item.at)} ` }),
        el("span", { text: `${message.type || ""} ${shortId(order.id)} ${order.status || "QUEUED"} via ${message.source || ""} ` }), link));
      $("grpc-stream-count").textContent = `${$("grpc-stream").children.length} message(s)`;
    } else if (item.type === "end") {
      this.streamState(`${item.code}${item.message ? `: ${item.message}` : ""}`, item.code);
    }
  },
  streamState(text, code) {
    $("grpc-stream-state").textContent = text;
    $("grpc-stream-state").dataset.code = code;
  },
  cancel() {
    if (this.controller) this.controller.abort();
    this.streamState("CANCELLED by the page", "CANCELLED");
    $("grpc-cancel").hidden = true;
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
    $("grpc-response").textContent = JSON.stringify(withDefaults ? report.response_with_defaults : report.response, null, 2);
    $("grpc-lens").textContent = withDefaults
      ? "With defaults: fields at their default value, which proto3 does not send, are filled in."
      : "As on the wire: proto3 sends no field at its default (0, \"\", the first enum value, empty lists).";
  },
};

$("grpc-method").addEventListener("change", () => grpcPanel.choose());
$("grpc-call").addEventListener("input", () => grpcPanel.showGrpcurl());
$("grpc-call").addEventListener("change", () => grpcPanel.showGrpcurl());
$("grpc-defaults").addEventListener("change", () => grpcPanel.showResponse());
$("grpc-call").addEventListener("submit", (event) => {
  event.preventDefault();
  const run = grpcPanel.current().kind === "server streaming" ? grpcPanel.stream() : grpcPanel.call();
  run.catch((error) => { $("grpc-error").textContent = `network error: ${error.message}`; });
});
$("grpc-cancel").addEventListener("click", () => grpcPanel.cancel());

// Bring a record's row in the feed into view and mark it.
function showFeedRow(partition, offset) {
  document.querySelectorAll("#feed tr.highlight").forEach((row) => row.classList.remove("highlight"));
  const row = document.querySelector(`#feed tr.record[data-partition="${partition}"][data-offset="${offset}"]`);
  if (!row) return;
  row.classList.add("highlight");
  row.scrollIntoView({ block: "center" });
}
grpcPanel.load();
