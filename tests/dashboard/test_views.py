"""The page's views in Chromium: each at a phone's and a desktop's width in both themes, and at 1920 px (no sideways
scroll, no serious axe violation, a screenshot), deep links and the back button, one socket for all views, the
remembered theme, the skip link, aria-expanded and where the focus goes when a chip is removed."""

import re

import pytest
from playwright.sync_api import expect

from tests.conftest import ARTIFACTS
from tests.support.http_orders import post_order
from tests.support.page_checks import assert_accessible, assert_no_sideways_scroll

VIEWS = {"live": "/", "topic": "/topic", "groups": "/groups", "rest": "/rest", "grpc": "/grpc"}
SHOTS = ARTIFACTS / "views"


@pytest.fixture(scope="module")
def placed(stack):
    """An order on the topic before the views are looked at, so tables have rows."""
    return post_order(stack.base_url, "views")[1]


# A phone and a desktop in both themes, and a wide desktop (where lines can grow too long to read) in light.
SIZES = [(390, "light"), (390, "dark"), (1440, "light"), (1440, "dark"), (1920, "light")]


@pytest.mark.parametrize(("width", "theme"), SIZES, ids=[f"{width}-{theme}" for width, theme in SIZES])
@pytest.mark.parametrize("view", list(VIEWS))
def test_each_view_fits_the_width_and_passes_axe(browser, stack, placed, view, width, theme):
    context = browser.new_context(viewport={"width": width, "height": 900}, color_scheme=theme)
    try:
        page = context.new_page()
        page.goto(stack.base_url + VIEWS[view])
        expect(page.locator("html")).to_have_attribute("data-theme", theme)
        expect(page.locator("#main")).to_have_attribute("data-view", view)
        expect(page.locator("#kafka-state")).to_have_attribute("data-state", "ok", timeout=15_000)
        expect(page.locator(f'#feed tr.record[data-key="{placed}"]').first).to_be_attached(timeout=15_000)
        if view == "live":
            page.locator("#feed tr.record button[data-rove]").first.click()  # an open payload is checked too
        page.wait_for_timeout(1500)  # the views' first polls have answered
        assert_no_sideways_scroll(page, f"{view} at {width}px")
        assert_accessible(page)
        page.evaluate("() => window.scrollTo(0, 0)")  # the sticky header at the top of the full-page shot
        SHOTS.mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(SHOTS / f"{view}-{width}-{theme}.png"), full_page=True)
    finally:
        context.close()


def test_deep_links_and_the_back_button_show_their_view(page, stack):
    page.goto(f"{stack.base_url}/grpc")
    expect(page.locator("#grpc-card")).to_be_visible()
    expect(page.locator("#feed-card")).to_be_hidden()
    expect(page.locator('a[data-view-link="grpc"]')).to_have_attribute("aria-current", "page")
    page.click("a[data-view-link=groups]")
    expect(page).to_have_url(f"{stack.base_url}/groups")
    expect(page.locator("#fulfilment-card")).to_be_visible()
    expect(page).to_have_title(re.compile("^Consumer groups"))
    page.go_back()
    expect(page).to_have_url(f"{stack.base_url}/grpc")
    expect(page.locator("#grpc-card")).to_be_visible()
    page.go_forward()
    expect(page.locator("#fulfilment-card")).to_be_visible()


def test_switching_views_keeps_the_one_socket_and_every_record(page, stack):
    expect(page.locator("#kafka-state")).to_have_attribute("data-state", "ok", timeout=15_000)
    connects = page.evaluate("async () => (await import('/static/dashboard/socket.js')).relay.connects")
    placed = []
    for view in ["topic", "groups", "rest", "grpc", "live"]:
        page.click(f"a[data-view-link={view}]")
        placed.append(post_order(stack.base_url, f"switch-{view}")[1])
    for order_id in placed:
        expect(page.locator(f'#feed tr.record[data-key="{order_id}"]')).to_have_count(1, timeout=15_000)
    assert page.evaluate("async () => (await import('/static/dashboard/socket.js')).relay.connects") == connects == 1


def test_the_theme_toggle_is_remembered_across_a_reload(browser, stack):
    context = browser.new_context(color_scheme="light")
    try:
        page = context.new_page()
        page.goto(stack.base_url + "/")
        toggle = page.locator("#theme-toggle")
        expect(page.locator("html")).to_have_attribute("data-theme", "light")
        expect(toggle).to_have_attribute("aria-pressed", "false")
        toggle.click()
        expect(page.locator("html")).to_have_attribute("data-theme", "dark")
        expect(toggle).to_have_attribute("aria-pressed", "true")
        page.reload()
        expect(page.locator("html")).to_have_attribute("data-theme", "dark")
        expect(page.locator("#theme-toggle")).to_have_attribute("aria-pressed", "true")
    finally:
        context.close()


