"""The Topics view and a topic's view in Chromium against the real processes and broker: each at a phone's and a
desktop's width in both themes (no sideways scroll, no serious axe finding, a screenshot); and a topic created,
looked at, browsed and deleted from the page, each step's Kafka command shown."""

import json
import uuid
from pathlib import Path

import pytest
from playwright.sync_api import expect

from harness.processes import Stack
from harness.topics import create_topic
from tests.conftest import ARTIFACTS
from tests.support.page_checks import assert_accessible, assert_no_sideways_scroll
from tests.support.waiting import wait_until
from tests.topics.conftest import make_topic, produce
from tests.topics.test_topic_changes import run_tool

SHOTS = ARTIFACTS / "topics"
SIZES = [(390, "light"), (390, "dark"), (1440, "light"), (1440, "dark")]


@pytest.fixture(scope="module")
def stack(kafka_broker, tmp_path_factory):
    """The web process alone, on the session's broker, which it takes for the local one `make run` started."""
    control = tmp_path_factory.mktemp("local-broker") / "run.json"
    control.write_text(
        json.dumps(
            {"pid": kafka_broker.process.pid, "bootstrap_servers": kafka_broker.bootstrap_servers, "state": "running"}
        )
    )
    topic = f"orders-topics-page-{uuid.uuid4().hex[:8]}"
    create_topic(kafka_broker.bootstrap_servers, topic)
    running = Stack(
        bootstrap_servers=kafka_broker.bootstrap_servers,
        topic=topic,
        log_dir=ARTIFACTS,
        services=("web",),
        extra_env={"LOCAL_KAFKA_PIDFILE": str(control), "FULFILMENT_CONTROLS": "1"},
    ).start()
    yield running
    running.stop()


@pytest.fixture(scope="module")
def browsed(kafka_broker):
    """A topic with an override, text records and one whose key and value are not UTF-8."""
    name = make_topic(
        kafka_broker.bootstrap_servers, f"page-browse-{uuid.uuid4().hex[:6]}", configs={"retention.ms": "7200000"}
    )
    records = [(i % 3, f"key-{i}".encode(), json.dumps({"n": i}).encode(), [("source", b"test")]) for i in range(30)]
    produce(kafka_broker.bootstrap_servers, name, [*records, (1, b"\xff\x00bin", b"\x89PNG\r\n\x1a\n\x00\xff", [])])
    return name


def goto(browser, stack, path: str, width: int = 1440, theme: str = "light"):
    context = browser.new_context(viewport={"width": width, "height": 900}, color_scheme=theme)
    page = context.new_page()
    page.goto(stack.base_url + path)
    expect(page.locator("html")).to_have_attribute("data-theme", theme)
    return context, page


@pytest.mark.parametrize(("width", "theme"), SIZES, ids=[f"{width}-{theme}" for width, theme in SIZES])
@pytest.mark.parametrize("view", ["topics", "topic-details"])
def test_each_view_fits_the_width_and_passes_axe(browser, stack, browsed, view, width, theme):
    path = "/topics" if view == "topics" else f"/topics/{browsed}"
    context, page = goto(browser, stack, path, width, theme)
    try:
        expect(page.locator("#main")).to_have_attribute("data-view", view)
        if view == "topics":
            expect(page.locator(f'#topics-rows tr[data-topic="{browsed}"]')).to_contain_text("31", timeout=15_000)
        else:
            expect(page.locator("#td-partitions tr")).to_have_count(3, timeout=15_000)
            expect(page.locator("#tr-rows tr.record")).to_have_count(31, timeout=15_000)
            page.locator('#tr-rows tr.record[data-partition="1"][data-offset="10"] button').click()  # the binary one
            expect(page.locator("#tr-rows pre.hex-view")).to_have_count(2)
        assert_no_sideways_scroll(page, f"{view} at {width}px")
        assert_accessible(page)
        page.evaluate("() => window.scrollTo(0, 0)")
        SHOTS.mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(SHOTS / f"{view}-{width}-{theme}.png"), full_page=True)
    finally:
        context.close()


def test_a_topics_details_mark_overrides_and_its_records_page_export_and_print_from_a_terminal(browser, stack, browsed):
    context, page = goto(browser, stack, "/topics")
    try:
        page.locator(f'#topics-rows a:text-is("{browsed}")').click()
        expect(page).to_have_url(f"{stack.base_url}/topics/{browsed}")
        expect(page.locator("#view-title")).to_have_text(f"Topic {browsed}")
        expect(page.locator('a[data-view-link="topics"]').first).to_have_attribute("aria-current", "page")
        row = page.locator('#td-configs tr[data-config="retention.ms"]')
        expect(row).to_contain_text("override", timeout=15_000)
        expect(page.locator('#td-configs tr[data-config="cleanup.policy"]')).to_contain_text("default")
        page.check("#td-overrides-only")
        expect(page.locator("#td-configs tr")).to_have_count(1)
        expect(page.locator("#td-partitions tr").first).to_contain_text("1")  # leader, replicas, ISR: node 1
        page.select_option("#tr-limit", "20")
        page.click("#tr-show")
        expect(page.locator("#tr-rows tr.record")).to_have_count(20)
        expect(page.locator("#tr-rows tr.record").first).to_have_attribute("data-offset", "10")  # the newest
        page.click("#tr-older")
        expect(page.locator("#tr-rows tr.record")).to_have_count(11)
        expect(page.locator("#tr-older")).to_be_disabled()
        page.select_option("#tr-partition", "2")
        page.fill("#tr-offset", "3")
        page.click("#tr-show")
        expect(page.locator("#tr-rows tr.record")).to_have_count(7)
        offsets = page.locator("#tr-rows tr.record").evaluate_all("rows => rows.map(r => r.dataset.offset)")
        assert offsets == ["9", "8", "7", "6", "5", "4", "3"]
        with page.expect_download() as download:
            page.click("#tr-export")
        exported = [json.loads(line) for line in Path(download.value.path()).read_text().splitlines()]
        assert [(frame["partition"], frame["offset"]) for frame in exported] == [(2, n) for n in range(3, 10)]
        page.locator('#tr-rows tr.record[data-offset="3"] button').click()
        command = page.locator("#tr-rows tr.detail:not([hidden]) .copy-as code").text_content()
        assert f"--topic {browsed} --partition 2 --offset 3 --max-messages 1" in command
    finally:
        context.close()
    printed = run_tool(command)
    assert "key-11" in printed.stdout and '{"n": 11}' in printed.stdout, printed.stdout


