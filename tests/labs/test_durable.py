"""Lab 6, durability, in Chromium against a real three-broker cluster run by `python -m localkafka cluster` (the
runner `make cluster` starts, with its cluster file) and real web and publisher processes: the Check fails before
the steps; the page crashes one broker (leaders move, the ISR shrinks, an order goes through), stops a second (the
partitions refuse writes, the outbox holds the order and shows the publisher's error), restarts them (the outbox
drains), and the Check passes, having counted the lab's orders on the topic. On one broker the lab says it needs the
cluster, and its controls refuse to act on a broker that is no cluster of ours."""

import json
import os
import shutil
import signal
import subprocess
import sys
import tempfile
from pathlib import Path

import pytest
from playwright.sync_api import expect

from localkafka import free_port
from tests.conftest import ARTIFACTS
from tests.labs.conftest import ROOT, check, lab_of, post_json
from tests.labs.test_labs_page import SIZES, open_labs
from tests.support.page_checks import assert_accessible, assert_no_sideways_scroll
from tests.support.waiting import wait_until

pytestmark = pytest.mark.faults

SHOTS = ARTIFACTS / "labs"


@pytest.fixture
def cluster_runner():
    """`python -m localkafka cluster` on free ports with its cluster file, as `make cluster` runs it."""
    work = Path(tempfile.mkdtemp(prefix="playground-durable-"))
    ports = [free_port() for _ in range(6)]
    control = work / "cluster.json"
    log = open(ARTIFACTS / "labs-durable-cluster.log", "w")
    runner = subprocess.Popen(
        [
            *(sys.executable, "-m", "localkafka", "cluster", "--data-dir", str(work / "kafka")),
            *("--ports", ",".join(map(str, ports[:3])), "--controller-ports", ",".join(map(str, ports[3:]))),
            *("--control-file", str(control)),
        ],
        cwd=ROOT,
        stdout=log,
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )

    def running():
        assert runner.poll() is None, f"the cluster runner exited; see {log.name}"
        try:
            return json.loads(control.read_text())["state"] == "running"
        except (OSError, ValueError):
            return False

    wait_until(running, timeout=120, interval=0.5, message="the three brokers never ran")
    runner.bootstrap_servers = ",".join(f"127.0.0.1:{port}" for port in ports[:3])
    runner.control_file = control
    yield runner
    os.killpg(runner.pid, signal.SIGTERM)
    try:
        runner.wait(20)
    except subprocess.TimeoutExpired:
        os.killpg(runner.pid, signal.SIGKILL)
        runner.wait()
    shutil.rmtree(work, ignore_errors=True)


def click_check(card):
    card.get_by_role("button", name="Check").click()
    expect(card.locator(".lab-seen")).not_to_have_text("Checking…", timeout=30_000)
    return card.locator(".lab-seen").text_content()


def place_order(card):
    card.get_by_role("button", name="Place an order").click()
    expect(card.locator(".durable-said")).to_contain_text("The API acknowledged order")
    card.locator(".durable-said").evaluate("(node) => { node.textContent = ''; }")


def in_sync(card, expected: list[str], timeout: float) -> None:
    """Wait until the panel's in-sync column reads `expected`, partition by partition."""
    cells = card.locator(".durable-partitions td.durable-isr")
    wait_until(
        lambda: cells.all_text_contents() == expected,
        timeout=timeout,
        interval=0.5,
        message=lambda: f"in sync never {expected}: {cells.all_text_contents()}",
    )


