"""The wire inspector in Chromium: one order's protobuf bytes, HTTP body and Kafka record, each checked against the
bytes the real parts produce."""

import json
import urllib.request

from playwright.sync_api import expect

from grpc_bridge.translate import snapshot_to_proto
from harness.topics import read_records
from tests.conftest import ARTIFACTS, open_dashboard
from tests.support.hexdump import hexdump
from tests.support.http_orders import post_order


def test_one_order_on_each_wire(make_stack, kafka_broker, browser):
    stack = make_stack(kafka_broker.bootstrap_servers)
    _, order_id, _ = post_order(stack.base_url, "wire-watcher")
    with urllib.request.urlopen(f"{stack.base_url}/api/orders/computers/{order_id}") as response:
        body = response.read()
    expected = snapshot_to_proto(json.loads(body)).SerializeToString()
    [record] = read_records(kafka_broker.bootstrap_servers, stack.topic, expected=1)

    with open_dashboard(browser, stack.base_url) as page:
        page.locator(f'#orders tr[data-order-id="{order_id}"] button.wire').click()
        expect(page.locator("#wire-hex")).to_have_text("\n".join(hexdump(expected)) + "\n", timeout=10_000)
        numbers = page.locator("#wire-fields tr").evaluate_all("rows => rows.map(r => Number(r.dataset.number))")
        assert numbers == [1, 2, 4, 5], "a QUEUED order's status (field 3) is its default: not on the wire"
        expect(page.locator('#wire-fields tr[data-number="5"]')).to_contain_text('["KEYBOARD","MOUSE"]')
        expect(page.locator('#wire-sizes td[data-size="protobuf"]')).to_have_text(f"{len(expected)} bytes")
        expect(page.locator('#wire-sizes td[data-size="json"]')).to_have_text(f"{len(body)} bytes")
        expect(page.locator('#wire-sizes td[data-size="kafka-value"]')).to_have_text(f"{len(record.value)} bytes")
        expect(page.locator("#wire-kafka pre").first).to_contain_text(f"value   {record.value.hex()}")
        assert "status" not in json.loads(page.locator("#wire-message").text_content()), "the tree's text is the JSON"
        expect(page.locator("#wire-lens")).to_contain_text("status, delivery_note not sent", timeout=10_000)
        page.check("#wire-defaults")
        message = json.loads(page.locator("#wire-message").text_content())
        assert (message["status"], message["delivery_note"]) == ("QUEUED", ""), "the defaults shown are proto3's"
        page.locator("#wire-card").screenshot(path=str(ARTIFACTS / "wire-inspector.png"))
