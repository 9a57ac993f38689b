"""One order, one trace, across every real process: the click's `traceparent` reaches the web server (REST) or
rungrpc (gRPC), rides the outbox row and the Kafka record's headers, and the publisher, each worker step and the
relay add their spans to it, in the right parent and link structure."""

from __future__ import annotations

import contextlib
import json
import re
import secrets
import urllib.request
from collections import Counter

import grpc
import pytest
from playwright.sync_api import expect
from websockets.sync.client import connect

from grpc_bridge.generated import orders_pb2, orders_pb2_grpc
from tests.conftest import ARTIFACTS, open_dashboard
from tests.dashboard.test_dashboard import place_order, wait_live
from tests.dashboard.test_viewers import open_payload
from tests.support.page_checks import assert_accessible, assert_no_sideways_scroll
from tests.support.waiting import poll_until

SERVICES = ("web", "grpc", "publisher", "worker")
SHOTS = ARTIFACTS / "tracing"
# The spans an order that completes leaves: its three records (created, PROCESSING, COMPLETED) each published and
# relayed; the created one received and processed by a member, in two steps.
EXPECTED = {"publish": 3, "relay": 3, "receive": 1, "process": 1, "step": 2}
# The waterfall of an order placed on the page: the browser's click, the web request, every hop, and the browser's
# shown under each relay (one page open).
WATERFALL_ROWS = 2 + sum(EXPECTED.values()) + EXPECTED["relay"]


def browser_traceparent() -> tuple[str, str, str]:
    trace_id, span_id = secrets.token_hex(16), secrets.token_hex(8)
    return trace_id, span_id, f"00-{trace_id}-{span_id}-01"


def spans_of(stack, trace_id: str) -> list[dict]:
    try:
        return stack.get_json(f"/tracing/traces/{trace_id}")["spans"]
    except urllib.error.HTTPError as error:
        if error.code == 404:
            return []
        raise


def complete_trace(stack, trace_id: str, servers: tuple[str, ...] = ("web",)) -> list[dict]:
    """The trace once every hop's span is stored. Each process exports on its own batch timer, so the entry
    server's span (`servers`) may land after the later hops' spans: it is waited for too."""

    def enough(spans):
        kinds = Counter(span["name"].split()[0] for span in spans)
        entries = {span["service"] for span in spans if span["kind"] == "SERVER"}
        return all(kinds[name] >= count for name, count in EXPECTED.items()) and entries >= set(servers)

    spans = poll_until(lambda: (found := spans_of(stack, trace_id)) and enough(found) and found, timeout=60)
    assert spans, f"the trace holds {sorted((s['service'], s['name']) for s in spans_of(stack, trace_id))}"
    return spans


@contextlib.contextmanager
def relaying(stack):
    """A socket open on the stack's relay: it reads the topic while one is, and from "live" on relays every record."""
    with connect(stack.base_url.replace("http://", "ws://") + "/ws/orders/", origin=stack.base_url) as socket:
        socket.send(json.dumps({"action": "replay", "from": "latest"}))
        while (frame := json.loads(socket.recv(timeout=30))).get("state") != "live":
            assert frame["type"] != "error", frame
        yield


def start_traced_stack(make_stack, kafka_broker, **extra_env):
    return make_stack(
        kafka_broker.bootstrap_servers,
        services=SERVICES,
        FULFILMENT_STEP_DELAY_MS="50",
        FULFILMENT_FAILURE_RATE="0",
        **extra_env,
    )


@pytest.fixture
def traced_stack(make_stack, kafka_broker):
    stack = start_traced_stack(make_stack, kafka_broker)
    with relaying(stack):
        yield stack


def assert_hops(spans: list[dict], entry: dict) -> None:
    """From the entry span on: publish ← entry or a worker step; receive, then process ← the created record's
    publish, each linked to it; step ← process; relay ← each publish."""
    by_id = {span["span_id"]: span for span in spans}
    publishes = [span for span in spans if span["name"].startswith("publish ")]
    [receive] = [span for span in spans if span["name"].startswith("receive ")]
    [process] = [span for span in spans if span["name"].startswith("process ")]
    steps = [span for span in spans if span["name"].startswith("step ")]
    relays = [span for span in spans if span["name"].startswith("relay ")]
    assert {span["service"] for span in publishes} == {"publisher"}
    assert (process["service"], process["kind"]) == ("worker", "CONSUMER")
    assert {span["service"] for span in relays} == {"web"}

    created = by_id[process["parent_span_id"]]
    assert created in publishes and created["parent_span_id"] == entry["span_id"], "created ← the click's request"
    assert [link["span_id"] for link in process["links"]] == [created["span_id"]]
    assert (receive["service"], receive["parent_span_id"]) == ("worker", created["span_id"])
    assert [link["span_id"] for link in receive["links"]] == [created["span_id"]]
    assert receive["attributes"]["fulfilment.member"] == process["attributes"]["fulfilment.member"]
    assert receive["end_ns"] <= process["start_ns"], "a member takes the record, then works on it"
    assert sorted(step["name"] for step in steps) == ["step COMPLETED", "step PROCESSING"]
    assert {step["parent_span_id"] for step in steps} == {process["span_id"]}
    assert {span["parent_span_id"] for span in publishes} == {entry["span_id"], *(step["span_id"] for step in steps)}
    assert sorted(span["parent_span_id"] for span in relays) == sorted(span["span_id"] for span in publishes)
    assert all(span["attributes"]["outbox.waited_ms"] >= 0 for span in publishes)
    assert {span["order_id"] for span in spans if span["order_id"]} == {created["order_id"]}


