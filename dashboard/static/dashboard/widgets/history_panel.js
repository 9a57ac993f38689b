// The workbenches' history and saved requests (one panel per workbench, over a store of widgets/request_store.js):
// the recent calls, newest first, each to fill the form with or send again, with the answer kept; named saved
// requests (save, rename, delete); export and import of both as one JSON file, and any extra export a workbench
// adds (the REST one: a Postman collection). The workbench says how to fill its form and send.

import { clockTime, el } from "../dom.js";
import { MAX_IMPORT_BYTES } from "./request_store.js";

// Offer `data` as a JSON file named `filename`.
export function download(data, filename) {
  const link = el("a", { href: URL.createObjectURL(new Blob([JSON.stringify(data, null, 1)], { type: "application/json" })),
    download: filename });
  document.body.append(link);
  link.click();
  link.remove();
}

const kib = (bytes) => `${(bytes / 1024).toFixed(bytes < 10240 ? 1 : 0)} KiB`;

// mountHistoryPanel(container, {store, idPrefix, title, describe(request), current(), fill(request), send(request),
// exports: [{label, filename, build()}]}); `current` gives the form's request, or throws why there is none.
export function mountHistoryPanel(container, options) {
  const { store, idPrefix, title } = options;
  const id = (part) => `${idPrefix}-${part}`;
  const error = el("p", { className: "field-error", id: id("error"), role: "alert" });
  const note = el("p", { className: "muted", id: id("note"), role: "status" });
  const nameInput = el("input", { id: id("name"), maxlength: "100", autocomplete: "off",
    placeholder: "a name for this request" });
  const saveForm = el("form", { className: "controls history-save", novalidate: "" },
    el("label", { className: "inline", for: id("name"), text: "name " }), nameInput,
    el("button", { type: "submit", id: id("save"), text: "Save the request" }));
  const fileInput = el("input", { type: "file", id: id("file"), accept: "application/json,.json", hidden: "",
    "aria-label": `import a ${title} history file` });
  const exportButton = el("button", { type: "button", id: id("export"), text: "Export JSON" });
  const importButton = el("button", { type: "button", id: id("import"), text: "Import JSON…" });
  const extras = (options.exports || []).map((extra) => {
    const button = el("button", { type: "button", id: id(extra.id), text: extra.label });
    button.addEventListener("click", () => act(() => {
      const data = extra.build();
      download(data, extra.filename);
      tell(`${extra.label}: ${extra.filename}`);
    }));
    return button;
  });
  const savedList = el("ul", { className: "saved-requests", id: id("saved"), "aria-label": `saved requests of the ${title}` });
  const callList = el("ol", { className: "recent-calls", id: id("calls"), "aria-label": `recent calls of the ${title}, newest first` });
  const savedEmpty = el("p", { className: "muted", text: "None saved yet: name the request in the form and save it." });
  const callsEmpty = el("p", { className: "muted", text: "No calls yet." });
  container.append(el("section", { className: "history", "aria-labelledby": id("title") },
    el("h3", { id: id("title") }, "History and saved requests ",
      el("small", { className: "muted", text: "kept in this browser: the last 50 calls, answers up to 16 KiB" })),
    saveForm, el("div", { className: "controls" }, exportButton, importButton, fileInput, ...extras), error, note,
    el("div", { className: "history-lists" },
      el("div", {}, el("h4", { text: "Saved requests" }), savedList, savedEmpty),
      el("div", {}, el("h4", { text: "Recent calls" }), callList, callsEmpty))));

  function tell(text) { error.textContent = ""; note.textContent = text; }
  // Run a step; its error, if any, is shown instead of thrown.
  function act(step) {
    try {
      step();
    } catch (failure) {
      note.textContent = "";
      error.textContent = failure.message;
    }
  }
  const linkButton = (text, label, onClick) => {
    const button = el("button", { type: "button", className: "link", "aria-label": label, text });
    button.addEventListener("click", onClick);
    return button;
  };

  function callItem(call) {
    const what = options.describe(call.request);
    const answer = el("details", { className: "answer" }, el("summary", { text: "answer" }),
      ...(call.response.truncated ? [el("p", { className: "muted cut", text:
        `cut: the first ${kib(new TextEncoder().encode(call.response.body).length)} of ${kib(call.response.truncated.bytes)} kept` })]
        : []),
      el("pre", { className: "payload", tabindex: "0", role: "region", "aria-label": `answer to ${what}`, text: call.response.body || "(empty)" }));
    return el("li", { "data-call-id": call.id },
      el("span", { className: "muted", text: `${clockTime(call.at)} ` }), el("code", { text: what }), " ",
      el("span", { className: "answer-summary", text: call.response.summary || "" }),
      ...(call.request_cut ? [el("span", { className: "muted", text: " (request body too large to keep)" })] : []), " ",
      linkButton("fill", `fill the form with ${what} at ${clockTime(call.at)}`, () => act(() => options.fill(call.request))),
      linkButton("send again", `send ${what} again`, () => act(() => options.send(call.request))),
      answer);
  }

  function savedItem(saved) {
    const name = el("span", { className: "saved-name", text: saved.name });
    const row = el("li", { "data-saved-id": saved.id });
    const rename = () => {
      const input = el("input", { value: saved.name, maxlength: "100", "aria-label": `new name for ${saved.name}` });
      const done = el("form", { className: "rename", novalidate: "" }, input,
        el("button", { type: "submit", text: "OK" }));
      done.addEventListener("submit", (event) => {
        event.preventDefault();
        act(() => { store.rename(saved.id, input.value); tell(`Renamed to ${input.value.trim()}.`); });
      });
      row.replaceChildren(done);
      input.focus();
    };
    row.append(name, " ", el("code", { className: "muted", text: options.describe(saved.request) }), " ",
      linkButton("fill", `fill the form with ${saved.name}`, () => act(() => options.fill(saved.request))),
      linkButton("send", `send ${saved.name}`, () => act(() => options.send(saved.request))),
      linkButton("rename", `rename ${saved.name}`, rename),
      linkButton("delete", `delete ${saved.name}`, () => act(() => { store.remove(saved.id); tell(`Deleted ${saved.name}.`); })));
    return row;
  }

  function render() {
    savedList.replaceChildren(...store.saved.map(savedItem));
    callList.replaceChildren(...store.calls.map(callItem));
    savedEmpty.hidden = store.saved.length > 0;
    callsEmpty.hidden = store.calls.length > 0;
    if (store.error) error.textContent = store.error;
  }

  saveForm.addEventListener("submit", (event) => {
    event.preventDefault();
    act(() => {
      const saved = store.save(nameInput.value, options.current());
      nameInput.value = "";
      tell(`Saved as ${saved.name}.`);
    });
  });
  exportButton.addEventListener("click", () => act(() => {
    download(store.exported(), `${store.kind}-workbench-requests.json`);
    tell(`Exported ${store.calls.length} calls and ${store.saved.length} saved requests.`);
  }));
  importButton.addEventListener("click", () => fileInput.click());
  fileInput.addEventListener("change", async () => {
    const [file] = fileInput.files;
    fileInput.value = "";
    if (!file) return;
    if (file.size > MAX_IMPORT_BYTES) {
      act(() => { throw new Error(`${file.name} is over ${MAX_IMPORT_BYTES / 1024 / 1024} MiB: no export of ours.`); });
      return;
    }
    const text = await file.text();
    act(() => {
      const added = store.importText(text);
      tell(`Imported ${added.calls} calls and ${added.saved} saved requests from ${file.name}.`);
    });
  });
  store.onChange(render);
  render();
}
