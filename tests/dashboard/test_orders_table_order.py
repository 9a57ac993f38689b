"""The page's orders table puts the most recently accepted order on top, whatever created_at its client sent."""

import json
import urllib.request

from playwright.sync_api import expect

from tests.conftest import open_dashboard
from tests.support.http_orders import burst


def post(base_url: str, created_by: str, created_at: str) -> str:
    request = urllib.request.Request(
        f"{base_url}/api/orders/computers",
        method="POST",
        data=json.dumps({"created_by": created_by, "equipment": ["MOUSE"], "created_at": created_at}).encode(),
        headers={"Content-Type": "application/json"},
    )
    with urllib.request.urlopen(request, timeout=30) as response:
        return json.load(response)["order_id"]


def test_the_course_example_after_55_orders_tops_the_table_above_a_far_future_one(browser, kafka_broker, make_stack):
    # No publisher: the table is the page's first load of the list alone, not rows the live feed adds.
    stack = make_stack(kafka_broker.bootstrap_servers, services=("web",))
    assert all(status == 201 for status, _, _ in burst(stack.base_url, 55, prefix="others"))
    pinned = post(stack.base_url, "far-future", "9999-12-31T00:00:00Z")
    example = post(stack.base_url, "course-example", "2020-10-16T12:00:00Z")
    with open_dashboard(browser, stack.base_url) as page:
        rows = page.locator("#orders tr[data-order-id]")
        expect(rows).to_have_count(50, timeout=15_000)
        expect(rows.nth(0)).to_have_attribute("data-order-id", example)
        expect(rows.nth(0).locator("td.created-at")).to_have_text("2020-10-16T12:00:00Z")
        expect(rows.nth(1)).to_have_attribute("data-order-id", pinned)
