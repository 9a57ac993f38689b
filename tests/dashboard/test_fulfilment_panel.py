"""The fulfilment panel in Chromium against the real processes: lag, rebalances, kills and a stopped broker."""

import collections
import json
import re
import shlex
import subprocess

import pytest
from kafka import KafkaConsumer, TopicPartition
from kafka.structs import OffsetAndMetadata
from playwright.sync_api import expect

from harness.processes import ROOT
from harness.topics import create_topic, read_records
from localkafka import free_port
from tests.conftest import ARTIFACTS, open_dashboard
from tests.support.broker_runner import runner_command
from tests.support.page_checks import assert_accessible, assert_no_sideways_scroll
from tests.support.waiting import wait_until

SERVICES = ("web", "publisher", "worker")
SHOTS = ARTIFACTS / "fulfilment"


def place_on_page(page, created_by: str, transport: str = "rest") -> None:
    """Place an order from the Live view's form, wait for its answer in the timeline, and go back to the view the
    test was on (the back button: the group's panel)."""
    page.click("a[data-view-link=live]")
    page.fill("#created-by", created_by)
    if not page.locator("#equipment-chips li").count():
        page.click("button.add[data-item=MONITOR]")
    page.check(f"input[name=transport][value={transport}]")
    page.click("#place-order")
    expect(page.locator('#timeline li[data-hop="response"]')).to_contain_text(
        "HTTP 201" if transport == "rest" else "gRPC OK", timeout=10_000
    )
    expect(page.locator("#place-order")).to_be_enabled()
    page.go_back()
    expect(page.locator("#main")).to_have_attribute("data-view", "groups")


def command(page, name: str):
    """The terminal command the panel shows beside a control."""
    return page.locator(f'#fulfilment-card code.cmd[data-command="{name}"]')


def expect_total_lag(page, lag: str, timeout: float = 5_000) -> None:
    """The worker group's total lag reads `lag`; when it does not, the failure also says what the panel said (its
    Kafka error) and the groups the server listed, which a CI log would otherwise lose."""
    try:
        expect(page.locator("#total-lag")).to_have_text(lag, timeout=timeout)
    except AssertionError as exc:
        said = page.locator("#panel-error").text_content()
        state = page.evaluate("() => fetch('/fulfilment/state').then((r) => r.json()).then((s) => s.topic)")
        raise AssertionError(f"{exc}\nthe panel said: {said!r}\nthe topic's state: {json.dumps(state)[:3000]}") from exc


def created_rows(page):
    return page.locator("#feed tr.record", has=page.locator("td", has_text="order.created"))


def test_paused_group_lags_by_what_was_placed_and_catches_up_on_resume(make_stack, kafka_broker, browser):
    stack = make_stack(
        kafka_broker.bootstrap_servers, services=SERVICES, FULFILMENT_STEP_DELAY_MS="200", FULFILMENT_FAILURE_RATE="0"
    )
    with open_dashboard(browser, stack.base_url, "/groups") as page:
        expect(page.locator("#members tr[data-member]")).to_have_count(1, timeout=30_000)
        expect(command(page, "pause")).to_have_text("python manage.py fulfilment pause")
        page.click("#pause-worker")
        expect(page.locator("#pause-worker")).to_have_text("Resume group")
        expect(command(page, "pause")).to_have_text("python manage.py fulfilment resume")
        expect(page.locator("#members td.working")).to_have_text("paused", timeout=10_000)
        for index in range(5):
            place_on_page(page, f"paused-{index}")
        expect(created_rows(page)).to_have_count(5, timeout=20_000)
        went = collections.Counter(created_rows(page).evaluate_all("rows => rows.map(r => r.dataset.partition)"))
        expect_total_lag(page, "5", timeout=10_000)
        for partition in range(3):
            expect(page.locator(f'#partitions tr[data-partition="{partition}"] td.lag')).to_have_text(
                str(went.get(str(partition), 0))
            )
        expect(page.locator("#orders .status-QUEUED")).to_have_count(5)
        page.screenshot(path=str(SHOTS / "paused-lag-5.png"), full_page=True)

        page.click("#pause-worker")
        expect(command(page, "pause")).to_have_text("python manage.py fulfilment pause")
        expect_total_lag(page, "0", timeout=30_000)
        expect(page.locator("#orders .status-COMPLETED")).to_have_count(5, timeout=30_000)
        for partition in went:
            expect(page.locator(f'#partitions tr[data-partition="{partition}"] td.committed')).to_have_text(
                re.compile(r"\d+")
            )
        steps = page.locator("#orders td.steps").all_text_contents()
        assert all(re.fullmatch(r"QUEUED → PROCESSING \+\d+ ms → COMPLETED \+\d+ ms", text) for text in steps), steps
        page.screenshot(path=str(SHOTS / "resumed-lag-0.png"), full_page=True)


