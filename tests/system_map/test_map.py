"""The map against real processes: /system/state lists every process of a stack (by its heartbeat), the broker with
the topic's partitions, the worker group with its members; in Chromium the map draws those nodes, and an order
placed moves along its path, at 390 and 1440 px in both themes."""

from __future__ import annotations

import json

import pytest
from playwright.sync_api import expect
from websockets.sync.client import connect

from tests.conftest import ARTIFACTS
from tests.support.http_orders import post_order
from tests.support.page_checks import assert_accessible, assert_no_sideways_scroll
from tests.support.waiting import wait_until

SERVICES = ("web", "grpc", "publisher", "worker")
SHOTS = ARTIFACTS / "map"


@pytest.fixture
def running(make_stack, kafka_broker):
    return make_stack(
        kafka_broker.bootstrap_servers,
        services=SERVICES,
        SYSTEM_PRESENCE_SECONDS="0.5",
        FULFILMENT_STEP_DELAY_MS="50",
        FULFILMENT_FAILURE_RATE="0",
    )


def complete_state(stack) -> dict:
    """The state once every process beat and the worker group has its member and partitions."""

    def complete():
        found = stack.get_json("/system/state")
        services = {row["service"] for row in found["processes"] if not row["gone"]}
        groups = {group["group_id"]: group for group in found["kafka"]["groups"]}
        group = groups.get(f"fulfilment-{stack.topic}")
        owned = group and sorted(p for member in group["members"] for p in member["partitions"])
        return services >= set(SERVICES) and owned == [0, 1, 2] and found

    return wait_until(complete, timeout=60, message=lambda: json.dumps(stack.get_json("/system/state"))[:2000])


def test_the_state_lists_each_process_the_broker_and_the_group(running):
    state = complete_state(running)
    by_service = {row["service"]: row for row in state["processes"]}
    assert by_service["web"]["address"] == f"127.0.0.1:{running.web_port}"
    assert by_service["grpc"]["address"] == running.grpc_target
    workers = [row["details"] for row in state["processes"] if row["service"] == "worker"]
    assert sorted(details["role"] for details in workers) == ["member", "supervisor"]
    # The member process names the client id it gives Kafka: the map ties the group's member to the process.
    [group] = [g for g in state["kafka"]["groups"] if g["group_id"] == f"fulfilment-{running.topic}"]
    assert [m["client_id"] for m in group["members"]] == [d["client_id"] for d in workers if d["role"] == "member"]
    [broker] = state["kafka"]["brokers"]
    assert broker["up"] and broker["address"] == running.bootstrap_servers
    assert broker["replicas"] == [{"partition": p, "leader": True, "in_sync": True} for p in range(3)]
    assert state["outbox"] == {"waiting": 0, "parked": 0} and state["kafka"]["error"] is None
    # A browser's socket is counted by its relay on the next beat.
    with connect(running.base_url.replace("http://", "ws://") + "/ws/orders/", origin=running.base_url):
        wait_until(
            lambda: any(row["details"].get("sockets") == 1 for row in running.get_json("/system/state")["processes"]),
            timeout=10,
            message="the relay never counted the open socket",
        )


def test_the_map_draws_the_system_and_an_order_moves_on_it(running, browser):
    state = complete_state(running)
    members = [m["member_id"] for g in state["kafka"]["groups"] for m in g["members"]]
    for width, theme in [(390, "light"), (390, "dark"), (1440, "light"), (1440, "dark")]:
        # The dark runs prefer reduced motion: edges light up instead of carrying dots.
        reduced = "reduce" if theme == "dark" else "no-preference"
        context = browser.new_context(
            viewport={"width": width, "height": 900}, color_scheme=theme, reduced_motion=reduced
        )
        page = context.new_page()
        try:
            page.goto(f"{running.base_url}/map")
            expect(page.locator("#kafka-state")).to_have_attribute("data-state", "ok", timeout=15_000)
            nodes = page.locator("#map-svg .map-node")
            for stage, count in [("api", 2), ("store", 1), ("publisher", 1), ("broker", 1), ("browsers", 1)]:
                expect(nodes.locator(f'xpath=self::*[@data-stage="{stage}"]')).to_have_count(count)
            expect(page.locator('#map-svg [data-node^="worker:"]')).to_have_count(1)  # the supervisor
            for member in members:
                expect(page.locator(f'#map-svg [data-node="member:{member}"]')).to_have_count(1)
            expect(page.locator("#map-list li")).to_have_count(page.locator("#map-svg .map-node").count())
            expect(page.locator("#map-svg .map-node").filter(has_text="1 open socket")).to_have_count(1)
            order = post_order(running.base_url, f"map-{width}-{theme}")[1]
            expect(page.locator(f'#feed tr.record[data-key="{order}"]').first).to_be_attached(timeout=15_000)
            # The order's created record went API → outbox → publisher → broker → member and relay → browsers.
            moved = page.locator('#map-svg .map-edge[data-edge^="api:"]:not([data-count="0"])')
            expect(moved).to_have_count(1, timeout=5_000)
            expect(page.locator('#map-svg .map-edge[data-edge$=">browsers"]:not([data-count="0"])')).to_have_count(1)
            expect(page.locator("#map-svg .map-rate").filter(has_text="/s").first).to_be_attached()
            if reduced == "reduce":
                assert page.locator("#map-pulses .map-pulse").count() == 0
            assert_no_sideways_scroll(page, f"the map at {width}")
            assert_accessible(page)
            SHOTS.mkdir(parents=True, exist_ok=True)
            page.screenshot(path=str(SHOTS / f"map-{width}-{theme}.png"), full_page=True)
        finally:
            context.close()


def test_a_killed_process_leaves_the_map_and_a_restarted_one_comes_back(running, browser):
    complete_state(running)
    context = browser.new_context(viewport={"width": 1440, "height": 900})
    try:
        page = context.new_page()
        page.goto(f"{running.base_url}/map")
        publisher = page.locator('#map-svg .map-node[data-stage="publisher"]')
        expect(publisher).to_have_attribute("data-state", "up", timeout=15_000)
        running.kill("publisher")
        expect(publisher).to_have_attribute("data-state", "gone", timeout=10_000)
        expect(page.locator('#map-list li[data-state="gone"]')).to_contain_text("publisher")
        running.start_service("publisher")
        restarted = page.locator('#map-svg .map-node[data-stage="publisher"][data-state="up"]')
        expect(restarted).to_have_count(1, timeout=30_000)
        expect(publisher).to_have_count(2)  # the killed one stays, gone, for a minute
    finally:
        context.close()
