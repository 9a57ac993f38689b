// Views with their own URLs: the History API switches the shown view without a reload, so deep links, the back
// button and the one live socket all keep working. A view may own a path prefix ("/topics/<name>"): the same view
// at another path is entered again, so it shows what its path names.

const ROUTES = { "/": "live", "/topic": "topic", "/topics": "topics", "/groups": "groups", "/map": "map", "/rest": "rest", "/grpc": "grpc" };
const PREFIXES = [["/topics/", "topic-details"], ["/traces/", "trace"]];
const views = new Map();
let current = null;
let currentPath = null;

// Register a view: {name, title, start(), enter(), leave()}; start runs once, enter and leave on each switch.
export function register(view) {
  views.set(view.name, view);
}

function viewOf(path) {
  const clean = path.replace(/\/+$/, "") || "/";
  const prefixed = PREFIXES.find(([prefix]) => clean.startsWith(prefix) && clean.length > prefix.length);
  return prefixed ? prefixed[1] : ROUTES[clean] || "live";
}

function show(path, { focus }) {
  const name = viewOf(path);
  if (current === name && currentPath === path) return;
  const previous = views.get(current);
  if (previous && previous.leave) previous.leave();
  current = name;
  currentPath = path;
  const view = views.get(name);
  const main = document.getElementById("main");
  main.dataset.view = name;
  document.getElementById("view-title").textContent = view.title;
  document.title = `${view.title} · Message Passing Playground`;
  for (const link of document.querySelectorAll("[data-view-link]")) {
    // A link stands for its view and for those it names in data-view-also (Topics for a topic's view).
    const also = (link.dataset.viewAlso || "").split(" ");
    if (link.dataset.viewLink === name || also.includes(name)) link.setAttribute("aria-current", "page");
    else link.removeAttribute("aria-current");
  }
  if (view.enter) view.enter();
  // A switch by a link moves the focus to the new view's heading region, as a page load would.
  if (focus) main.focus({ preventScroll: false });
}

// Show the view of `path` and add it to the history (unless it is already the current entry).
export function navigate(path) {
  if (location.pathname !== path) history.pushState({}, "", path);
  show(path, { focus: false });
}

export function currentView() { return current; }

export function startRouter() {
  for (const view of views.values()) if (view.start) view.start();
  // a[data-view-link] names its view (the nav marks the current one); a[data-route] is any other link to a view.
  document.addEventListener("click", (event) => {
    const link = event.target.closest("a[data-view-link], a[data-route]");
    if (!link || event.button !== 0 || event.metaKey || event.ctrlKey || event.shiftKey || event.altKey) return;
    event.preventDefault();
    const path = new URL(link.href).pathname;
    if (location.pathname !== path) history.pushState({}, "", path);
    show(path, { focus: true });
    window.scrollTo(0, 0);
  });
  window.addEventListener("popstate", () => show(location.pathname, { focus: false }));
  show(location.pathname, { focus: false });
}
