"""The broker is SIGKILLed during a burst of 500 orders and restarted: nothing is lost, the page shows each once."""

import json
import re
import threading
import urllib.request

import pytest
from playwright.sync_api import expect

from harness.topics import read_records
from tests.conftest import ARTIFACTS, open_dashboard
from tests.support.http_orders import burst

pytestmark = pytest.mark.faults

ORDERS = 500
KILL_AT = 150


def test_burst_through_a_broker_crash_loses_nothing(make_stack, own_broker, browser):
    broker = own_broker
    stack = make_stack(broker.bootstrap_servers)
    killed = threading.Event()

    def kill_midway(index):
        if index == KILL_AT and not killed.is_set():
            killed.set()
            broker.kill()

    with open_dashboard(browser, stack.base_url) as page:
        page.select_option("#buffer-size", "2000")
        expect(page.locator("#kafka-state")).to_have_attribute("data-state", "ok", timeout=20_000)

        results = burst(stack.base_url, ORDERS, prefix="burst", on_each=kill_midway)
        assert killed.is_set()
        assert [status for status, _, _ in results] == [201] * ORDERS
        slowest = max(seconds for _, _, seconds in results)
        assert slowest < 1.0, f"a POST took {slowest:.2f} s while the broker was down"
        with urllib.request.urlopen(f"{stack.base_url}/api/orders/computers?page_size=1", timeout=10) as response:
            assert json.load(response)["count"] == ORDERS
        assert stack.unsent_events() > 0, "some events should be waiting while the broker is dead"
        expect(page.locator("#kafka-state")).to_have_attribute("data-state", "down", timeout=20_000)
        expect(page.locator("#outbox-state")).to_contain_text(re.compile(r"Outbox: [1-9]\d* waiting"), timeout=20_000)

        broker.start()
        assert stack.wait_outbox_drained(90) == 0, "the outbox should drain after the restart"
        records = read_records(broker.bootstrap_servers, stack.topic, expected=ORDERS, timeout=30)
        on_topic = {json.loads(record.value)["order"]["order_id"] for record in records}
        assert on_topic == {order_id for _, order_id, _ in results}

        rows = page.locator("#feed tr.record")
        expect(rows).to_have_count(ORDERS, timeout=60_000)
        shown_keys = rows.evaluate_all("rows => rows.map((row) => row.dataset.key)")
        assert sorted(shown_keys) == sorted(on_topic), "the dashboard shows each order exactly once"
        duplicates_on_topic = len(records) - len({json.loads(r.value)["event_id"] for r in records})
        hidden = int(page.locator("#duplicates-count").text_content())
        assert hidden == duplicates_on_topic
        page.screenshot(path=str(ARTIFACTS / "faults" / "dashboard-after-broker-crash.png"))
