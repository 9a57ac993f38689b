// Views with their own URLs: the History API switches the shown view without a reload, so deep links, the back
// button and the one live socket all keep working.

const ROUTES = { "/": "live", "/topic": "topic", "/groups": "groups", "/rest": "rest", "/grpc": "grpc" };
const views = new Map();
let current = null;

// Register a view: {name, title, start(), enter(), leave()}; start runs once, enter and leave on each switch.
export function register(view) {
  views.set(view.name, view);
}

const viewOf = (path) => ROUTES[path.replace(/\/+$/, "") || "/"] || "live";

function show(name, { focus }) {
  if (current === name) return;
  const previous = views.get(current);
  if (previous && previous.leave) previous.leave();
  current = name;
  const view = views.get(name);
  const main = document.getElementById("main");
  main.dataset.view = name;
  document.getElementById("view-title").textContent = view.title;
  document.title = `${view.title} · Message Passing Playground`;
  for (const link of document.querySelectorAll("[data-view-link]")) {
    if (link.dataset.viewLink === name) link.setAttribute("aria-current", "page");
    else link.removeAttribute("aria-current");
  }
  if (view.enter) view.enter();
  // A switch by a link moves the focus to the new view's heading region, as a page load would.
  if (focus) main.focus({ preventScroll: false });
}

// Show the view of `path` and add it to the history (unless it is already the current entry).
export function navigate(path) {
  if (location.pathname !== path) history.pushState({}, "", path);
  show(viewOf(path), { focus: false });
}

export function currentView() { return current; }

export function startRouter() {
  for (const view of views.values()) if (view.start) view.start();
  document.addEventListener("click", (event) => {
    const link = event.target.closest("a[data-view-link]");
    if (!link || event.button !== 0 || event.metaKey || event.ctrlKey || event.shiftKey || event.altKey) return;
    event.preventDefault();
    const path = new URL(link.href).pathname;
    if (location.pathname !== path) history.pushState({}, "", path);
    show(viewOf(path), { focus: true });
    window.scrollTo(0, 0);
  });
  window.addEventListener("popstate", () => show(viewOf(location.pathname), { focus: false }));
  show(viewOf(location.pathname), { focus: false });
}
