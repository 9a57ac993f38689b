"""The Kafka feed in Chromium: it opens on the newest records already on the topic, starts from the beginning, an
offset or a time, filters, and exports exactly what it shows."""

import json
import time
import uuid
from collections import Counter

from kafka import KafkaProducer
from playwright.sync_api import expect

from harness.order_events import order_event
from messaging.judging import home_partition
from tests.conftest import ARTIFACTS, open_dashboard
from tests.support.http_orders import post_order
from tests.support.waiting import wait_until

NEWEST = 20  # records per partition a fresh page shows (the dashboard's newest_per_partition)


def write(bootstrap: str, topic: str, records: list[dict]) -> list[tuple[int, int]]:
    """Produce records (kafka-python send() arguments); return (partition, offset) of each."""
    producer = KafkaProducer(bootstrap_servers=bootstrap)
    futures = [producer.send(topic, **record) for record in records]
    producer.flush()
    placed = [(future.get(10).partition, future.get(10).offset) for future in futures]
    producer.close()
    return placed


def shown(page) -> list[tuple[int, int]]:
    """(partition, offset) of the rows the feed shows, as they stand (hidden rows left out)."""
    return [
        tuple(map(int, pair))
        for pair in page.locator("#feed tr.record:not([hidden])").evaluate_all(
            "rows => rows.map(r => [r.dataset.partition, r.dataset.offset])"
        )
    ]


def expect_shown(page, expected: set, timeout: float = 15.0) -> None:
    wait_until(
        lambda: set(shown(page)) == expected,
        timeout=timeout,
        interval=0.1,
        message=lambda: f"the feed shows {sorted(shown(page))}, not {sorted(expected)}",
    )
    assert len(shown(page)) == len(expected), "each record once"


def test_a_fresh_page_shows_the_newest_records_already_on_the_topic(make_stack, kafka_broker, browser):
    stack = make_stack(kafka_broker.bootstrap_servers)
    placed = write(
        kafka_broker.bootstrap_servers,
        stack.topic,
        [{"partition": 0, "value": f"old-{n}".encode()} for n in range(30)] + [{"partition": 2, "value": b"only one"}],
    )
    with open_dashboard(browser, stack.base_url) as page:
        expect_shown(page, {(0, offset) for offset in range(30 - NEWEST, 30)} | {placed[-1]})
        expect(page.locator("#kafka-state")).to_have_attribute("data-state", "ok")
        _, order_id, _ = post_order(stack.base_url, "after-open")
        expect(page.locator(f'#feed tr.record[data-key="{order_id}"]')).to_have_count(1, timeout=15_000)


def test_start_from_the_beginning_an_offset_or_a_time(make_stack, kafka_broker, browser):
    stack = make_stack(kafka_broker.bootstrap_servers)
    base = int(time.time() * 1000) - 60_000
    write(
        kafka_broker.bootstrap_servers,
        stack.topic,
        [{"partition": 1, "value": f"r{n}".encode(), "timestamp_ms": base + 1000 * n} for n in range(30)]
        + [{"partition": 0, "value": b"p0", "timestamp_ms": base}],
    )
    with open_dashboard(browser, stack.base_url, "/topic") as page:
        expect_shown(page, {(1, n) for n in range(10, 30)} | {(0, 0)})
        page.select_option("#start-from", "beginning")
        page.click("#start")
        expect_shown(page, {(1, n) for n in range(30)} | {(0, 0)})

        page.select_option("#start-from", "offsets")
        page.fill("#start-offsets", "1:27")
        page.click("#start")
        expect_shown(page, {(1, 27), (1, 28), (1, 29)})

        page.select_option("#start-from", "time")
        local = page.evaluate(
            """ms => new Date(ms - new Date(ms).getTimezoneOffset() * 60000)
                                        .toISOString().slice(0, 23)""",
            base + 1000 * 25,
        )
        page.fill("#start-time", local)
        page.click("#start")
        expect_shown(page, {(1, n) for n in range(25, 30)})

        page.select_option("#start-from", "offsets")
        page.fill("#start-offsets", "one:2")
        page.click("#start")
        expect(page.locator("#start-error")).to_contain_text("is not partition:offset")


