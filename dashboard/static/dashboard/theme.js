// Light and dark themes: the system's choice unless the toggle says otherwise; the toggle's choice is remembered.

const KEY = "playground-theme";
const system = window.matchMedia("(prefers-color-scheme: dark)");

function stored() {
  try { return localStorage.getItem(KEY); } catch (error) { return null; }
}

const effective = () => stored() || (system.matches ? "dark" : "light");

function apply() {
  const theme = effective();
  document.documentElement.dataset.theme = theme;
  const toggle = document.getElementById("theme-toggle");
  toggle.setAttribute("aria-pressed", String(theme === "dark"));
}

export function startTheme() {
  apply();
  system.addEventListener("change", apply);
  document.getElementById("theme-toggle").addEventListener("click", () => {
    try { localStorage.setItem(KEY, effective() === "dark" ? "light" : "dark"); } catch (error) { /* not remembered */ }
    apply();
  });
}
