"""The Topic view's produce form in Chromium against the real processes and broker: a record to a chosen partition,
by key, and a tombstone, each shown in the feed; and the terminal command shown beside the form, run as copied,
writes the same record (key, value or none, headers, partition)."""

import subprocess

from playwright.sync_api import expect

from harness.processes import ROOT
from harness.topics import end_offsets, read_records
from messaging import judging
from tests.conftest import ARTIFACTS, open_dashboard


def fill(page, *, key="", partition="", headers="", value="", tombstone=False) -> None:
    if page.locator("#produce-box").get_attribute("open") is None:
        page.locator("#produce-box summary").click()
    page.fill("#produce-key", key)
    page.fill("#produce-partition", partition)
    page.fill("#produce-headers", headers)
    page.set_checked("#produce-tombstone", tombstone)
    if not tombstone:
        page.fill("#produce-value", value)


def produce(page) -> tuple[int, int]:
    page.locator("#produce-result").evaluate("node => { node.textContent = ''; }")
    page.click("#produce")
    result = page.locator("#produce-result")
    expect(result).to_contain_text("sent to partition", timeout=10_000)
    words = result.text_content().replace(",", "").split()
    return int(words[3]), int(words[5])


def run_shown_command(page) -> str:
    command = page.locator("#produce-command").text_content()
    result = subprocess.run(["bash", "-c", command], cwd=ROOT, capture_output=True, text=True, timeout=90, check=False)
    assert result.returncode == 0, (command, result.stderr[-2000:])
    return command


def last_two(stack, written: int) -> list[tuple]:
    """The two newest of the `written` records on the stack's topic as (partition, key, value, headers), oldest first
    (all are read: a reader gets the partitions one poll at a time)."""
    records = read_records(stack.bootstrap_servers, stack.topic, expected=written)
    assert len(records) == written
    return [(r.partition, r.key, r.value, tuple(r.headers)) for r in records[-2:]]


def test_the_form_and_its_command_write_the_same_records(make_stack, kafka_broker, browser):
    stack = make_stack(kafka_broker.bootstrap_servers)
    hand_made = (judging.HAND_MADE_HEADER, b"dashboard produce")
    cases = [
        (
            "a chosen partition",
            {"key": "k|1", "partition": "2", "headers": "team: blue\nempty:", "value": "two\nlines"},
            "manage.py kafka_produce",
        ),
        ("by key", {"key": "learner-7", "headers": "a,b: c:d|e", "value": "héllo, world"}, "Kafka's console producer"),
        ("no key, empty value", {"value": ""}, "Kafka's console producer"),
        ("a tombstone", {"key": "gone-1", "headers": "why: deleted", "tombstone": True}, "Kafka's console producer"),
        (
            "a tombstone on a partition",
            {"key": "gone-2", "partition": "0", "tombstone": True},
            "manage.py kafka_produce",
        ),
    ]
    with open_dashboard(browser, stack.base_url, "/topic") as page:
        expect(page.locator("#kafka-state")).to_have_attribute("data-state", "ok", timeout=15_000)
        for written, (name, typed, tool) in enumerate(cases, start=1):
            fill(page, **typed)
            expect(page.locator("#produce-tool")).to_have_text(f"{tool}: ")
            partition, _ = produce(page)
            if typed.get("partition"):
                assert partition == int(typed["partition"]), name
            elif typed.get("key"):
                assert partition == judging.home_partition(typed["key"].encode(), 3), name
            command = run_shown_command(page)
            from_form, from_command = last_two(stack, 2 * written)
            if not typed.get("key") and not typed.get("partition"):
                # a keyless record's partition is the producer's pick
                from_form, from_command = from_form[1:], from_command[1:]
            assert from_form == from_command, (name, command)
            assert from_form[-1][-1] == hand_made, name
            assert (from_form[-2] is None) == bool(typed.get("tombstone")), name
        page.screenshot(path=str(ARTIFACTS / "workbench-produce-command.png"), full_page=True)

        tombstones = page.locator('#feed tr.record[data-key="gone-1"]')
        expect(tombstones).to_have_count(2, timeout=15_000)
        for row in tombstones.all():
            expect(row).to_contain_text("(tombstone)")
            expect(row.locator(".hand-made")).to_have_text("hand-made")
            expect(row.locator(".flag")).to_have_text("invalid")
            expect(row.locator(".flag-reason")).to_have_text("no value (a tombstone)")

        tombstones.first.locator("button.link").click()
        page.locator("#feed tr.detail:not([hidden]) button.reproduce").click()
        expect(page.locator("#produce-tombstone")).to_be_checked()
        expect(page.locator("#produce-value")).to_be_disabled()
        expect(page.locator("#produce-key")).to_have_value("gone-1")
        assert page.dialogs == []


def test_bad_input_is_shown_beside_the_form_and_writes_nothing(make_stack, kafka_broker, browser):
    stack = make_stack(kafka_broker.bootstrap_servers)
    with open_dashboard(browser, stack.base_url, "/topic") as page:
        expect(page.locator("#kafka-state")).to_have_attribute("data-state", "ok", timeout=15_000)
        before = end_offsets(stack.bootstrap_servers, stack.topic)
        fill(page, key="k", partition="7", value="x")
        page.click("#produce")
        expect(page.locator("#produce-error")).to_contain_text("has no partition 7: its partitions are 0 to 2")
        fill(page, partition="", headers="big: " + "v" * 9000, value="x")
        page.click("#produce")
        expect(page.locator("#produce-error")).to_contain_text("At most 8192 bytes")
        fill(page, tombstone=True)
        page.click("#produce")
        expect(page.locator("#produce-error")).to_contain_text("A tombstone deletes a key")
        assert end_offsets(stack.bootstrap_servers, stack.topic) == before
