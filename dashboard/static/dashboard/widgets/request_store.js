// The workbenches' memory in this browser (localStorage), one store per workbench ("rest", "grpc"): the last
// MAX_CALLS calls, each with its request (enough to fill the form again) and its answer, and named saved requests.
// Bounded in bytes too: an answer is kept up to MAX_RESPONSE_BYTES (longer ones are cut, and marked so), the whole
// store up to MAX_STORE_BYTES (the oldest calls go first). Export and import are one JSON file of both lists; an
// import is checked whole before anything changes.

export const MAX_CALLS = 50;
export const MAX_SAVED = 100;
export const MAX_RESPONSE_BYTES = 16 * 1024;
export const MAX_REQUEST_BYTES = 64 * 1024;
export const MAX_STORE_BYTES = 512 * 1024;
// Saved requests may take up to half of the store; calls fill the rest.
export const MAX_SAVED_BYTES = MAX_STORE_BYTES / 2;
export const MAX_IMPORT_BYTES = 2 * 1024 * 1024;
export const MAX_NAME_CHARS = 100;
export const FORMAT = "message-passing-playground/workbench-requests";

const encoder = new TextEncoder();
const bytesOf = (text) => encoder.encode(text).length;
const isText = (value, max) => typeof value === "string" && bytesOf(value) <= max;
const isTextMap = (value) => value !== null && typeof value === "object" && !Array.isArray(value)
  && Object.entries(value).length <= 100 && Object.values(value).every((text) => isText(text, MAX_REQUEST_BYTES));

// What a request of each workbench must look like to be filled in or sent again ("" when it does).
const REQUEST_CHECKS = {
  rest(request) {
    if (!["GET", "POST", "PUT", "PATCH", "DELETE", "HEAD", "OPTIONS"].includes(request.method)) return "an unknown HTTP method";
    if (!isText(request.path, 2048) || !request.path.startsWith("/")) return "a path that does not start with /";
    if (!isText(request.url, 4096) || !request.url.startsWith("/")) return "a URL that does not start with /";
    if (!isTextMap(request.params)) return "parameters that are not name: text";
    if (!isText(request.headers, MAX_REQUEST_BYTES)) return "headers that are not text";
    if (request.body !== null && !isText(request.body, MAX_REQUEST_BYTES)) return "a body that is not text";
    return "";
  },
  grpc(request) {
    if (!isText(request.method, 512) || !/^\/[^/]+\/[^/]+$/.test(request.method)) return "a method that is not /Service/Method";
    if (!isTextMap(request.fields)) return "fields that are not name: text";
    if (!isText(request.metadata, MAX_REQUEST_BYTES)) return "metadata that is not text";
    if (!isText(request.deadline, 32)) return "a deadline that is not text";
    return "";
  },
};

const isObject = (value) => value !== null && typeof value === "object" && !Array.isArray(value);

function problemWith(entry, kind, what) {
  if (!isObject(entry)) return `${what} is not an object`;
  if (!isText(entry.id, 64) || !entry.id) return `${what} has no id`;
  if (!isObject(entry.request)) return `${what} has no request`;
  const request = REQUEST_CHECKS[kind](entry.request);
  return request ? `${what} has ${request}` : "";
}

function callProblem(call, kind, index) {
  const what = `call ${index + 1}`;
  if (!Number.isFinite(call && call.at)) return `${what} has no time`;
  if (!isObject(call.response)) return `${what} has no answer`;
  if (!isText(call.response.summary ?? "", 1000) || !isText(call.response.body ?? "", MAX_RESPONSE_BYTES)) {
    return `${what} has an answer that is not text of at most ${MAX_RESPONSE_BYTES} bytes`;
  }
  return problemWith(call, kind, what);
}

function savedProblem(saved, kind, index) {
  const what = `saved request ${index + 1}`;
  if (!isObject(saved) || !isText(saved.name, MAX_NAME_CHARS * 4) || !saved.name.trim() || saved.name.length > MAX_NAME_CHARS) {
    return `${what} has no name of 1 to ${MAX_NAME_CHARS} characters`;
  }
  return problemWith(saved, kind, what);
}

// An answer as kept: its body cut to MAX_RESPONSE_BYTES (on a character boundary), with the size it had.
export function keptResponse(response) {
  const body = response.body ?? "";
  const size = bytesOf(body);
  if (size <= MAX_RESPONSE_BYTES) return { ...response, body };
  let cut = new TextDecoder().decode(encoder.encode(body).subarray(0, MAX_RESPONSE_BYTES));
  if (cut.endsWith("\uFFFD") && !body.startsWith(cut)) cut = cut.slice(0, -1);  // a character cut in two
  return { ...response, body: cut, truncated: { bytes: size } };
}

const savedFit = (saved) => bytesOf(JSON.stringify(saved)) <= MAX_SAVED_BYTES;

export const newId = () => (crypto.randomUUID ? crypto.randomUUID() : `${Date.now()}-${Math.random()}`);