def commit_as_group(bootstrap_servers: str, topic: str, group_id: str, offsets: dict[int, int]) -> None:
    """Commit offsets for a group that then leaves: what `kafka_consume --group` leaves behind."""
    consumer = KafkaConsumer(bootstrap_servers=bootstrap_servers, group_id=group_id, enable_auto_commit=False)
    consumer.commit({TopicPartition(topic, p): OffsetAndMetadata(offset, "", -1) for p, offset in offsets.items()})
    consumer.close()


def test_two_members_split_the_three_partitions(make_stack, kafka_broker, browser):
    stack = make_stack(kafka_broker.bootstrap_servers, services=SERVICES, FULFILMENT_STEP_DELAY_MS="100")
    commit_as_group(kafka_broker.bootstrap_servers, stack.topic, "learners", {0: 0, 1: 0, 2: 0})
    with open_dashboard(browser, stack.base_url, "/groups") as page:
        expect(page.locator('#other-groups tr[data-group="learners"]')).to_contain_text("Empty", timeout=20_000)
        expect(page.locator("#members tr[data-member]")).to_have_count(1, timeout=30_000)
        expect(page.locator("#members td.owned")).to_have_text("0, 1, 2")
        expect(command(page, "describe")).to_have_text(
            f"python -m localkafka consumer-groups --bootstrap-server {kafka_broker.bootstrap_servers} "
            f"--describe --group fulfilment-{stack.topic}"
        )
        expect(command(page, "members")).to_have_text("python manage.py fulfilment set --members 1")
        page.select_option("#members-wanted", "2")
        expect(command(page, "members")).to_have_text("python manage.py fulfilment set --members 2")
        # A number field's change (on leaving it) moves its command; a refused one is put back, command unchanged.
        page.fill("#step-delay", "300")
        page.press("#step-delay", "Tab")
        expect(command(page, "step_delay_ms")).to_have_text("python manage.py fulfilment set --step-delay-ms 300")
        page.fill("#failure-rate", "0.25")
        page.press("#failure-rate", "Tab")
        expect(command(page, "failure_rate")).to_have_text("python manage.py fulfilment set --failure-rate 0.25")
        page.fill("#failure-rate", "2")
        page.press("#failure-rate", "Tab")
        expect(page.locator("#control-error")).to_contain_text("Use a share from 0 to 1.")
        expect(page.locator("#failure-rate")).to_have_value("0.25")
        expect(command(page, "failure_rate")).to_have_text("python manage.py fulfilment set --failure-rate 0.25")
        expect(page.locator("#members tr[data-member]")).to_have_count(2, timeout=40_000)
        expect(page.locator("#group-state")).to_have_text("Stable", timeout=20_000)
        owned = [text.split(", ") for text in page.locator("#members td.owned").all_text_contents()]
        every_owned = sorted(partition for partitions in owned for partition in partitions)
        assert every_owned == ["0", "1", "2"] and all(owned), owned
        members = set(page.locator("#members tr[data-member]").evaluate_all("rows => rows.map(r => r.dataset.member)"))
        assert set(page.locator("#partitions td.member").all_text_contents()) == members
        page.screenshot(path=str(SHOTS / "two-members.png"), full_page=True)


@pytest.mark.faults
def delivered(page) -> list[str]:
    """Each delivery's step as the panel lists them, "!" after one skipped as done before."""
    return page.locator("#deliveries li").evaluate_all(
        "items => items.map(i => i.dataset.step + (i.dataset.skipped === 'true' ? '!' : ''))"
    )