def test_create_then_delete_a_topic_from_the_page_with_its_commands(browser, stack, kafka_broker):
    name = f"page-made-{uuid.uuid4().hex[:6]}"
    bootstrap = kafka_broker.bootstrap_servers
    context, page = goto(browser, stack, "/topics")
    try:
        expect(page.locator("#topic-create-button")).to_be_enabled(timeout=15_000)
        page.fill("#topic-create-name", "not a name")
        page.click("#topic-create-button")
        expect(page.locator("#topic-create-name-error")).to_contain_text("Use 1 to 249 characters")
        page.fill("#topic-create-name", name)
        page.fill("#topic-create-partitions", "2")
        page.fill("#topic-create-configs", "retention.ms=60000")
        page.click("#topic-check")
        command = (
            f"python -m localkafka topics --bootstrap-server {bootstrap} --create --topic {name} --partitions 2 "
            "--replication-factor 1 --config retention.ms=60000"
        )
        expect(page.locator("#topic-create-command")).to_have_text(command)
        expect(page.locator("#topic-create-result")).to_contain_text("would create")
        page.click("#topic-create-button")
        expect(page.locator("#topic-create-result")).to_contain_text(f"Created {name}")
        expect(page.locator(f'#topics-rows tr[data-topic="{name}"]')).to_be_visible()
        page.locator("#topic-create-result a").click()
        expect(page.locator("#td-partitions tr")).to_have_count(2, timeout=15_000)
        expect(page.locator("#td-delete-command")).to_have_text(
            f"python -m localkafka topics --bootstrap-server {bootstrap} --delete --topic {name}"
        )
        page.click("#td-delete")
        page.click("#td-delete-yes")
        expect(page).to_have_url(f"{stack.base_url}/topics")
        wait_until(
            lambda: page.locator(f'#topics-rows tr[data-topic="{name}"]').count() == 0,
            timeout=20,
            message="the deleted topic is still listed",
        )
    finally:
        context.close()


def test_the_orders_topic_cannot_be_deleted_from_the_page(browser, stack):
    context, page = goto(browser, stack, f"/topics/{stack.topic}")
    try:
        expect(page.locator("#td-delete-note")).to_have_text(
            "The playground's orders topic is not deleted from here.", timeout=15_000
        )
        expect(page.locator("#td-delete")).to_be_disabled()
    finally:
        context.close()


def test_a_record_produced_from_a_topics_view_lands_on_its_partition_and_is_browsed(browser, stack, kafka_broker):
    name = make_topic(kafka_broker.bootstrap_servers, f"page-produce-{uuid.uuid4().hex[:6]}")
    context, page = goto(browser, stack, f"/topics/{name}")
    try:
        page.locator("#td-produce-box summary").click()
        expect(page.locator("#td-produce-box summary")).to_contain_text(name)
        page.fill("#td-produce-key", "chosen")
        page.fill("#td-produce-partition", "1")
        page.fill("#td-produce-value", '{"made": "here"}')
        page.click("#td-produce")
        expect(page.locator("#td-produce-result")).to_have_text("sent to partition 1, offset 0", timeout=15_000)
        expect(page.locator("#td-produce-command")).to_contain_text(name)
        page.select_option("#tr-partition", "1")
        page.click("#tr-show")
        row = page.locator("#tr-rows tr.record")
        expect(row).to_have_count(1, timeout=15_000)
        expect(row).to_have_attribute("data-partition", "1")
        expect(row).to_contain_text("chosen")
    finally:
        context.close()


def test_a_topics_view_searches_that_topic_on_the_server(browser, stack, browsed):
    context, page = goto(browser, stack, f"/topics/{browsed}")
    try:
        card = page.locator("#td-search-card")
        expect(card.locator("h2 code")).to_have_text(browsed)
        card.locator(".ts-key input").fill("key-11")
        card.locator(".ts-key_match select").select_option("exact")
        card.locator(".ts-run").click()
        expect(card.locator(".ts-stopped")).to_have_attribute("data-reason", "end_of_topic", timeout=30_000)
        expect(card.locator("tr.record")).to_have_count(1)
        expect(card.locator("tr.record")).to_have_attribute("data-offset", "3")  # key-11: the 4th record of partition 2
    finally:
        context.close()


def test_a_topics_view_says_which_partition_a_key_goes_to_and_why(browser, stack, browsed):
    context, page = goto(browser, stack, f"/topics/{browsed}")
    try:
        page.fill("#td-key", "abc")
        page.locator("#td-key-form button").click()
        # murmur2("abc") = 479470107 (as Java prints it), positive already; 479470107 % 3 = 0.
        expect(page.locator("#td-key-answer")).to_have_text(
            "partition 0: murmur2(key) = 479470107; 479470107 & 0x7fffffff = 479470107; 479470107 % 3 = 0"
            " (the key's 3 UTF-8 bytes)"
        )
    finally:
        context.close()