export function createRequestStore(kind, storage = window.localStorage) {
  const key = `workbench-requests:${kind}`;
  const listeners = new Set();
  let state = { calls: [], saved: [] };
  let lastError = "";

  // What was kept, if it still reads as a store of this kind; anything else starts afresh.
  try {
    const kept = JSON.parse(storage.getItem(key) || "null");
    if (kept && Array.isArray(kept.calls) && Array.isArray(kept.saved)) {
      state = { calls: kept.calls.filter((call, index) => !callProblem(call, kind, index)).slice(0, MAX_CALLS),
        saved: kept.saved.filter((saved, index) => !savedProblem(saved, kind, index)).slice(0, MAX_SAVED) };
    }
  } catch (error) {
    lastError = "The kept history could not be read; it starts empty.";
  }

  // Write the state, dropping the oldest calls while it is over its bound or the browser's quota.
  function persist(next) {
    const calls = [...next.calls];
    for (;;) {
      const text = JSON.stringify({ calls, saved: next.saved });
      if (bytesOf(text) <= MAX_STORE_BYTES || !calls.length) {
        try {
          storage.setItem(key, text);
          state = { calls, saved: next.saved };
          lastError = "";
          break;
        } catch (error) {
          if (!calls.length) {
            lastError = `This browser keeps no more (${error.name}).`;
            state = { calls, saved: next.saved };
            break;
          }
        }
      }
      calls.pop();
    }
    for (const listener of listeners) listener();
  }

  const check = (request) => {
    const problem = REQUEST_CHECKS[kind](request);
    if (problem) throw new Error(`This request has ${problem}.`);
  };
  const name = (text) => {
    const trimmed = String(text || "").trim();
    if (!trimmed || trimmed.length > MAX_NAME_CHARS) throw new Error(`A name is 1 to ${MAX_NAME_CHARS} characters.`);
    return trimmed;
  };

  return {
    kind,
    get calls() { return state.calls; },
    get saved() { return state.saved; },
    get error() { return lastError; },
    onChange(listener) { listeners.add(listener); },
    // A call just made; a request too large to keep is kept without its body, marked so.
    record(request, response) {
      const fits = !REQUEST_CHECKS[kind](request);
      const call = { id: newId(), at: Date.now(), request: fits ? request : { ...request, body: null },
        ...(fits ? {} : { request_cut: true }), response: keptResponse(response) };
      persist({ ...state, calls: [call, ...state.calls].slice(0, MAX_CALLS) });
      return call;
    },
    save(label, request) {
      check(request);
      if (state.saved.length >= MAX_SAVED) throw new Error(`At most ${MAX_SAVED} saved requests: delete one first.`);
      const saved = { id: newId(), name: name(label), saved_at: Date.now(), request };
      if (!savedFit([...state.saved, saved])) throw new Error(`Saved requests are at their bound of ${MAX_SAVED_BYTES / 1024} KiB: delete one first.`);
      persist({ ...state, saved: [...state.saved, saved] });
      return saved;
    },
    rename(id, label) {
      const renamed = name(label);
      persist({ ...state, saved: state.saved.map((saved) => (saved.id === id ? { ...saved, name: renamed } : saved)) });
    },
    remove(id) {
      persist({ ...state, saved: state.saved.filter((saved) => saved.id !== id) });
    },
    exported() {
      return { format: FORMAT, version: 1, kind, exported_at: new Date().toISOString(), calls: state.calls, saved: state.saved };
    },
    // Add a file's calls and saved requests to these; throws with the first problem found, changing nothing.
    importText(text) {
      if (bytesOf(text) > MAX_IMPORT_BYTES) throw new Error(`The file is over ${MAX_IMPORT_BYTES / 1024 / 1024} MiB.`);
      let data;
      try { data = JSON.parse(text); } catch (error) { throw new Error("The file is not JSON."); }
      if (!isObject(data) || data.format !== FORMAT || data.version !== 1) {
        throw new Error(`The file is no export of the workbench (format "${FORMAT}", version 1).`);
      }
      if (data.kind !== kind) throw new Error(`The file holds ${String(data.kind).slice(0, 20)} requests, not ${kind} ones.`);
      if (!Array.isArray(data.calls) || data.calls.length > MAX_CALLS) throw new Error(`"calls" is not a list of at most ${MAX_CALLS}.`);
      if (!Array.isArray(data.saved) || data.saved.length > MAX_SAVED) throw new Error(`"saved" is not a list of at most ${MAX_SAVED}.`);
      const problem = data.calls.map((call, index) => callProblem(call, kind, index)).find(Boolean)
        || data.saved.map((saved, index) => savedProblem(saved, kind, index)).find(Boolean);
      if (problem) throw new Error(`The file's ${problem}.`);
      const known = new Set([...state.calls, ...state.saved].map((entry) => entry.id));
      const calls = [...state.calls, ...data.calls.filter((call) => !known.has(call.id))]
        .sort((a, b) => b.at - a.at).slice(0, MAX_CALLS);
      const saved = [...state.saved, ...data.saved.filter((entry) => !known.has(entry.id))];
      if (saved.length > MAX_SAVED || !savedFit(saved)) {
        throw new Error(`With these the saved requests would be over ${MAX_SAVED} or ${MAX_SAVED_BYTES / 1024} KiB.`);
      }
      persist({ calls, saved });
      return { calls: data.calls.length, saved: data.saved.length };
    },
  };
}
