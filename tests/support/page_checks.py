"""What every page of ours must pass in Chromium: no sideways scroll, and no critical or serious axe-core finding."""

from axe_playwright_python.sync_playwright import Axe

BLOCKING = ("critical", "serious")


def axe_violations(page) -> list[dict]:
    return Axe().run(page).response["violations"]


def blocking(found: list[dict]) -> list[tuple[str, str, list]]:
    """The critical and serious findings, each with the elements it names."""
    return [(v["id"], v["impact"], [node["target"] for node in v["nodes"]]) for v in found if v["impact"] in BLOCKING]


def assert_accessible(page) -> None:
    assert blocking(axe_violations(page)) == []


# The outermost elements that reach past the viewport's right edge: what makes a page scroll sideways.
WIDE_ELEMENTS = """() => [...document.querySelectorAll("body *")]
  .filter((node) => node.getBoundingClientRect().right > window.innerWidth + 0.5)
  .filter((node) => !node.parentElement || node.parentElement.getBoundingClientRect().right <= window.innerWidth + 0.5)
  .slice(0, 5)
  .map((node) => `${node.tagName.toLowerCase()}#${node.id}.${[...node.classList].join(".")}`)"""


def assert_no_sideways_scroll(page, where: str) -> None:
    widths = page.evaluate("() => [document.documentElement.scrollWidth, window.innerWidth]")
    if widths[0] > widths[1]:
        raise AssertionError(f"{where} scrolls sideways: {widths}, past the edge: {page.evaluate(WIDE_ELEMENTS)}")