def test_filters_show_exactly_the_matching_records_and_export_writes_them(make_stack, kafka_broker, browser):
    stack = make_stack(kafka_broker.bootstrap_servers)
    orders = [post_order(stack.base_url, f"filter-{n}")[1] for n in range(3)]
    raw = write(
        kafka_broker.bootstrap_servers,
        stack.topic,
        [
            {"partition": 0, "key": b"plain-key", "value": b"not json at all"},
            {"partition": 1, "value": b'{"some": "json"}', "headers": [("team", b"blue")]},
        ],
    )
    with open_dashboard(browser, stack.base_url, "/topic") as page:
        expect(page.locator("#feed tr.record")).to_have_count(5, timeout=15_000)
        everything = set(shown(page))
        order_rows = {pair for pair in everything if pair not in raw}

        page.select_option("#filter-type", "other")
        expect_shown(page, set(raw))
        page.select_option("#filter-type", "")
        page.select_option("#filter-source", "rest")
        expect_shown(page, order_rows)
        page.select_option("#filter-source", "")
        page.fill("#filter-text", "BLUE")
        expect_shown(page, {raw[1]})
        expect(page.locator("#filter-count")).to_have_text("1 of 5 match")
        page.fill("#filter-text", "")
        page.fill("#filter-key", orders[1][:8])
        expect_shown(
            page,
            {
                pair
                for pair in order_rows
                if page.locator(f'#feed tr.record[data-partition="{pair[0]}"][data-offset="{pair[1]}"]').get_attribute(
                    "data-key"
                )
                == orders[1]
            },
        )
        page.fill("#filter-key", "")
        page.select_option("#filter-partition", "0")
        expect_shown(page, {pair for pair in everything if pair[0] == 0})

        with page.expect_download() as download:
            page.click("#export")
        lines = open(download.value.path()).read().splitlines()
        exported = [json.loads(line) for line in lines]
        assert [(frame["partition"], frame["offset"]) for frame in exported] == sorted(
            pair for pair in everything if pair[0] == 0
        )
        page.screenshot(path=str(ARTIFACTS / "feed-filtered.png"), full_page=True)


def test_a_start_the_topic_cannot_give_is_refused_at_its_field_and_the_feed_stays(make_stack, kafka_broker, browser):
    stack = make_stack(kafka_broker.bootstrap_servers)
    placed = write(
        kafka_broker.bootstrap_servers, stack.topic, [{"partition": 1, "value": f"r{n}".encode()} for n in range(5)]
    )
    with open_dashboard(browser, stack.base_url, "/topic") as page:
        expect_shown(page, set(placed))
        page.select_option("#start-from", "offsets")
        # A partition the topic lacks: refused in the page, with the partitions it has.
        page.fill("#start-offsets", "7:0")
        page.click("#start")
        expect(page.locator("#start-error")).to_have_text("partition 7 does not exist: the topic has partitions 0–2")
        # Past a partition's end: the server refuses it, with the partition's range, and nothing else changes.
        page.fill("#start-offsets", "1:900")
        page.click("#start")
        expect(page.locator("#start-error")).to_have_text("offset 900 of partition 1 is past its end: 0–5")
        expect_shown(page, set(placed))
        expect(page.locator("#kafka-state")).to_have_attribute("data-state", "ok")
        # The stream is still live: a new record arrives.
        extra = write(kafka_broker.bootstrap_servers, stack.topic, [{"partition": 2, "value": b"after"}])
        expect_shown(page, set(placed) | set(extra))


