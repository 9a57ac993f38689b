// The REST workbench: every operation of the OpenAPI schema (not a hand-written list), a form for its parameters
// and body, the request and response with their headers, and the same call as curl; below, the calls made and the
// requests saved in this browser (widgets/history_panel.js), with a Postman collection of them.

import { getJSON, send } from "../api.js";
import { $, config, el, shellQuote } from "../dom.js";
import { orders } from "../orders.js";
import { mountHistoryPanel } from "../widgets/history_panel.js";
import { jsonTree } from "../widgets/json_view.js";
import { postmanCollection } from "../widgets/postman.js";
import { createRequestStore, newId } from "../widgets/request_store.js";

const rest = {
  schema: null,
  operations: [],
  history: null,  // the store of calls and saved requests (widgets/request_store.js), made at start
  async load() {
    try {
      this.schema = await getJSON(config.schema_url);
    } catch (error) {
      $("rest-summary").textContent = `The schema cannot be read: ${error.message}`;
      return;
    }
    for (const [path, methods] of Object.entries(this.schema.paths)) {
      for (const [method, operation] of Object.entries(methods)) {
        this.operations.push({ path, method: method.toUpperCase(), operation });
      }
    }
    $("rest-operation").replaceChildren(...this.operations.map((op, index) => el("option",
      { value: String(index), "data-operation-id": op.operation.operationId, text: `${op.method} ${op.path}` })));
    this.choose();
  },
  resolve(schema) {
    let resolved = schema || {};
    while (resolved.$ref) resolved = resolved.$ref.split("/").slice(1).reduce((node, key) => node[key], this.schema);
    return resolved;
  },
  // An example value from a schema: the required fields, the first enum member, one array item.
  example(schema) {
    const resolved = this.resolve(schema);
    if (resolved.enum) return resolved.enum[0];
    if (resolved.type === "object" || resolved.properties) {
      return Object.fromEntries((resolved.required || []).map((name) => [name, this.example(resolved.properties[name])]));
    }
    if (resolved.type === "array") return [this.example(resolved.items)];
    if (resolved.type === "integer") return 1;
    if (resolved.type === "boolean") return true;
    return "ana";
  },
  current() { return this.operations[Number($("rest-operation").value)]; },
  choose() {
    const { operation } = this.current();
    $("rest-summary").textContent = operation.summary || operation.description || "";
    $("rest-params").replaceChildren(...(operation.parameters || []).map((param) => {
      const schema = this.resolve(param.schema);
      const id = `rest-param-${param.name}`;
      const input = schema.enum
        ? el("select", { id }, el("option", { value: "", text: "(none)" }), ...schema.enum.map((v) => el("option", { value: v, text: v })))
        : el("input", { id, placeholder: schema.type || "" });
      input.dataset.param = param.name;
      input.dataset.in = param.in;
      if (param.in === "path" && param.name === "order_id") input.value = orders.latestId();
      return el("label", { className: "inline param" }, `${param.name} (${param.in}) `, input);
    }));
    const body = operation.requestBody && operation.requestBody.content["application/json"];
    $("rest-body-box").hidden = !body;
    $("rest-body").value = body ? JSON.stringify(this.example(body.schema), null, 1) : "";
    this.showCurl();
  },
  request() {
    const { path, method, operation } = this.current();
    let url = path;
    const query = new URLSearchParams();
    for (const input of $("rest-params").querySelectorAll("[data-param]")) {
      if (input.dataset.in === "path") url = url.replace(`{${input.dataset.param}}`, encodeURIComponent(input.value));
      else if (input.value !== "") query.append(input.dataset.param, input.value);
    }
    const headers = Object.fromEntries($("rest-headers").value.split("\n").filter((line) => line.includes(":"))
      .map((line) => [line.slice(0, line.indexOf(":")).trim(), line.slice(line.indexOf(":") + 1).trim()]));
    const hasBody = Boolean(operation.requestBody) && $("rest-body").value.trim() !== "";
    if (hasBody) headers["Content-Type"] = "application/json";
    return { method, url: `${url}${query.toString() ? `?${query}` : ""}`, headers, body: hasBody ? $("rest-body").value : null };
  },
  // The form's request as the history keeps it: enough to fill the form again, and its URL.
  stored() {
    if (!this.current()) throw new Error("The schema is not loaded yet.");
    const { path, method } = this.current();
    const call = this.request();
    const params = Object.fromEntries([...$("rest-params").querySelectorAll("[data-param]")]
      .map((input) => [input.dataset.param, input.value]));
    return { method, path, params, url: call.url, headers: $("rest-headers").value, body: call.body };
  },
  // Fill the form with a kept request; its operation must still be in the schema.
  fill(request) {
    const index = this.operations.findIndex((op) => op.method === request.method && op.path === request.path);
    if (index < 0) throw new Error(`The schema has no ${request.method} ${request.path}.`);
    $("rest-operation").value = String(index);
    this.choose();
    for (const input of $("rest-params").querySelectorAll("[data-param]")) input.value = request.params[input.dataset.param] ?? "";
    $("rest-headers").value = request.headers;
    if (!$("rest-body-box").hidden) $("rest-body").value = request.body ?? "";
    this.showCurl();
  },
  showCurl() {
    if (!this.current()) return;
    const call = this.request();
    const parts = ["curl", "-sS", "-i", "-X", call.method, shellQuote(`${location.origin}${call.url}`),
      ...Object.entries(call.headers).flatMap(([name, value]) => ["-H", shellQuote(`${name}: ${value}`)])];
    if (call.body !== null) parts.push("--data-raw", shellQuote(call.body));
    $("rest-curl").textContent = parts.join(" ");
  },
  // Each call starts from an empty exchange, so a failure never sits above the previous call's answer.
  async send() {
    const kept = this.stored();
    const call = this.request();
    $("rest-exchange").hidden = true;
    $("rest-status").textContent = "";
    const started = performance.now();
    let response;
    try {
      response = await send(call.url, { method: call.method, body: call.body, headers: call.headers });
    } catch (error) {
      $("rest-exchange").hidden = false;
      $("rest-status").textContent = error.message;
      $("rest-status").dataset.status = "0";
      $("rest-request").textContent = `${call.method} ${call.url}`;
      $("rest-response").textContent = "(no response)";
      $("rest-duration").textContent = "";
      this.history.record(kept, { summary: error.message, body: "" });
      return;
    }
    const text = await response.text();
    const took = performance.now() - started;
    // A JSON body is shown as a tree under the head; any other body as its text.
    const body = (() => { try { return jsonTree(JSON.parse(text)); } catch (error) { return text; } })();
    $("rest-exchange").hidden = false;
    $("rest-status").textContent = `HTTP ${response.status} ${response.statusText}`;
    $("rest-status").dataset.status = String(response.status);
    $("rest-duration").textContent = `${took.toFixed(1)} ms`;
    $("rest-request").textContent = [`${call.method} ${call.url}`,
      ...Object.entries(call.headers).map(([name, value]) => `${name}: ${value}`),
      "X-CSRFToken: (this page's token; JSON from curl needs none)", "", call.body || ""].join("\n");
    $("rest-response").replaceChildren([`HTTP ${response.status} ${response.statusText}`,
      ...[...response.headers.entries()].map(([name, value]) => `${name}: ${value}`), "", ""].join("\n"), body);
    this.history.record(kept, { summary: `HTTP ${response.status} ${response.statusText} · ${took.toFixed(1)} ms`, body: text });
    const created = response.status === 201 && JSON.parse(text);
    if (created && created.order_id) orders.upsert(created, "rest");
  },
};

export const restView = {
  name: "rest",
  title: "REST workbench",
  start() {
    $("rest-operation").addEventListener("change", () => rest.choose());
    $("rest-call").addEventListener("input", () => rest.showCurl());
    $("rest-call").addEventListener("change", () => rest.showCurl());
    $("rest-call").addEventListener("submit", (event) => {
      event.preventDefault();
      rest.send();
    });
    rest.history = createRequestStore("rest");
    mountHistoryPanel($("rest-history"), {
      store: rest.history,
      idPrefix: "rest-history",
      title: "REST workbench",
      describe: (request) => `${request.method} ${request.url}`,
      current: () => rest.stored(),
      fill: (request) => rest.fill(request),
      send: (request) => { rest.fill(request); return rest.send(); },
      exports: [{ id: "postman", label: "Export Postman collection", filename: "rest-workbench.postman_collection.json",
        build: () => {
          if (!rest.history.saved.length && !rest.history.calls.length) throw new Error("Nothing to export yet: send or save a request first.");
          return postmanCollection({ name: "Message Passing Playground: REST workbench", id: newId(),
            baseUrl: location.origin, saved: rest.history.saved, calls: rest.history.calls });
        } }],
    });
    rest.load();
  },
};
