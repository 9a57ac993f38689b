"""The produce form (open, with a tombstone and its command) and the workbenches' history panels (with calls and a
saved request), at a phone's and a desktop's width in both themes: no sideways scroll, no serious axe finding, and
a screenshot of each to look at."""

import pytest
from playwright.sync_api import expect

from tests.conftest import ARTIFACTS
from tests.support.page_checks import assert_accessible, assert_no_sideways_scroll

SIZES = [(390, "light"), (390, "dark"), (1440, "light"), (1440, "dark")]
SHOTS = ARTIFACTS / "views"


def look(page, name: str, width: int, theme: str) -> None:
    page.wait_for_timeout(500)
    assert_no_sideways_scroll(page, f"{name} at {width}px")
    assert_accessible(page)
    page.evaluate("() => window.scrollTo(0, 0)")
    SHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SHOTS / f"{name}-{width}-{theme}.png"), full_page=True)


@pytest.mark.parametrize(("width", "theme"), SIZES, ids=[f"{width}-{theme}" for width, theme in SIZES])
def test_produce_and_history_fit_and_pass_axe(browser, stack, width, theme):
    context = browser.new_context(viewport={"width": width, "height": 900}, color_scheme=theme)
    try:
        page = context.new_page()
        page.goto(stack.base_url + "/topic")
        expect(page.locator("#kafka-state")).to_have_attribute("data-state", "ok", timeout=15_000)
        page.locator("#produce-box summary").click()
        page.fill("#produce-key", "gone-1")
        page.fill("#produce-headers", "why: deleted\nteam: blue")
        page.check("#produce-tombstone")
        page.click("#produce")
        expect(page.locator("#produce-result")).to_contain_text("sent to partition", timeout=10_000)
        expect(page.locator('#feed tr.record[data-key="gone-1"]').first).to_contain_text("(tombstone)", timeout=15_000)
        look(page, "topic-produce", width, theme)

        page.goto(stack.base_url + "/rest")
        page.select_option("#rest-operation", label="POST /api/orders/computers")
        page.click("#rest-send")
        expect(page.locator("#rest-history-calls > li").first).to_contain_text("HTTP 201", timeout=10_000)
        page.fill("#rest-history-name", "place an order")
        page.click("#rest-history-save")
        page.locator("#rest-history-calls > li .answer summary").first.click()
        look(page, "rest-history", width, theme)

        page.goto(stack.base_url + "/grpc")
        page.select_option("#grpc-method", label="OrderService/Create")
        page.fill("#grpc-field-created_by", "views")
        page.fill("#grpc-field-equipment", "MOUSE")
        page.click("#grpc-send")
        expect(page.locator("#grpc-history-calls > li .answer-summary").first).to_contain_text("OK ·", timeout=10_000)
        page.fill("#grpc-history-name", "create over gRPC")
        page.click("#grpc-history-save")
        look(page, "grpc-history", width, theme)
    finally:
        context.close()