@pytest.mark.usefixtures("kafka_broker")
def test_a_rest_order_is_one_trace_from_the_click_to_the_sockets(traced_stack):
    trace_id, browser_span, traceparent = browser_traceparent()
    request = urllib.request.Request(
        f"{traced_stack.base_url}/api/orders/computers",
        method="POST",
        data=json.dumps({"created_by": "traced", "equipment": ["MOUSE"]}).encode(),
        headers={"Content-Type": "application/json", "traceparent": traceparent},
    )
    with urllib.request.urlopen(request, timeout=30) as response:
        order_id = json.load(response)["order_id"]

    spans = complete_trace(traced_stack, trace_id)
    assert {span["trace_id"] for span in spans} == {trace_id}
    [entry] = [span for span in spans if span["kind"] == "SERVER"]
    assert (entry["service"], entry["parent_span_id"]) == ("web", browser_span), "the click's span is its parent"
    assert_hops(spans, entry)
    assert traced_stack.get_json(f"/tracing/orders/{order_id}")["traces"][0]["trace_id"] == trace_id


@pytest.mark.usefixtures("kafka_broker")
def test_a_grpc_order_is_one_trace_from_the_call_to_the_sockets(traced_stack):
    trace_id, caller_span, traceparent = browser_traceparent()
    with grpc.insecure_channel(traced_stack.grpc_target) as channel:
        order = orders_pb2_grpc.OrderServiceStub(channel).Create(
            orders_pb2.OrderMessage(created_by="traced", equipment=[orders_pb2.OrderMessage.MOUSE]),
            metadata=[("traceparent", traceparent)],
            timeout=10,
        )

    spans = complete_trace(traced_stack, trace_id, servers=("grpc",))
    [entry] = [span for span in spans if span["kind"] == "SERVER"]
    assert (entry["service"], entry["parent_span_id"]) == ("grpc", caller_span)
    assert_hops(spans, entry)
    assert traced_stack.get_json(f"/tracing/orders/{order.id}")["traces"][0]["trace_id"] == trace_id


@pytest.mark.parametrize("transport", ["rest", "grpc"])
def test_the_click_on_the_page_starts_the_trace(traced_stack, browser, transport):
    with open_dashboard(browser, traced_stack.base_url) as page:
        place_order(page, f"clicked-{transport}", ["MOUSE"], transport)
        expect(page.locator("#order-trace")).to_have_count(1)
        trace_id = page.locator("#order-trace").inner_text()
        spans = complete_trace(traced_stack, trace_id, servers=("web", "grpc") if transport == "grpc" else ("web",))
        # Each of the order's records in the feed leads to the same trace (its traceparent header names it).
        order_id = next(span["order_id"] for span in spans if span["order_id"])
        detail = open_payload(page, f'#feed tr.record[data-key="{order_id}"]')
        expect(detail.locator("a.trace-link")).to_have_attribute("href", f"/traces/{trace_id}")
    servers = [span for span in spans if span["kind"] == "SERVER"]
    assert servers[0]["service"] == "web" and servers[0]["parent_span_id"], "the page's span is the web span's parent"
    if transport == "grpc":
        # The page's gateway calls rungrpc on: its client span is the parent of rungrpc's.
        [rungrpc] = [span for span in servers if span["service"] == "grpc"]
        [client] = [span for span in spans if span["kind"] == "CLIENT"]
        assert rungrpc["parent_span_id"] == client["span_id"]
        assert_hops(spans, rungrpc)
    else:
        assert_hops(spans, servers[0])


def browser_spans_of(stack, trace_id: str) -> tuple[dict, list[dict], list[dict]]:
    """The trace once the page's own spans landed too: its click, its shown spans and all its spans."""

    def landed():
        spans = spans_of(stack, trace_id)
        clicks = [span for span in spans if span["name"] == "click"]
        shown = [span for span in spans if span["name"] == "shown"]
        return clicks and len(shown) >= EXPECTED["relay"] and (clicks[0], shown, spans)

    found = poll_until(landed, timeout=30)
    assert found, f"the page's spans: {sorted((s['service'], s['name']) for s in spans_of(stack, trace_id))}"
    return found


