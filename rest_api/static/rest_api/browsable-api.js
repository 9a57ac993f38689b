// Bootstrap's tooltips (DRF's default.js) move each `title` to `data-original-title` and leave `title` empty, which
// leaves a button that shows only an icon (the GET button's format menu) with no name. Name such buttons from their
// title first; this runs before the tooltips are set up, on the document's ready event.
for (const element of document.querySelectorAll(".js-tooltip[title]")) {
  if (!element.textContent.trim() && !element.hasAttribute("aria-label")) {
    element.setAttribute("aria-label", element.getAttribute("title"));
  }
}