def test_a_member_killed_mid_order_costs_what_the_delivery_mode_says(make_stack, kafka_broker, browser):
    # The worker's own recovery of stuck orders is off: each mode shows what it costs by itself.
    stack = make_stack(
        kafka_broker.bootstrap_servers,
        services=SERVICES,
        FULFILMENT_STEP_DELAY_MS="2500",
        FULFILMENT_FAILURE_RATE="0",
        FULFILMENT_RECOVERY_SECONDS="0",
    )
    # What each mode must show after the kill: (lost, processed twice, the order's final status, each delivery's
    # steps: "start" done, "start!" skipped as done before, and the marks on the order's row).
    expected = {
        "at-most-once": ("1", "0", "PROCESSING", ["start"], ["lost: committed, never finished"]),
        "at-least-once": ("0", "1", "COMPLETED", ["start", "start", "finish"], ["processed twice"]),
        "effectively-once": ("0", "0", "COMPLETED", ["start", "start!", "finish"], []),
    }
    rows = {}
    with open_dashboard(browser, stack.base_url, "/groups") as page:
        expect(command(page, "kill")).to_have_text("python manage.py fulfilment kill")
        for mode, (lost, twice, final, deliveries, marks) in expected.items():
            # A member is listed from its first heartbeat; a group's join (the first, or after the last kill) may
            # take 15-20 s more on a busy machine: the order below must find its partition owned.
            expect(page.locator("#members tr[data-member]")).to_have_count(1, timeout=30_000)
            expect(page.locator("#members td.owned")).to_have_text("0, 1, 2", timeout=40_000)
            page.select_option("#delivery-mode", mode)
            expect(page.locator("#counters-since")).to_contain_text(f"{mode} was set")
            expect(command(page, "delivery_mode")).to_have_text(
                f"python manage.py fulfilment set --delivery-mode {mode}"
            )
            # The kill is asked for first and waits for the order: asked after it, it could come once the order's
            # first step (2.5 s) was over, and then wait for an order that never comes.
            page.click("#kill-member")
            expect(page.locator("#last-kill")).to_have_text("Waiting for a member to be in the middle of an order…")
            expect(page.locator("#kill-member")).to_be_disabled()
            place_on_page(page, f"kill-{mode}")
            expect(page.locator("#last-kill")).to_contain_text(f"({mode})", timeout=20_000)
            order_id = stack.get_json("/fulfilment/state")["control"]["last_kill"]["order_id"]
            row = rows[mode] = page.locator(f'#orders tr[data-order-id="{order_id}"]')
            # The group is whole again (a new member, nothing left to read) before the counters are read.
            expect(page.locator("#members tr[data-member]")).to_have_count(1, timeout=40_000)
            expect_total_lag(page, "0", timeout=40_000)
            expect(row.locator(".status")).to_have_text(final, timeout=20_000)
            expect(page.locator("#lost-count")).to_have_text(lost, timeout=10_000)
            expect(page.locator("#twice-count")).to_have_text(twice)
            # The deliveries list is polled apart from the feed that moved the row: it may come a moment later.
            wait_until(
                lambda deliveries=deliveries: delivered(page) == deliveries,
                timeout=10,
                message=lambda mode=mode: f"{mode}: the deliveries show {delivered(page)}",
            )
            expect(row.locator(".mark")).to_have_text(marks, timeout=10_000)
            page.screenshot(path=str(SHOTS / f"killed-{mode}.png"), full_page=True)
        # On Live, which reads the marks itself, each row keeps its mark after the mode moved on.
        page.click("a[data-view-link=live]")
        page.reload()
        for mode, (*_, marks) in expected.items():
            expect(rows[mode].locator(".mark")).to_have_text(marks, timeout=15_000)
        rows["at-most-once"].scroll_into_view_if_needed()
        page.screenshot(path=str(SHOTS / "marked-rows-live.png"), full_page=True)


def test_a_stuck_order_is_listed_and_the_recover_button_drives_it_once(make_stack, kafka_broker, browser):
    # No worker runs: an order the publisher put on the topic is stuck a second later.
    stack = make_stack(
        kafka_broker.bootstrap_servers,
        services=("web", "publisher"),
        FULFILMENT_STUCK_AFTER_SECONDS="1",
        FULFILMENT_RECOVERY_SECONDS="0",
        FULFILMENT_FAILURE_RATE="0",
    )
    with open_dashboard(browser, stack.base_url, "/groups") as page:
        expect(command(page, "stuck")).to_have_text("python manage.py fulfilment stuck")
        expect(command(page, "recover")).to_have_text("python manage.py fulfilment stuck --recover")
        expect(page.locator("#stuck-rule")).to_contain_text("over 1 s, no member working on them; recovered only on")
        expect(page.locator("#stuck-orders")).to_have_text("none")
        place_on_page(page, "stuck-on-page")
        row = page.locator("#stuck-orders tr[data-order-id]")
        expect(row).to_have_count(1, timeout=20_000)
        order_id = row.get_attribute("data-order-id")
        expect(row.locator("td.order")).to_have_text(order_id)
        expect(row.locator("td.order-status")).to_have_text("QUEUED")
        expect(row.locator("td.age")).to_have_text(re.compile(r"^\d+ s$"))
        expect(row.locator("td.record")).to_have_text(re.compile(r"^[0-2]@0$"))
        expect(row.locator("td.member")).to_have_text("–")
        assert_no_sideways_scroll(page, "the groups view with a stuck order")
        assert_accessible(page)
        page.screenshot(path=str(SHOTS / "stuck-order.png"), full_page=True)

        page.click("#recover-stuck")
        expect(page.locator("#recovered")).to_contain_text(f"recovered {order_id[:8]} completed")
        expect(page.locator("#stuck-orders")).to_have_text("none", timeout=5_000)
        status = page.locator(f'#orders tr[data-order-id="{order_id}"] .status')
        expect(status).to_have_text("COMPLETED", timeout=10_000)
        page.click("#recover-stuck")
        expect(page.locator("#recovered")).to_contain_text("nothing was stuck")
    statuses = [
        json.loads(record.value)["order"]["status"]
        for record in read_records(kafka_broker.bootstrap_servers, stack.topic, expected=3)
    ]
    assert sorted(statuses) == ["COMPLETED", "PROCESSING", "QUEUED"]