def test_the_skip_link_is_the_first_tab_stop_and_moves_to_main(page):
    page.keyboard.press("Tab")
    expect(page.locator(".skip-link")).to_be_focused()
    page.keyboard.press("Enter")
    expect(page).to_have_url(re.compile(r"#main$"))
    assert page.evaluate("() => document.activeElement.id") == "main"


def test_toggles_say_whether_they_are_expanded_and_a_table_is_one_tab_stop(page, stack):
    expect(page.locator("#kafka-state")).to_have_attribute("data-state", "ok", timeout=15_000)
    for n in range(3):
        post_order(stack.base_url, f"keys-{n}")
    buttons = page.locator("#feed tr.record button[data-rove]")
    page.wait_for_function("() => document.querySelectorAll('#feed tr.record').length >= 3", timeout=15_000)
    assert page.locator("#feed button[data-rove][tabindex='0']").count() == 1
    first = buttons.first
    expect(first).to_have_attribute("aria-expanded", "false")
    first.focus()
    page.keyboard.press("Enter")
    expect(first).to_have_attribute("aria-expanded", "true")
    expect(page.locator("#feed tr.detail:not([hidden]) pre.payload")).to_have_attribute("tabindex", "0")
    page.keyboard.press("ArrowDown")
    expect(buttons.nth(1)).to_be_focused()
    assert page.locator("#feed button[data-rove][tabindex='0']").count() == 1
    first.click()
    expect(first).to_have_attribute("aria-expanded", "false")
    wire = page.locator("#orders button.wire").first
    expect(wire).to_have_attribute("aria-expanded", "false")
    wire.click()
    expect(wire).to_have_attribute("aria-expanded", "true")
    expect(page.locator("#wire-card")).to_be_visible()


def test_removing_a_chip_keeps_the_focus_on_the_chips_then_the_add_buttons(page):
    for item in ["KEYBOARD", "MOUSE"]:
        page.click(f".add-equipment [data-item={item}]")
    chips = page.locator("#equipment-chips .chip")
    chips.first.focus()
    page.keyboard.press("Enter")
    expect(chips).to_have_count(1)
    expect(chips.first).to_be_focused()
    page.keyboard.press("Enter")
    expect(chips).to_have_count(0)
    expect(page.locator(".add-equipment .add").first).to_be_focused()


@pytest.mark.parametrize("width", [390, 1440])
def test_an_orders_marks_sit_under_its_status_and_never_widen_the_column(browser, stack, placed, width):
    context = browser.new_context(viewport={"width": width, "height": 900})
    try:
        page = context.new_page()
        # The worker's counters, as the page's poll of the marked orders reads them, mark the order both ways.
        marked = {"lost": [], "processed_twice": []}
        page.route("**/marked", lambda route: route.fulfill(json=marked))
        page.goto(stack.base_url + "/")
        row = page.locator(f'#orders tr[data-order-id="{placed}"]')
        state = row.locator("td.state")
        expect(state.locator(".status")).to_be_visible(timeout=15_000)
        marked.update(lost=[placed], processed_twice=[placed])
        expect(row.locator(".mark")).to_have_text(
            ["lost: committed, never finished", "processed twice"], timeout=10_000
        )
        # The column with the marks and without them, at one instant: the other drawn rows' statuses change as the
        # worker goes on, and the column follows the widest of them.
        with_marks, without = state.evaluate(
            """(cell) => {
              const marks = cell.querySelector(".marks");
              const withMarks = cell.getBoundingClientRect().width;
              marks.style.display = "none";
              const without = cell.getBoundingClientRect().width;
              marks.style.display = "";
              return [withMarks, without];
            }"""
        )
        assert with_marks == without, "a mark widened the status column"
        status, first_mark = state.locator(".status").bounding_box(), row.locator(".mark").first.bounding_box()
        assert first_mark["y"] >= status["y"] + status["height"] - 1, "the marks sit under the status"
        assert_no_sideways_scroll(page, f"live with marks at {width}px")
        row.scroll_into_view_if_needed()
        SHOTS.mkdir(parents=True, exist_ok=True)
        page.locator("#orders-card").screenshot(path=str(SHOTS / f"marks-{width}.png"))
    finally:
        context.close()
