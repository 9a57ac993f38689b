"""The ordering checker against a real broker: records written out of their order's sequence on purpose (an earlier
PROCESSING after the order's COMPLETED, and a record of the key on another partition) are flagged by the worker (the
fulfilment panel's endpoint) and, in Chromium, by the page's feed; an order's own in-order records flag nothing."""

from __future__ import annotations

import uuid

from playwright.sync_api import expect

from orders import events
from tests.conftest import ARTIFACTS, open_dashboard
from tests.dashboard.test_dashboard import place_order, wait_live
from tests.support.page_checks import assert_accessible, assert_no_sideways_scroll
from tests.support.relay_sockets import send_records
from tests.support.waiting import wait_until

SERVICES = ("web", "publisher", "worker")
SHOTS = ARTIFACTS / "tracing"


def out_of_order_copy(frame: dict, status: str, occurred_at: str) -> dict:
    """A record any producer could write: the order's event again with an earlier `status` and time."""
    event = events.OrderEvent(
        event_id=str(uuid.uuid4()),
        type=events.ORDER_STATUS_CHANGED,
        occurred_at=occurred_at,
        source="worker",
        order={**frame["value"]["order"], "status": status},
    )
    return {"key": event.key.encode(), "value": event.to_value(), "headers": event.headers()}


def feed_frames(page, order_id: str) -> list[dict]:
    return page.evaluate(
        """(key) => [...document.querySelectorAll(`#feed tr.record[data-key="${key}"]`)]
             .map((row) => ({ offset: Number(row.dataset.offset), partition: Number(row.dataset.partition),
                              flagged: row.dataset.outOfOrder !== undefined, text: row.textContent }))""",
        order_id,
    )


def test_records_out_of_their_orders_sequence_are_flagged_by_the_worker_and_the_page(make_stack, kafka_broker, browser):
    stack = make_stack(
        kafka_broker.bootstrap_servers, services=SERVICES, FULFILMENT_STEP_DELAY_MS="50", FULFILMENT_FAILURE_RATE="0"
    )
    with open_dashboard(browser, stack.base_url) as page:
        wait_live(page)
        place_order(page, "in-order", ["MOUSE"], "rest")
        order_id = page.locator("#orders tr").first.get_attribute("data-order-id")
        wait_until(lambda: stack.statuses().get(order_id) == "COMPLETED", timeout=60, message="not COMPLETED")
        expect(page.locator(f'#feed tr.record[data-key="{order_id}"]')).to_have_count(3, timeout=15_000)

        # In order: the order's three records flag nothing, on the worker or on the page.
        assert stack.fulfilment()["ordering"]["flagged"] == 0
        assert not any(row["flagged"] for row in feed_frames(page, order_id))
        expect(page.locator("#ordering-count")).to_be_hidden()

        completed = page.evaluate(
            """(key) => [...document.querySelectorAll(`#feed tr.record[data-key="${key}"]`)]
                 .map((row) => row.frame).find((frame) => frame.value.order.status === "COMPLETED")""",
            order_id,
        )
        home = completed["partition"]
        other = (home + 1) % 3
        earlier = "2000-01-01T00:00:00Z"
        sent = send_records(
            kafka_broker.bootstrap_servers,
            stack.topic,
            [
                {**out_of_order_copy(completed, "PROCESSING", earlier), "partition": home},
                {**out_of_order_copy(completed, "COMPLETED", completed["value"]["occurred_at"]), "partition": other},
            ],
        )

        back = "PROCESSING read after COMPLETED: PROCESSING comes before COMPLETED in an order's life"
        elsewhere = f"on partition {other}, but this key's earlier records were on partition {home}"
        flags = wait_until(
            lambda: (found := stack.fulfilment()["ordering"])["flagged"] == 2 and found,
            timeout=30,
            message=lambda: f"the worker flagged {stack.fulfilment()['ordering']}",
        )
        assert {(flag["partition"], flag["offset"], flag["reason"]) for flag in flags["recent"]} == {
            (*sent[0], back),
            (*sent[1], elsewhere),
        }
        assert {flag["key"] for flag in flags["recent"]} == {order_id}

        flagged = page.locator(f'#feed tr.record[data-key="{order_id}"][data-out-of-order]')
        expect(flagged).to_have_count(2, timeout=15_000)
        expect(flagged.filter(has_text=back)).to_have_count(1)
        expect(flagged.filter(has_text=elsewhere)).to_have_count(1)
        expect(flagged.locator(".flag-out-of-order")).to_have_count(2)
        expect(page.locator("#ordering-count")).to_have_text("2 out of order")
        assert stack.statuses()[order_id] == "COMPLETED", "a flagged record moves nothing"

        for width, theme in [(390, "light"), (390, "dark"), (1440, "light"), (1440, "dark")]:
            page.set_viewport_size({"width": width, "height": 900})
            page.emulate_media(color_scheme=theme)
            expect(page.locator("html")).to_have_attribute("data-theme", theme)
            assert_no_sideways_scroll(page, f"the feed at {width}")
            assert_accessible(page)
            SHOTS.mkdir(parents=True, exist_ok=True)
            # At 390 px the feed's table scrolls sideways in its box: shown scrolled to the status and its flags.
            page.evaluate(
                """() => { const box = document.querySelector("#feed").closest(".table-scroll");
                           const status = box.querySelector("thead th:nth-child(7)");
                           box.scrollLeft = status.offsetLeft - 8;
                           const card = document.getElementById("feed-card").getBoundingClientRect().top;
                           window.scrollTo(0, card + scrollY - document.querySelector(".top").offsetHeight - 8); }"""
            )
            page.screenshot(path=str(SHOTS / f"feed-out-of-order-{width}-{theme}.png"))

        page.goto(f"{stack.base_url}/groups")
        expect(page.locator("#ordering-flags tr")).to_have_count(2, timeout=15_000)
        expect(page.locator("#ordering-summary")).to_contain_text("2 flagged")
        assert_accessible(page)
        page.locator("#ordering-flags").scroll_into_view_if_needed()
        page.screenshot(path=str(SHOTS / "panel-out-of-order-1440-dark.png"))
