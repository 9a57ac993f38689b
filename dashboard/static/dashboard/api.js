// The page's one HTTP client: JSON in and out, Django's CSRF header, a timeout and abort, and every failure turned
// into one shape, {status, fieldErrors, message}, that the views show beside what caused it.

const DEFAULT_TIMEOUT_MS = 10_000;

function csrfToken() {
  const input = document.querySelector("input[name=csrfmiddlewaretoken]");
  return input ? input.value : "";
}

export class ApiError extends Error {
  constructor({ status, fieldErrors = {}, message }) {
    super(message);
    this.status = status;  // the HTTP status, or 0 when no answer came (network, timeout, abort)
    this.fieldErrors = fieldErrors;  // {field: "text"} from a DRF-style 400
  }
}

// A DRF error body ({field: [messages]} or {detail}) as {status, fieldErrors, message}.
export function problemOf(status, payload) {
  const fieldErrors = {};
  let message = `HTTP ${status}`;
  if (payload && typeof payload === "object" && !Array.isArray(payload)) {
    for (const [field, messages] of Object.entries(payload)) {
      const text = Array.isArray(messages) ? messages.join(" ") : typeof messages === "string" ? messages : JSON.stringify(messages);
      if (field === "detail") message = text;
      else fieldErrors[field] = text;
    }
  }
  return { status, fieldErrors, message };
}

// fetch() with the CSRF header on writes, a timeout (0: none) and the caller's own abort signal; `keepalive` lets a
// small request outlive the page (sent as it is hidden or left).
export async function send(url, { method = "GET", body = null, headers = {}, signal = null, timeoutMs = DEFAULT_TIMEOUT_MS,
  keepalive = false } = {}) {
  const controller = new AbortController();
  const timer = timeoutMs ? setTimeout(() => controller.abort(new DOMException("timed out", "TimeoutError")), timeoutMs) : null;
  const onAbort = () => controller.abort(signal.reason);
  if (signal) {
    if (signal.aborted) controller.abort(signal.reason);
    else signal.addEventListener("abort", onAbort, { once: true });
  }
  const writes = !["GET", "HEAD"].includes(method);
  try {
    return await fetch(url, { method, body, signal: controller.signal, keepalive,
      headers: { ...headers, ...(writes ? { "X-CSRFToken": csrfToken() } : {}) } });
  } catch (error) {
    const reason = controller.signal.reason;
    const message = reason && reason.name === "TimeoutError" ? `no answer within ${timeoutMs / 1000} s`
      : error.name === "AbortError" ? "cancelled" : `network error: ${error.message}`;
    throw Object.assign(new ApiError({ status: 0, message }), { aborted: error.name === "AbortError" });
  } finally {
    clearTimeout(timer);
    if (signal) signal.removeEventListener("abort", onAbort);
  }
}

async function json(url, options) {
  const response = await send(url, { ...options, headers: { Accept: "application/json", ...(options.headers || {}) } });
  const payload = await response.json().catch(() => null);
  if (!response.ok) throw new ApiError(problemOf(response.status, payload));
  return { status: response.status, data: payload };
}

// GET a JSON document; throws ApiError.
export async function getJSON(url, options = {}) {
  return (await json(url, options)).data;
}

// POST a JSON body; resolves to {status, data}; throws ApiError on an HTTP error.
export function postJSON(url, body, options = {}) {
  return json(url, { ...options, method: "POST", body: JSON.stringify(body),
    headers: { "Content-Type": "application/json", ...(options.headers || {}) } });
}

// A W3C trace context for a request the page starts: the click is the root of the order's trace, which every
// process then continues (docs/tracing.md).
export function newTrace() {
  const hex = (bytes) => Array.from(crypto.getRandomValues(new Uint8Array(bytes)), (b) => b.toString(16).padStart(2, "0")).join("");
  const traceId = hex(16);
  const spanId = hex(8);
  return { traceId, spanId, headers: { traceparent: `00-${traceId}-${spanId}-01` } };
}

// DELETE a resource; resolves to {status, data}; throws ApiError on an HTTP error.
export function deleteJSON(url, options = {}) {
  return json(url, { ...options, method: "DELETE" });
}

// Field errors as one line: "field: text; …" (non_field_errors and detail without a name).
export function describe(error) {
  const parts = Object.entries(error.fieldErrors || {}).map(([field, text]) =>
    (field === "non_field_errors" ? text : `${field}: ${text}`));
  return parts.length ? parts.join("; ") : error.message;
}
