"""The Topic view's search panel in Chromium against the real web process and broker: it finds the planted records
(one of them not UTF-8, shown in hex), shows the server's field errors, cancels, and fits 390 and 1440 px in both
themes with no serious axe finding (screenshots in test-artifacts/topic_search/)."""

from __future__ import annotations

import uuid

import pytest
from playwright.sync_api import expect

from harness.processes import Stack
from harness.topics import create_topic
from tests.conftest import ARTIFACTS
from tests.support.page_checks import assert_accessible, assert_no_sideways_scroll
from tests.topic_search.conftest import NEEDLE, batching_producer, fill

SHOTS = ARTIFACTS / "topic_search"
RECORDS = 60_000
PLANTED = {5, 20_001, 59_998}
BINARY = b"\x00\xff\xfe " + NEEDLE.encode() + b" \x80\x81 not UTF-8"


@pytest.fixture(scope="module")
def stack(kafka_broker):
    topic = f"orders-search-page-{uuid.uuid4().hex[:8]}"
    create_topic(kafka_broker.bootstrap_servers, topic)
    fill(kafka_broker.bootstrap_servers, topic, RECORDS, PLANTED)
    producer = batching_producer(kafka_broker.bootstrap_servers)
    producer.send(topic, key=b"binary-key", value=BINARY, partition=1)
    producer.flush(10)
    producer.close()
    running = Stack(
        bootstrap_servers=kafka_broker.bootstrap_servers, topic=topic, log_dir=ARTIFACTS, services=("web",)
    ).start()
    yield running
    running.stop()


def open_topic_view(browser, stack, width=1440, theme="light"):
    context = browser.new_context(viewport={"width": width, "height": 900}, color_scheme=theme)
    page = context.new_page()
    page.goto(stack.base_url + "/topic")
    expect(page.locator("#topic-search-card .ts-run")).to_be_enabled()
    return context, page


def search_for_the_needle(page) -> None:
    card = page.locator("#topic-search-card")
    card.locator(".ts-value input").fill(NEEDLE)
    card.locator(".ts-run").click()
    expect(card.locator(".ts-stopped")).to_have_attribute("data-reason", "end_of_topic", timeout=30_000)


def test_the_panel_finds_the_planted_records_and_shows_bytes_in_hex(browser, stack):
    context, page = open_topic_view(browser, stack)
    try:
        search_for_the_needle(page)
        card = page.locator("#topic-search-card")
        expect(card.locator("tr.record")).to_have_count(len(PLANTED) + 1)
        expect(card.locator(".ts-line")).to_contain_text(f"{RECORDS + 1:,} of {RECORDS + 1:,} records scanned")
        expect(card.locator(".ts-stopped")).to_have_text("Stopped: it reached the end of the range.")
        binary = card.locator('tr.record[data-partition="1"]', has=page.locator("code", has_text="binary-k"))
        expect(binary).to_contain_text("(base64)")
        binary.get_by_role("button", name="payload").click()
        expect(card.locator("pre.hex-view")).to_contain_text("00 ff fe 20")
    finally:
        context.close()


def test_the_servers_field_errors_show_beside_their_fields(browser, stack):
    context, page = open_topic_view(browser, stack)
    try:
        card = page.locator("#topic-search-card")
        card.locator(".ts-partitions input").fill("0, 9")
        card.locator(".ts-run").click()
        expect(card.locator("#topic-search-1-partitions-error")).to_contain_text("no partition 9")
        expect(card.locator(".ts-partitions input")).to_have_attribute("aria-invalid", "true")
        card.locator(".ts-partitions input").fill("x")
        card.locator(".ts-run").click()
        expect(card.locator("#topic-search-1-partitions-error")).to_contain_text("a list of partition numbers")
        expect(card.locator(".ts-run")).to_be_enabled()
        SHOTS.mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(SHOTS / "search-field-error-1440.png"))
    finally:
        context.close()


def test_cancel_stops_the_search_and_says_so(browser, stack):
    context, page = open_topic_view(browser, stack)
    try:
        card = page.locator("#topic-search-card")
        card.locator(".ts-value input").fill("no such text anywhere")
        card.locator(".ts-run").click()
        expect(card.locator(".ts-line")).to_contain_text("records scanned")
        card.locator(".ts-cancel").click()
        expect(card.locator(".ts-stopped")).to_have_attribute("data-reason", "cancelled", timeout=10_000)
        expect(card.locator(".ts-stopped")).to_have_text("Stopped: it was cancelled.")
        expect(card.locator(".ts-cancel")).to_be_disabled()
    finally:
        context.close()


SIZES = [(390, "light"), (390, "dark"), (1440, "light"), (1440, "dark")]


@pytest.mark.parametrize(("width", "theme"), SIZES, ids=[f"{width}-{theme}" for width, theme in SIZES])
def test_the_panel_fits_the_width_and_passes_axe(browser, stack, width, theme):
    context, page = open_topic_view(browser, stack, width, theme)
    try:
        expect(page.locator("html")).to_have_attribute("data-theme", theme)
        search_for_the_needle(page)
        card = page.locator("#topic-search-card")
        card.locator("details.ts-bounds summary").click()
        card.locator("tr.record button[data-rove]").last.click()
        assert_no_sideways_scroll(page, f"the search panel at {width}px")
        assert_accessible(page)
        SHOTS.mkdir(parents=True, exist_ok=True)
        page.evaluate("() => window.scrollTo(0, 0)")  # the sticky header at the top of the full-page shot
        page.screenshot(path=str(SHOTS / f"search-{width}-{theme}.png"), full_page=True)
    finally:
        context.close()