def test_rows_are_newest_first_across_partitions_from_history_and_live(make_stack, kafka_broker, browser):
    stack = make_stack(kafka_broker.bootstrap_servers)
    base = int(time.time() * 1000) - 60_000
    # Written partition by partition, so history comes in blocks by partition; the timestamps interleave them.
    records = sorted(
        ({"partition": n % 3, "value": f"r{n}".encode(), "timestamp_ms": base + 1000 * n} for n in range(24)),
        key=lambda record: record["partition"],
    )
    records += [
        {"partition": 0, "value": b"newest", "timestamp_ms": base + 100_000},
        {"partition": 2, "value": b"in the middle", "timestamp_ms": base + 10_500},
    ]
    history = write(kafka_broker.bootstrap_servers, stack.topic, records[:24])

    def newest_first(placed):
        stamps = {where: record["timestamp_ms"] for where, record in zip(placed, records, strict=False)}
        return sorted(placed, key=lambda where: stamps[where], reverse=True)

    def expect_order(placed):
        wait_until(
            lambda: shown(page) == newest_first(placed),
            timeout=15,
            interval=0.1,
            message=lambda: f"the feed shows {shown(page)}, not {newest_first(placed)}",
        )

    with open_dashboard(browser, stack.base_url, "/topic") as page:
        expect_order(history)
        # Live records land in place too: one newer than all, one whose timestamp falls in the middle.
        placed = history + write(kafka_broker.bootstrap_servers, stack.topic, records[24:])
        expect_order(placed)

        page.click("#clear")
        expect_shown(page, set())
        page.select_option("#start-from", "beginning")
        page.click("#start")
        expect_order(placed)


def test_the_feed_keeps_every_row_but_draws_the_newest_25_until_asked(make_stack, kafka_broker, browser):
    stack = make_stack(kafka_broker.bootstrap_servers)
    placed = write(kafka_broker.bootstrap_servers, stack.topic, [{"partition": 1, "value": b"r"} for _ in range(120)])
    drawn = "rows => rows.filter((row) => row.getClientRects().length).length"
    with open_dashboard(browser, stack.base_url, "/topic") as page:
        page.select_option("#buffer-size", "500")
        page.select_option("#start-from", "beginning")
        page.click("#start")
        expect_shown(page, set(placed))
        expect(page.locator("#feed-count")).to_have_text("120 records")
        assert page.locator("#feed tr.record").evaluate_all(drawn) == 25
        expect(page.locator("#feed-more")).to_contain_text("95 older records kept, not drawn.")
        page.locator("#feed-more button").click()
        assert page.locator("#feed tr.record").evaluate_all(drawn) == 50
        expect(page.locator("#feed-more")).to_contain_text("70 older records kept, not drawn.")
        for _ in range(3):
            page.locator("#feed-more button").click()
        assert page.locator("#feed tr.record").evaluate_all(drawn) == 120
        expect(page.locator("#feed-more")).to_be_hidden()
        # A filter draws up to the limit reached so far (125) of the rows it lets through.
        page.fill("#filter-text", "r")
        assert page.locator("#feed tr.record").evaluate_all(drawn) == 120


def order_created() -> dict:
    """send() arguments of a fresh order.created event, as the publisher writes it (on its key's partition: a
    record anywhere else is flagged invalid and moves no row)."""
    event = order_event(str(uuid.uuid4()), source="rest", created_by="t")
    key = event.key.encode()
    return {"partition": home_partition(key, 3), "key": key, "value": event.to_value(), "headers": event.headers()}


def test_the_orders_table_keeps_every_order_but_draws_the_newest_15_until_asked(make_stack, kafka_broker, browser):
    stack = make_stack(kafka_broker.bootstrap_servers)
    drawn = "rows => rows.filter((row) => row.getClientRects().length).length"
    with open_dashboard(browser, stack.base_url) as page:
        # Written once the page is live, so all of them come: a fresh page shows only the newest NEWEST of each
        # partition from history, and keys do not spread evenly over the partitions.
        expect(page.locator("#kafka-state")).to_have_attribute("data-state", "ok", timeout=30_000)
        write(kafka_broker.bootstrap_servers, stack.topic, [order_created() for _ in range(3 * NEWEST)])
        rows = page.locator("#orders tr[data-order-id]")
        expect(rows).to_have_count(3 * NEWEST, timeout=15_000)
        assert rows.evaluate_all(drawn) == 15
        expect(page.locator("#orders-more")).to_contain_text("45 older orders kept, not drawn.")
        page.locator("#orders-more button").click()
        assert rows.evaluate_all(drawn) == 30
        expect(page.locator("#orders-more")).to_contain_text("30 older orders kept, not drawn.")
        page.locator("#orders-more button").click()
        page.locator("#orders-more button").click()
        assert rows.evaluate_all(drawn) == 3 * NEWEST
        expect(page.locator("#orders-more")).to_be_hidden()
        # No font feature in the rows drawn as records arrive: it costs each new cell its shaped-word cache.
        features = "cells => [...new Set(cells.map((cell) => getComputedStyle(cell).fontVariantNumeric))]"
        assert page.locator("#orders td, #feed td").evaluate_all(features) == ["normal"]


