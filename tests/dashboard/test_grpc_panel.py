"""The gRPC workbench in Chromium against a real rungrpc: methods from server reflection, each unary method
called from its form, BadRequest violations, a deadline, headers and trailers, and the proto3 lens."""

import json
import os
import re
import subprocess
import urllib.request

from playwright.sync_api import expect

from grpc_bridge.generated import orders_pb2 as pb
from harness.processes import ROOT
from tests.conftest import ARTIFACTS, open_dashboard
from tests.support.http_orders import burst, post_order
from tests.support.waiting import wait_until

# `make test` builds grpcurl into .tools/ (Makefile: tools); the command on the page names it as a learner would.
TOOLS_PATH = f"{ROOT / '.tools'}{os.pathsep}{os.environ['PATH']}"


def run_grpcurl(command: str) -> tuple[int, str, str]:
    result = subprocess.run(
        ["bash", "-c", command],
        capture_output=True,
        text=True,
        timeout=30,
        env={**os.environ, "PATH": TOOLS_PATH},
        check=False,
    )
    return result.returncode, result.stdout, result.stderr


def call(page, method: str, fields: dict | None = None, deadline_ms: int = 5000, metadata: str = "") -> str:
    """Call a method from its form; return the status code name shown."""
    page.select_option("#grpc-method", label=method)
    for name, value in (fields or {}).items():
        field = page.locator(f"#grpc-field-{name}")
        if field.evaluate("node => node.tagName") == "SELECT":
            field.select_option(value)
        else:
            field.fill(value)
    page.fill("#grpc-deadline", str(deadline_ms))
    page.fill("#grpc-metadata", metadata)
    page.evaluate("() => { document.getElementById('grpc-duration').textContent = ''; }")
    page.click("#grpc-send")
    expect(page.locator("#grpc-duration")).not_to_have_text("", timeout=10_000)
    return page.locator("#grpc-status").get_attribute("data-code")


def shown_response(page) -> dict:
    return page.locator("#grpc-response .json-view").evaluate("tree => tree.jsonValue")  # the JSON tree's value


def test_every_unary_method_from_reflection_is_called_from_the_page(make_stack, kafka_broker, browser):
    stack = make_stack(kafka_broker.bootstrap_servers, services=("web", "grpc", "publisher"))
    with urllib.request.urlopen(f"{stack.base_url}/workbench/grpc/services") as response:
        listed = json.load(response)["services"]
    names = {f"{service['name']}/{method['name']}" for service in listed for method in service["methods"]}
    assert {
        "OrderService/Create",
        "OrderService/Get",
        "OrderService/GetOrder",
        "OrderService/Cancel",
        "OrderService/List",
        "OrderService/Watch",
        "grpc.health.v1.Health/Check",
    } <= names
    with open_dashboard(browser, stack.base_url, "/grpc") as page:
        expect(page.locator("#grpc-method option")).to_have_count(
            sum(len(service["methods"]) for service in listed), timeout=10_000
        )

        assert call(page, "OrderService/Create", {"created_by": "   ", "equipment": "MOUSE"}) == "INVALID_ARGUMENT"
        expect(page.locator('#grpc-violations li[data-field="created_by"]')).to_have_text(
            "created_by: This field may not be blank."
        )

        assert (
            call(
                page,
                "OrderService/Create",
                {"created_by": "grpc-bench", "equipment": "KEYBOARD, MONITOR"},
                metadata="x-trace: lesson-7",
            )
            == "OK"
        )
        created = shown_response(page)
        assert created["equipment"] == ["KEYBOARD", "MONITOR"] and "status" not in created, (
            "on the wire a QUEUED order has no status: proto3 leaves the default out"
        )
        page.check("#grpc-defaults")
        assert shown_response(page)["status"] == "QUEUED"
        expect(page.locator("#grpc-lens")).to_contain_text("With defaults")
        wire = page.locator("#grpc-bytes").text_content()
        expected = pb.OrderMessage(
            id=created["id"],
            created_by="grpc-bench",
            created_at=created["created_at"],
            equipment=[pb.OrderMessage.KEYBOARD, pb.OrderMessage.MONITOR],
        ).SerializeToString()
        assert f"response {len(expected)} bytes: {expected.hex()}" in wire
        page.uncheck("#grpc-defaults")

        assert call(page, "OrderService/GetOrder", {"id": created["id"]}) == "OK"
        assert shown_response(page)["created_by"] == "grpc-bench"
        code, out, err = run_grpcurl(page.locator("#grpc-grpcurl").text_content())
        assert code == 0, err
        assert json.loads(out) == shown_response(page), "grpcurl prints what the page showed"

        page.select_option("#grpc-method", label="OrderService/Create")
        page.fill("#grpc-field-created_by", "   ")
        page.fill("#grpc-field-equipment", "MOUSE")
        page.fill("#grpc-metadata", "x-lesson: 7")
        code, out, err = run_grpcurl(page.locator("#grpc-grpcurl").text_content())
        assert code != 0 and "InvalidArgument" in err and "created_by: This field may not be blank" in err, err
        assert call(page, "OrderService/Get") == "OK"
        assert created["id"] in [order["id"] for order in shown_response(page)["orders"]]
        assert call(page, "OrderService/List", {"created_by": "grpc-bench", "page_size": "5"}) == "OK"
        assert [order["id"] for order in shown_response(page)["orders"]] == [created["id"]]
        assert call(page, "OrderService/Cancel", {"id": created["id"]}) == "OK"
        assert shown_response(page)["status"] == "CANCELLED"
        assert call(page, "OrderService/Cancel", {"id": created["id"]}) == "FAILED_PRECONDITION"
        # A page of 400 orders takes rungrpc well over 1 ms to read and encode, so a 1 ms deadline always passes
        # first (a near-empty List could answer inside it on a fast run).
        assert all(status == 201 for status, _, _ in burst(stack.base_url, 400, prefix="deadline"))
        assert call(page, "OrderService/List", {"page_size": "400"}, deadline_ms=1) == "DEADLINE_EXCEEDED"
        assert call(page, "grpc.health.v1.Health/Check") == "OK"
        assert shown_response(page) == {"status": "SERVING"}
        page.locator("#grpc-card").screenshot(path=str(ARTIFACTS / "workbench-grpc.png"))

        expect(page.locator("#grpc-grpcurl")).to_have_text(
            f"grpcurl -plaintext -d '{{}}' -max-time 5 {stack.grpc_target} grpc.health.v1.Health/Check"
        )


