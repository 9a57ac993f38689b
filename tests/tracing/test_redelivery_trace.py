"""A redelivery is a second delivery in the order's trace: a member killed mid-order leaves the receive it had
already exported, the member that takes the record over adds its own, and the waterfall names the second one. The
map, open through it all, shows the killed member gone and the one the supervisor started in its place."""

from __future__ import annotations

import json
import urllib.request

import pytest
from playwright.sync_api import expect

from tests.conftest import ARTIFACTS, open_dashboard
from tests.support.waiting import poll_until
from tests.tracing.test_order_trace import SERVICES, browser_traceparent, spans_of

SHOTS = ARTIFACTS / "tracing"


def post(stack, path: str, body: dict, headers: dict | None = None) -> dict:
    request = urllib.request.Request(
        f"{stack.base_url}{path}",
        method="POST",
        data=json.dumps(body).encode(),
        headers={"Content-Type": "application/json", **(headers or {})},
    )
    with urllib.request.urlopen(request, timeout=30) as response:
        return json.load(response)


def receives(stack, trace_id: str) -> list[dict]:
    return [span for span in spans_of(stack, trace_id) if span["name"].startswith("receive ")]


@pytest.mark.faults
def test_a_member_killed_mid_order_shows_as_a_redelivery_in_the_trace(make_stack, kafka_broker, browser):
    # Slow steps, so the kill lands mid-order; no recovery of stuck orders, so only the redelivery finishes it.
    stack = make_stack(
        kafka_broker.bootstrap_servers,
        services=SERVICES,
        FULFILMENT_STEP_DELAY_MS="2500",
        FULFILMENT_FAILURE_RATE="0",
        FULFILMENT_RECOVERY_SECONDS="0",
    )
    assert poll_until(lambda: stack.fulfilment()["members"], timeout=30), "no member joined the group"
    with open_dashboard(browser, stack.base_url, "/map") as map_page:
        members = map_page.locator('#map-svg .map-node[data-node^="member:"]')
        expect(members).to_have_count(1, timeout=15_000)
        first_member = members.first.get_attribute("data-node")
        trace_id, _, traceparent = browser_traceparent()
        order_id = post(
            stack,
            "/api/orders/computers",
            {"created_by": "killed", "equipment": ["MOUSE"]},
            {"traceparent": traceparent},
        )["order_id"]
        post(stack, "/fulfilment/kill", {})
        killed = poll_until(lambda: stack.fulfilment()["control"]["last_kill"].get("order_id"), timeout=30)
        assert killed == order_id, stack.fulfilment()["control"]["last_kill"]
        # Gone within three heartbeats, and still drawn (for a minute) beside the member started in its place.
        expect(map_page.locator(f'#map-svg [data-node="{first_member}"]')).to_have_attribute(
            "data-state", "gone", timeout=30_000
        )
        replacement = map_page.locator(f'#map-svg .map-node[data-node^="member:"]:not([data-node="{first_member}"])')
        expect(replacement).to_have_attribute("data-state", "up", timeout=60_000)
        SHOTS.mkdir(parents=True, exist_ok=True)
        map_page.screenshot(path=str(SHOTS / "map-member-killed-1440.png"), full_page=True)

    both = poll_until(lambda: len(found := receives(stack, trace_id)) >= 2 and found, timeout=60)
    assert both, f"the trace's receives: {receives(stack, trace_id)}"
    first, second = sorted(both, key=lambda span: span["start_ns"])
    where = ("messaging.destination.partition.id", "messaging.kafka.offset")
    assert [first["attributes"][name] for name in where] == [second["attributes"][name] for name in where]
    assert first["attributes"]["fulfilment.member"] != second["attributes"]["fulfilment.member"]
    assert first["parent_span_id"] == second["parent_span_id"], "both are deliveries of the record's one send"
    assert poll_until(lambda: stack.statuses().get(order_id) == "COMPLETED", timeout=60)

    with open_dashboard(browser, stack.base_url, f"/traces/{trace_id}") as page:
        rows = page.locator('#trace-rows tr[data-hop="receive"]')
        expect(rows).to_have_count(2, timeout=15_000)
        expect(rows.nth(0)).not_to_contain_text("redelivery")
        expect(rows.nth(1)).to_contain_text(
            f"redelivery (delivery 2 of this record, to {second['attributes']['fulfilment.member']})"
        )
        SHOTS.mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(SHOTS / "trace-redelivery-1440.png"), full_page=True)
