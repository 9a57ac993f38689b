"""Forged records typed into the page's own produce form, in Chromium against the real processes and broker: each
shows in the feed as hand-made and flagged with the server's reason, and no order's status on the page moves, also
after a reload."""

import json
import urllib.request

from playwright.sync_api import expect

from orders import events
from tests.conftest import ARTIFACTS, open_dashboard
from tests.support.forged_events import forged_event
from tests.support.http_orders import post_order


def cancel(base_url: str, order_id: str) -> None:
    request = urllib.request.Request(f"{base_url}/api/orders/computers/{order_id}/cancel", method="POST")
    with urllib.request.urlopen(request, timeout=10) as response:
        assert json.load(response)["status"] == "CANCELLED"


def produce(page, key: str, value: str) -> None:
    """Type a record into the Topic view's produce form and send it (the form clears its result on sending)."""
    if page.locator("#produce-box").get_attribute("open") is None:
        page.locator("#produce-box summary").click()
    page.fill("#produce-key", key)
    page.fill("#produce-value", value)
    page.click("#produce")
    expect(page.locator("#produce-result")).to_contain_text("sent to partition")


def expect_flagged(page, key: str, status_text: str, verdict: str, reason: str) -> None:
    row = page.locator(f'#feed tr.record[data-key="{key}"][data-verdict="{verdict}"]', has_text=status_text)
    expect(row).to_have_count(1, timeout=15_000)
    expect(row.locator(".hand-made")).to_have_text("hand-made")
    # The verdict's flag and reason come first; a record that also goes back in its order's life has an "out of
    # order" badge and reason after them (messaging/ordering.py).
    expect(row.locator(f".flag-{verdict}")).to_have_text(verdict)
    expect(row.locator(".flag-reason").first).to_contain_text(reason)


def expect_statuses(page, statuses: dict[str, str]) -> None:
    for order_id, status in statuses.items():
        expect(page.locator(f'#orders tr[data-order-id="{order_id}"] .status')).to_have_text(status)


def test_forged_records_from_the_produce_form_are_hand_made_flagged_and_move_no_order(
    make_stack, kafka_broker, browser
):
    stack = make_stack(kafka_broker.bootstrap_servers, WORKBENCH_PRODUCE="1")
    cancelled = post_order(stack.base_url, "to-cancel")[1]
    cancel(stack.base_url, cancelled)
    waiting = post_order(stack.base_url, "waiting")[1]
    statuses = {cancelled: "CANCELLED", waiting: "QUEUED"}

    def body(order_id: str, status: str) -> str:
        order = stack.get_json(f"/api/orders/computers/{order_id}")
        return forged_event(order, events.ORDER_STATUS_CHANGED, status).to_value().decode()

    with open_dashboard(browser, stack.base_url, "/topic") as page:
        expect(page.locator('#feed tr.record[data-verdict="accepted"]')).to_have_count(3, timeout=15_000)
        expect_statuses(page, statuses)
        produce(page, cancelled, body(cancelled, "QUEUED"))
        produce(page, waiting, body(waiting, "COMPLETED"))
        produce(page, waiting, '{"type": "order.status_changed", "order": {"status": "COMPLETED"')
        flagged = [
            (cancelled, "QUEUED", "refused", "the order is CANCELLED, a final status: nothing follows it"),
            (waiting, "COMPLETED", "refused", "QUEUED cannot become COMPLETED"),
            (waiting, '{"type"', "invalid", "not an order event: value is not JSON"),
        ]
        for key, status_text, verdict, reason in flagged:
            expect_flagged(page, key, status_text, verdict, reason)
        expect_statuses(page, statuses)
        page.screenshot(path=str(ARTIFACTS / "feed-forged-records.png"), full_page=True)

        page.goto(stack.base_url + "/")  # a reload, on the Live view with the orders table
        expect(page.locator("#feed tr.record")).to_have_count(6, timeout=15_000)
        for key, status_text, verdict, reason in flagged:
            expect_flagged(page, key, status_text, verdict, reason)
        expect_statuses(page, statuses)
        assert page.dialogs == []