def test_the_trace_starts_with_the_browsers_click_and_ends_with_shown_under_each_relay(traced_stack, browser):
    with open_dashboard(browser, traced_stack.base_url) as page:
        wait_live(page)  # the page draws the records live, as the relay hands them over
        place_order(page, "shown", ["MOUSE"], "rest")
        trace_id = page.locator("#order-trace").inner_text()
        spans = complete_trace(traced_stack, trace_id)
        click, shown, spans = browser_spans_of(traced_stack, trace_id)
    by_id = {span["span_id"]: span for span in spans}
    [entry] = [span for span in spans if span["kind"] == "SERVER"]
    assert (click["service"], click["parent_span_id"]) == ("browser", None) and click["order_id"], click
    assert entry["parent_span_id"] == click["span_id"], "the click is the root: the request's span is its child"
    # From the click to the answer: it holds the request (the page's clock and the server's may differ a little).
    assert click["end_ns"] - click["start_ns"] >= entry["end_ns"] - entry["start_ns"]
    assert_hops(spans, entry)
    relays = {span["span_id"]: span for span in spans if span["name"].startswith("relay ")}
    assert {span["parent_span_id"] for span in shown} == set(relays), "one shown under each relay span"
    for span in shown:
        relayed = by_id[span["parent_span_id"]]
        assert span["service"] == "browser" and span["end_ns"] >= span["start_ns"]
        assert span["attributes"]["messaging.kafka.offset"] == relayed["attributes"]["messaging.kafka.offset"]


def test_the_trace_view_draws_the_orders_waterfall_at_every_width(traced_stack, browser):
    with open_dashboard(browser, traced_stack.base_url) as page:
        wait_live(page)
        place_order(page, "waterfall", ["MOUSE"], "rest")
        trace_id = page.locator("#order-trace").inner_text()
        complete_trace(traced_stack, trace_id)
        page.locator("#order-trace").click()
        expect(page).to_have_url(f"{traced_stack.base_url}/traces/{trace_id}")
        browser_spans_of(traced_stack, trace_id)
        rows = page.locator("#trace-rows tr")
        # The click, the request, every hop, and a shown under each relay.
        expect(rows).to_have_count(WATERFALL_ROWS, timeout=15_000)
        expect(rows.first).to_have_attribute("data-service", "browser")
        expect(rows.first).to_have_attribute("data-hop", "click")
        # The sockets may send a frame before the relay's thread ends its span: then it was received at once.
        expect(page.locator('#trace-rows tr[data-hop="shown"]').first).to_contain_text(
            re.compile(r"ms from the relay's hand-off to the browser|received at once")
        )
        publishes = page.locator('#trace-rows tr[data-hop="publish"]')
        expect(publishes.first).to_contain_text("ms waited in the outbox")
        receive = page.locator('#trace-rows tr[data-hop="receive"]')
        # A member may read the record before the publisher's span ends (it still records the acknowledgement).
        expect(receive).to_contain_text(re.compile(r"ms on the topic before a member took it|read at once"))
        expect(receive).not_to_contain_text("redelivery")
        expect(page.locator('#trace-rows tr[data-hop="process"]')).to_contain_text("linked to publisher publish")
        depths = rows.evaluate_all("rows => rows.map(r => [r.dataset.hop, Number(r.dataset.depth)])")
        assert depths[:2] == [["click", 0], ["POST", 1]], depths
        assert max(depth for _, depth in depths) >= 6, depths  # step → publish → relay → shown
    for width, theme in [(390, "light"), (390, "dark"), (1440, "light"), (1440, "dark")]:
        context = browser.new_context(viewport={"width": width, "height": 900}, color_scheme=theme)
        page = context.new_page()
        try:
            page.goto(f"{traced_stack.base_url}/traces/{trace_id}")
            expect(page.locator("#trace-rows tr")).to_have_count(WATERFALL_ROWS, timeout=15_000)
            assert_no_sideways_scroll(page, f"the trace view at {width}")
            assert_accessible(page)
            SHOTS.mkdir(parents=True, exist_ok=True)
            page.screenshot(path=str(SHOTS / f"trace-{width}-{theme}.png"), full_page=True)
        finally:
            context.close()


def test_each_order_row_links_to_its_trace_at_every_width(traced_stack, browser):
    with open_dashboard(browser, traced_stack.base_url) as page:
        wait_live(page)
        place_order(page, "linked", ["MOUSE"], "rest")
        order_id = page.locator("#orders tr").first.get_attribute("data-order-id")
        trace_id = page.locator("#order-trace").inner_text()
        complete_trace(traced_stack, trace_id)
        for width in (390, 1440):
            page.set_viewport_size({"width": width, "height": 900})
            link = page.get_by_role("link", name=f"trace of order {order_id[:8]}")
            expect(link).to_have_attribute("href", f"/traces/{order_id}")
            assert_no_sideways_scroll(page, f"the orders table at {width}")
        link.click()
        expect(page).to_have_url(f"{traced_stack.base_url}/traces/{order_id}")
        expect(page.locator("#trace-id")).to_have_text(trace_id, timeout=15_000)
        expect(page.locator('#trace-rows tr[data-hop="process"]')).to_have_count(1)
