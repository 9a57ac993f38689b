"""The map on a three-broker cluster: three brokers, each holding a replica of every partition, one leader per
partition; a killed broker is shown gone (out of sync everywhere), in the state and on the page, and back once it
restarts."""

import pytest
from playwright.sync_api import expect

from localkafka import LocalCluster
from tests.conftest import ARTIFACTS
from tests.support.waiting import wait_until

pytestmark = pytest.mark.faults


@pytest.fixture
def cluster():
    cluster = LocalCluster.throwaway(prefix="playground-cluster-map-")
    cluster.start()
    yield cluster
    cluster.kill()


def brokers_when(stack, condition, message):
    def check():
        brokers = stack.get_json("/system/state")["kafka"]["brokers"]
        return condition(brokers) and brokers

    return wait_until(check, timeout=90, interval=0.5, message=lambda: f"{message}: {stack.get_json('/system/state')}")


def test_the_map_shows_three_brokers_and_one_leaving_and_coming_back(make_stack, cluster, browser):
    # The publisher creates the topic, replicated three times.
    stack = make_stack(
        cluster.bootstrap_servers, services=("web", "publisher"), create=False, KAFKA_REPLICATION_FACTOR="3"
    )
    everywhere = [{"partition": p, "in_sync": True} for p in range(3)]

    def healthy(brokers):
        return len(brokers) == 3 and all(
            b["up"] and [{"partition": r["partition"], "in_sync": r["in_sync"]} for r in b["replicas"]] == everywhere
            for b in brokers
        )

    brokers = brokers_when(stack, healthy, "three brokers in sync never showed")
    assert [b["node_id"] for b in brokers] == [1, 2, 3]
    leaders = sorted(r["partition"] for b in brokers for r in b["replicas"] if r["leader"])
    assert leaders == [0, 1, 2]

    cluster.nodes[2].kill()
    brokers = brokers_when(
        stack,
        lambda found: (
            len(found) == 3
            and not found[2]["up"]
            and not any(r["in_sync"] or r["leader"] for r in found[2]["replicas"])
        ),
        "the killed broker never showed gone",
    )
    assert brokers[0]["up"] and brokers[1]["up"] and brokers[2]["address"] is None
    context = browser.new_context(viewport={"width": 1440, "height": 900})
    try:
        page = context.new_page()
        page.goto(f"{stack.base_url}/map")
        killed = page.locator('#map-svg [data-node="broker:3"]')
        expect(killed).to_have_attribute("data-state", "gone", timeout=15_000)
        expect(page.locator('#map-svg .map-node[data-stage="broker"][data-state="up"]')).to_have_count(2)
        (ARTIFACTS / "map").mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(ARTIFACTS / "map" / "cluster-broker-killed-1440.png"), full_page=True)

        cluster.nodes[2].start()
        brokers_when(stack, healthy, "the restarted broker never came back in sync")
        expect(killed).to_have_attribute("data-state", "up", timeout=15_000)
        expect(killed).to_contain_text("in sync")
    finally:
        context.close()