def test_orders_written_as_the_relay_starts_are_all_believed(make_stack, kafka_broker, browser):
    """Written while the relay's first reader judges the topic's tail: each is judged once, and accepted. A fresh
    page shows the newest NEWEST of each partition, so how many rows depends on how the keys spread."""
    stack = make_stack(kafka_broker.bootstrap_servers)
    placed = write(kafka_broker.bootstrap_servers, stack.topic, [order_created() for _ in range(3 * NEWEST)])
    expected = sum(min(NEWEST, n) for n in Counter(partition for partition, _ in placed).values())
    with open_dashboard(browser, stack.base_url) as page:
        rows = page.locator("#feed tr.record")
        expect(rows).to_have_count(expected, timeout=30_000)
        assert Counter(rows.evaluate_all("rows => rows.map(row => row.dataset.verdict)")) == {"accepted": expected}
        expect(page.locator("#orders tr[data-order-id]")).to_have_count(expected)


def test_start_waits_for_the_replay_under_way_so_each_record_shows_once(make_stack, kafka_broker, browser):
    stack = make_stack(kafka_broker.bootstrap_servers)
    placed = write(kafka_broker.bootstrap_servers, stack.topic, [{"partition": 0, "value": b"r"} for _ in range(60)])
    with open_dashboard(browser, stack.base_url, "/topic") as page:
        # At once, while the page's own first replay may still be answered: Start waits for it.
        page.select_option("#start-from", "beginning")
        page.click("#start")
        expect_shown(page, set(placed))
        expect(page.locator("#start")).to_be_enabled()


# Run in the page: hand record frames to the page's own socket module, as the relay sends them (3 to a message).
# `flags` marks the first records: hand-made, refused by the rules, read out of order.
INJECT = """async ({ count, flags }) => {
  const { relay } = await import("/static/dashboard/socket.js");
  const state = (window.__injected ||= { offset: 1e6, ts: Date.now() });
  const ids = [];
  const record = (n) => {
    const id = crypto.randomUUID();
    ids.push(id);
    const at = new Date((state.ts += 1)).toISOString();
    state.offset += 1;
    const frame = { type: "record", partition: state.offset % 3, offset: state.offset, timestamp: state.ts,
      timestamp_type: "CreateTime", key: id, key_format: "text", value_format: "json-event", size: 400,
      value: { event_id: crypto.randomUUID(), type: "order.created", occurred_at: at, source: "rest",
        order: { order_id: id, created_by: `by-${n}`, status: "QUEUED", created_at: at, equipment: ["MOUSE"] } },
      headers: { "event-type": "order.created" }, verdict: "accepted" };
    if (n < flags) Object.assign(frame, { hand_made: true, verdict: "invalid", verdict_reason: "not this one",
      out_of_order: "behind its key" });
    return frame;
  };
  for (let n = 0; n < count; n += 3) {
    const records = Array.from({ length: Math.min(3, count - n) }, (_, k) => record(n + k));
    relay.queue(JSON.stringify({ type: "records", records }));
  }
  return ids;
}"""

# Each row's cells as the record they show should have them, or the first row that does not.
ROWS_MATCH = """() => {
  const rows = [...document.querySelectorAll("#feed tr.record")];
  for (const row of rows) {
    const cells = [...row.children].map((cell) => cell.textContent);
    const frame = row.frame;
    const want = [new Date(frame.timestamp).toISOString().slice(11, 23), String(frame.partition), String(frame.offset),
      frame.key.slice(0, 8), frame.value.type, frame.value.source, frame.value.order.status, "payload"];
    if (cells.join("|") !== want.join("|") || row.dataset.key !== frame.key || row.children[3].title !== frame.key
      || row.dataset.offset !== String(frame.offset) || row.querySelector("button").getAttribute("aria-label")
        !== `payload of partition ${frame.partition}, offset ${frame.offset}`) return { cells, want };
  }
  return null;
}"""


