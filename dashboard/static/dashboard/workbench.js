// The workbench on the feed: produce a record from the page, re-produce one, and copy the command that reads
// exactly that record from a terminal. Uses $, el, csrfToken, config and recordExtras from app.js.
"use strict";

// "name: value" per line; a line without a colon is a header with an empty value.
function parseHeaders(text) {
  return text.split("\n").filter((line) => line.trim()).map((line) => {
    const at = line.indexOf(":");
    return at < 0 ? [line.trim(), ""] : [line.slice(0, at).trim(), line.slice(at + 1).trim()];
  });
}

function asText(value, format) {
  if (format === "null" || value === null || value === undefined) return "";
  return format === "json-event" ? JSON.stringify(value) : String(value);
}

async function produceRecord() {
  const body = {
    key: $("produce-key").value === "" ? null : $("produce-key").value,
    value: $("produce-value").value === "" ? null : $("produce-value").value,
    headers: parseHeaders($("produce-headers").value),
  };
  const response = await fetch(config.produce_url, {
    method: "POST",
    headers: { "Content-Type": "application/json", Accept: "application/json", "X-CSRFToken": csrfToken() },
    body: JSON.stringify(body),
  });
  const payload = await response.json().catch(() => ({}));
  $("produce-error").textContent = response.status === 201 ? "" : Object.entries(payload)
    .map(([field, messages]) => `${field === "non_field_errors" || field === "detail" ? "" : `${field}: `}`
      + `${Array.isArray(messages) ? messages.join(" ") : messages}`).join("; ");
  $("produce-result").textContent = response.status === 201
    ? `sent to partition ${payload.partition}, offset ${payload.offset}` : `HTTP ${response.status}`;
}

$("produce-form").addEventListener("submit", (event) => {
  event.preventDefault();
  produceRecord();
});

// Fill the produce form with a record as it was (text only: a base64 field cannot be typed back as bytes).
function reproduce(frame) {
  $("produce-key").value = frame.key_format === "text" ? frame.key : "";
  $("produce-value").value = asText(frame.value, frame.value_format);
  $("produce-headers").value = Object.entries(frame.headers || {})
    .map(([name, value]) => `${name}: ${value === null ? "" : value}`).join("\n");
  $("produce-box").open = true;
  $("produce-key").focus();
}

// The commands that print exactly this record from a terminal in the project's folder.
function commandsFor(frame) {
  const where = `--partition ${frame.partition} --offset ${frame.offset}`;
  return [
    ["Kafka's console consumer", `.venv/bin/python -m localkafka console-consumer --bootstrap-server ${config.bootstrap_servers} `
      + `--topic ${config.topic} ${where} --max-messages 1 --formatter-property print.key=true --formatter-property print.headers=true`],
    ["manage.py kafka_consume", `KAFKA_BOOTSTRAP_SERVERS=${config.bootstrap_servers} .venv/bin/python manage.py kafka_consume `
      + `--topic ${config.topic} ${where} --max-records 1 --print-headers --timeout 10`],
  ];
}

function copyButton(text) {
  const button = el("button", { type: "button", className: "link", text: "copy" });
  button.addEventListener("click", async () => {
    try {
      await navigator.clipboard.writeText(text);
      button.textContent = "copied";
    } catch (error) {
      button.textContent = "select the text to copy";
    }
  });
  return button;
}

recordExtras.push((frame) => {
  const box = el("div", { className: "record-tools" });
  if (frame.value_format !== "unreadable") {
    const again = el("button", { type: "button", className: "reproduce", text: "Re-produce this record" });
    again.addEventListener("click", () => reproduce(frame));
    box.append(again);
  }
  for (const [name, command] of commandsFor(frame)) {
    box.append(el("p", { className: "copy-as" }, el("span", { className: "muted", text: `${name}: ` }),
      el("code", { className: "cmd", "data-copy": name, text: command }), " ", copyButton(command)));
  }
  return box;
});