def test_watch_streams_each_order_linked_to_its_feed_row_until_cancelled(make_stack, kafka_broker, browser):
    stack = make_stack(kafka_broker.bootstrap_servers, services=("web", "grpc", "publisher"))
    with open_dashboard(browser, stack.base_url, "/grpc") as page:
        page.select_option("#grpc-method", label="OrderService/Watch (server streaming)")
        expect(page.locator("#grpc-send")).to_have_text("Start stream")
        page.click("#grpc-send")
        expect(page.locator("#grpc-stream-state")).to_have_attribute("data-code", "STREAMING")

        def streamed_order():
            """Watch begins at the topic's end once its reader is positioned: place orders until one arrives."""
            _, order_id, _ = post_order(stack.base_url, "watched")
            item = page.locator(f'#grpc-stream li[data-order-id="{order_id}"]')
            try:
                expect(item).to_have_count(1, timeout=3_000)
            except AssertionError:
                return None
            return order_id

        order_id = wait_until(streamed_order, timeout=30, message="Watch never streamed an order")
        item = page.locator(f'#grpc-stream li[data-order-id="{order_id}"]')
        feed_row = page.locator(f'#feed tr.record[data-key="{order_id}"]')
        expect(feed_row).to_have_attribute("data-partition", item.get_attribute("data-partition"), timeout=10_000)
        expect(feed_row).to_have_attribute("data-offset", item.get_attribute("data-offset"))
        expect(item.locator("a.trace-link")).to_have_attribute("href", f"/traces/{order_id}")
        expect(page.locator("#grpc-send")).to_be_disabled()  # one stream per tab: no second Watch while it runs

        page.click("#grpc-cancel")
        expect(page.locator("#grpc-stream-state")).to_have_attribute("data-code", "CANCELLED")
        expect(page.locator("#grpc-send")).to_be_enabled()
        streamed = page.locator("#grpc-stream li").count()
        _, after, _ = post_order(stack.base_url, "after-cancel")
        expect(page.locator(f'#feed tr.record[data-key="{after}"]')).to_have_count(1, timeout=15_000)
        assert page.locator("#grpc-stream li").count() == streamed, "a cancelled stream shows nothing more"
        page.locator("#grpc-card").screenshot(path=str(ARTIFACTS / "workbench-grpc-watch.png"))

        # A streamed order links to its row in the Live view's feed.
        item.locator("button.link").click()
        expect(page).to_have_url(f"{stack.base_url}/")
        expect(feed_row).to_have_class(re.compile(r"\bhighlight\b"))
        expect(feed_row).to_be_visible()


def test_switched_off_the_workbench_says_so_and_offers_no_call(make_stack, kafka_broker, browser):
    stack = make_stack(kafka_broker.bootstrap_servers, services=("web",), WORKBENCH_GRPC="0")
    with open_dashboard(browser, stack.base_url, "/grpc") as page:
        expect(page.locator("#grpc-error")).to_have_text(
            "Calling gRPC methods from the page is off here (WORKBENCH_GRPC=0).", timeout=10_000
        )
        expect(page.locator("#grpc-card")).to_have_attribute("data-switch", "off")
        expect(page.locator("#grpc-kind")).to_have_text("switched off")
        expect(page.locator("#grpc-send")).to_be_disabled()
        expect(page.locator("#grpc-method")).to_be_disabled()