def test_full_tables_reuse_their_oldest_rows_for_new_records_and_show_only_those(make_stack, kafka_broker, browser):
    stack = make_stack(kafka_broker.bootstrap_servers, services=("web",))
    with open_dashboard(browser, stack.base_url) as page:
        expect(page.locator("#ws-state")).to_have_attribute("data-state", "ok", timeout=30_000)
        page.select_option("#buffer-size", "100")
        # The 4 oldest rows carry every flag, and one has its payload open, when the rows are reused.
        page.evaluate(INJECT, {"count": 4, "flags": 4})
        expect(page.locator("#feed .flag-out-of-order")).to_have_count(4)
        page.locator("#feed tr.record button[data-rove]").first.click()
        expect(page.locator("#feed tr.detail:not([hidden])")).to_have_count(1)
        page.evaluate("() => document.activeElement.blur()")  # a row holding the focus is not reused
        older = page.evaluate(INJECT, {"count": 96, "flags": 0})
        expect(page.locator("#feed-count")).to_have_text("100 records")
        page.evaluate("() => { window.__before = new Set(document.querySelectorAll('#feed tr.record')); }")
        newest = page.evaluate(INJECT, {"count": 100, "flags": 0})
        expect(page.locator(f'#feed tr.record[data-key="{newest[-1]}"]')).to_have_count(1)
        rows = page.locator("#feed tr.record")
        expect(rows).to_have_count(100)
        assert rows.evaluate_all("rows => rows.map((row) => row.dataset.key)") == newest[::-1]
        reused = "() => [...document.querySelectorAll('#feed tr.record')].every((row) => window.__before.has(row))"
        assert page.evaluate(reused), "every row is one of the 100 before: none was made anew"
        assert page.evaluate(ROWS_MATCH) is None
        for stale in ("tr.detail", ".flag", ".flag-reason", ".hand-made", "[data-out-of-order]", "[aria-controls]"):
            expect(page.locator(f"#feed {stale}")).to_have_count(0)
        expect(page.locator("#feed tr.record[data-verdict='accepted']")).to_have_count(100)
        expect(page.locator("#feed button[aria-expanded='true']")).to_have_count(0)
        # One tab stop, in a row that is drawn.
        expect(page.locator("#feed button[data-rove][tabindex='0']")).to_have_count(1)
        expect(page.locator("#feed tr:not(.beyond) button[data-rove][tabindex='0']")).to_have_count(1)
        # A reused row's payload is its own record's.
        page.locator("#feed tr.record button[data-rove]").first.click()
        expect(page.locator("#feed tr.detail:not([hidden])")).to_contain_text(newest[-1])

        # The orders table keeps 2,000 orders: the 100 oldest make way for the newest.
        placed = page.evaluate(INJECT, {"count": 1900, "flags": 0})
        expect(page.locator(f'#orders tr[data-order-id="{placed[-1]}"]')).to_have_count(1, timeout=15_000)
        orders = page.locator("#orders tr[data-order-id]")
        expect(orders).to_have_count(2000)
        order_ids = (older + newest + placed)[::-1][:2000]
        assert orders.evaluate_all("rows => rows.map((row) => row.dataset.orderId)") == order_ids
        drawn = page.locator("#orders tr[data-order-id]:not(.beyond)")
        expect(drawn).to_have_count(15)
        for n, order_id in enumerate(order_ids[:15]):
            row = drawn.nth(n)
            expect(row.locator("code")).to_have_text(order_id[:8])
            expect(row.locator("a.trace-link")).to_have_attribute("href", f"/traces/{order_id}")
            expect(row.locator("td").nth(1)).to_have_text(f"by-{len(placed) - 1 - n}")
            expect(row.locator(".status")).to_have_text("QUEUED")
        expect(page.locator("#orders tr:not(.beyond) [data-rove][tabindex='0']")).to_have_count(1)
        expect(page.locator("#orders [data-rove][tabindex='0']")).to_have_count(1)