@pytest.fixture
def runner_broker(kafka_broker, tmp_path):
    """A broker run as `make run` runs it (`python -m localkafka run`), with the control file the page uses."""
    port, control = free_port(), tmp_path / "run.json"
    log = open(ARTIFACTS / "kafka-runner.log", "ab")
    process = subprocess.Popen(
        runner_command(tmp_path / "data", port, control),
        cwd=ROOT,
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    wait_until(
        lambda: control.exists() and json.loads(control.read_text())["state"] == "running",
        timeout=90,
        message="the foreground broker did not come up",
    )
    create_topic(f"127.0.0.1:{port}", "orders")
    yield f"127.0.0.1:{port}", control
    process.terminate()
    process.wait(40)


@pytest.mark.faults
def test_a_broker_stopped_from_the_page_buffers_orders_that_drain_in_order(make_stack, runner_broker, browser):
    bootstrap, control = runner_broker
    stack = make_stack(
        bootstrap,
        services=("web", "grpc", "publisher", "worker"),
        LOCAL_KAFKA_PIDFILE=str(control),
        FULFILMENT_STEP_DELAY_MS="100",
        FULFILMENT_FAILURE_RATE="0",
    )
    with open_dashboard(browser, stack.base_url, "/groups") as page:
        expect(page.locator("#broker-state")).to_have_text("running", timeout=20_000)
        named = f"LOCAL_KAFKA_PIDFILE={shlex.quote(str(control.resolve()))} python -m localkafka"
        expect(command(page, "broker")).to_have_text(f"{named} stop-broker")
        page.click("#broker-stop")
        expect(page.locator("#broker-state")).to_have_text("stopped", timeout=40_000)
        expect(command(page, "broker")).to_have_text(f"{named} start-broker")
        placed = []
        for index, transport in enumerate(["rest", "grpc", "rest"]):
            place_on_page(page, f"offline-{index}", transport)
            placed.append(page.locator("#orders tr").first.get_attribute("data-order-id"))
        expect(page.locator("#outbox-state")).to_contain_text(
            re.compile(r"Outbox: 3 waiting, oldest \d+ s"), timeout=10_000
        )
        page.screenshot(path=str(SHOTS / "broker-stopped.png"), full_page=True)

        page.click("#broker-start")
        expect(page.locator("#broker-state")).to_have_text("running", timeout=60_000)
        expect(command(page, "broker")).to_have_text(f"{named} stop-broker")
        expect(page.locator("#outbox-state")).to_contain_text("Outbox: 0 waiting", timeout=60_000)
        expect(page.locator("#orders .status-COMPLETED")).to_have_count(3, timeout=60_000)
        created = {
            json.loads(record.value)["order"]["order_id"]: record
            for record in read_records(bootstrap, stack.topic, expected=9)
            if json.loads(record.value)["type"] == "order.created"
        }
        assert sorted(created) == sorted(placed)
        # The outbox sends in commit order: never a later order first, neither by time (records of one flush may
        # share a millisecond) nor by offset within a partition.
        in_order = [created[order_id] for order_id in placed]
        assert [r.timestamp for r in in_order] == sorted(r.timestamp for r in in_order)
        for partition in {r.partition for r in in_order}:
            offsets = [r.offset for r in in_order if r.partition == partition]
            assert offsets == sorted(offsets), f"partition {partition} got the waiting events out of order"
        page.screenshot(path=str(SHOTS / "broker-started.png"), full_page=True)