def test_the_lab_fails_then_passes_after_crashing_stopping_and_restarting_brokers(browser, make_stack, cluster_runner):
    stack = make_stack(
        cluster_runner.bootstrap_servers,
        services=("web", "publisher"),
        create=False,
        KAFKA_REPLICATION_FACTOR="3",
        LOCAL_KAFKA_CLUSTER_FILE=str(cluster_runner.control_file),
    )
    context, page = open_labs(browser, stack)
    card = page.locator("#lab-durable")
    learner = page.evaluate("() => JSON.parse(localStorage.getItem('labs:learner'))")
    assert "make cluster" not in [step["command"] for step in lab_of(stack, "durable", learner)["steps"]]
    brokers = card.locator(".durable-brokers li")
    expect(brokers).to_have_count(3, timeout=30_000)
    expect(card.locator(".durable-partitions tbody tr")).to_have_count(3, timeout=30_000)
    in_sync(card, ["1, 2, 3"] * 3, 60)
    before = click_check(card)
    assert before.startswith("Not yet: 3 of 3 brokers up") and f"no order by lab-durable-{learner} yet" in before

    place_order(card)
    card.get_by_role("button", name="Crash broker 1").click()
    expect(card.locator('[data-broker="1"]')).to_have_attribute("data-state", "dead", timeout=15_000)
    in_sync(card, ["2, 3"] * 3, 30)
    assert "1" not in card.locator(".durable-partitions td:nth-child(2)").all_text_contents(), "leaders moved"
    place_order(card)
    expect(card.locator(".durable-outbox")).to_have_text("Outbox: 0 event(s) waiting.", timeout=20_000)

    card.get_by_role("button", name="Stop broker 2").click()
    expect(card.locator(".durable-partitions .durable-refused")).to_have_text(
        ["refused: NotEnoughReplicas"] * 3, timeout=30_000
    )
    place_order(card)
    expect(card.locator(".durable-outbox")).to_contain_text("Outbox: 1 event(s) waiting", timeout=10_000)
    expect(card.locator(".durable-error")).to_contain_text("The publisher's last error (try 1): ", timeout=40_000)
    down = click_check(card)
    assert down.startswith("Not yet: 1 of 3 brokers up, 0 of 3 partitions 3 in sync; "), down
    assert "the outbox is holding 1 of them back (the broker refuses them)." in down, down
    page.evaluate("() => window.scrollTo(0, 0)")
    SHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SHOTS / "lab-durable-two-down.png"), full_page=True, clip=card.bounding_box())

    card.get_by_role("button", name="Restart dead brokers").click()
    expect(card.locator('.durable-brokers [data-state="running"]')).to_have_count(3, timeout=120_000)
    in_sync(card, ["1, 2, 3"] * 3, 90)
    expect(card.locator(".durable-outbox")).to_have_text("Outbox: 0 event(s) waiting.", timeout=60_000)

    # On a loaded machine a broker may miss a heartbeat (3 s) and leave the ISR for a moment: Check again then.
    passed = wait_until(
        lambda: (seen := click_check(card)).startswith("Passed") and seen,
        timeout=60,
        interval=1,
        message=lambda: card.locator(".lab-seen").text_content(),
    )
    assert passed.startswith(
        "Passed: 3 of 3 brokers up, 3 of 3 partitions 3 in sync; your 3 order(s) are all on the topic; the outbox "
        "held 1 of them back for up to "
    ), passed
    expect(card.locator(".lab-state")).to_have_text("passed")
    page.evaluate("() => window.scrollTo(0, 0)")
    page.screenshot(path=str(SHOTS / "lab-durable-passed.png"), full_page=True, clip=card.bounding_box())
    storage = context.storage_state()

    # Reset restarts every dead broker (and starts a new round).
    card.get_by_role("button", name="Crash broker 3").click()
    expect(card.locator('[data-broker="3"]')).to_have_attribute("data-state", "dead", timeout=15_000)
    card.get_by_role("button", name="Reset").click()
    expect(card.locator(".lab-seen")).to_contain_text("Reset: restarting broker(s) 3; 3 order(s) by")
    expect(page.locator('#lab-durable [data-broker="3"]')).not_to_have_attribute("data-state", "dead")
    context.close()

    for width, theme in SIZES:
        context, page = open_labs(browser, stack, width, theme, storage)
        expect(page.locator("#lab-durable .lab-state")).to_have_text("passed")
        expect(page.locator("#lab-durable .durable-partitions tbody tr")).to_have_count(3)
        assert_no_sideways_scroll(page, f"the durability lab at {width} px, {theme}")
        assert_accessible(page)
        page.evaluate("() => window.scrollTo(0, 0)")
        box = page.locator("#lab-durable").bounding_box()
        page.screenshot(path=str(SHOTS / f"lab-durable-passed-{width}-{theme}.png"), full_page=True, clip=box)
        context.close()


def test_on_one_broker_the_lab_asks_for_the_cluster_and_acts_on_nothing(browser, lab_stack, learner):
    context, page = open_labs(browser, lab_stack, 390)
    card = page.locator("#lab-durable")
    expect(card.locator(".lab-steps code.cmd").first).to_have_text("make cluster")
    expect(card.locator(".durable-brokers")).to_contain_text("No local cluster to act on: no running")
    expect(card.get_by_role("button", name="Restart dead brokers")).to_be_disabled()
    expect(card.locator(".durable-partitions tbody tr")).to_have_count(3)
    assert_no_sideways_scroll(page, "the durability lab on one broker at 390 px")
    assert_accessible(page)
    context.close()

    lab = lab_of(lab_stack, "durable", learner)
    assert lab["steps"][0]["command"] == "make cluster"
    assert "cannot pass on one broker" in lab["steps"][0]["text"]
    answer = check(lab_stack, "durable", learner)
    assert not answer["passed"]
    assert "this lab cannot pass here. Stop `make run` and start `make cluster`." in answer["seen"]

    status, body = post_json(lab_stack.base_url, "/labs/durable/brokers", {"action": "crash", "node": 1})
    assert status == 409 and "no running `python -m localkafka cluster`" in body["detail"], body
    status, body = post_json(lab_stack.base_url, "/labs/durable/brokers", {"action": "crash", "node": 9, "x": 1})
    assert status == 400 and set(body) == {"node", "x"}, body
    status, body = post_json(lab_stack.base_url, "/labs/durable/brokers", {"action": "restart", "node": 1})
    assert status == 400 and "give no node" in body["node"][0], body
    state = lab_stack.get_json(f"/labs/durable/state?learner={learner}")
    assert state["cluster"]["controllable"] is False
    assert [p["replicas"] for p in state["kafka"]["partitions"]] == [[1], [1], [1]]


@pytest.mark.django_db
def test_the_broker_controls_are_off_with_the_controls(client, settings):
    settings.FULFILMENT_CONTROLS = False
    answer = client.post("/labs/durable/brokers", json.dumps({"action": "restart"}), content_type="application/json")
    assert answer.status_code == 403
    assert "FULFILMENT_CONTROLS=0" in answer.json()["detail"]
