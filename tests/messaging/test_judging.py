"""messaging.judging: the ledger that judges the topic's records in log order, remembers what it accepted
(bounded), and recalls the same verdict for a later reader of the same records; its warm-up on a real broker."""

from __future__ import annotations

import functools
import itertools
import uuid

from hypothesis import given
from hypothesis import strategies as st
from kafka import TopicPartition
from kafka.consumer.fetcher import ConsumerRecord

from harness.order_events import order_event
from messaging import judging, readers
from orders import events
from tests.support.relay_sockets import send_records

PARTITIONS = 3


@functools.cache
def order_id_in(partition: int, n: int = 0) -> str:
    """The n-th order id (of a fixed series) whose key Kafka's default partitioner puts in `partition`."""
    ids = (str(uuid.UUID(int=i * 7919 + 1)) for i in itertools.count())
    placed = (i for i in ids if judging.home_partition(i.encode(), PARTITIONS) == partition)
    return next(itertools.islice(placed, n, None))


def value(order_id: str, event_type: str, status: str) -> bytes:
    return order_event(order_id, event_type, status).to_value()


def record(partition: int, offset: int, key: str | bytes | None, data: bytes | None, headers=()) -> ConsumerRecord:
    key = key.encode() if isinstance(key, str) else key
    return ConsumerRecord(
        "orders", partition, 0, offset, 0, 0, key, data, list(headers), None, len(key or b""), len(data or b""), -1
    )


def judge(ledger: judging.Ledger, rec: ConsumerRecord) -> judging.Judged:
    return ledger.judge(rec, *judging.read_event(rec.value, rec.key))


def recall(ledger: judging.Ledger, rec: ConsumerRecord) -> judging.Judged | None:
    return ledger.recall(rec, *judging.read_event(rec.value, rec.key))


def test_an_orders_log_is_judged_in_offset_order():
    oid = order_id_in(1)
    log = [
        record(1, 0, oid, value(oid, events.ORDER_CREATED, "QUEUED")),
        record(1, 1, oid, value(oid, events.ORDER_STATUS_CHANGED, "PROCESSING")),
        record(1, 2, oid, value(oid, events.ORDER_STATUS_CHANGED, "COMPLETED")),
        record(1, 3, oid, value(oid, events.ORDER_STATUS_CHANGED, "QUEUED"), [(judging.HAND_MADE_HEADER, b"x")]),
        record(1, 4, oid, b"{not json"),
        record(1, 5, None, value(oid, events.ORDER_STATUS_CHANGED, "FAILED")),
        record(0, 6, oid, value(oid, events.ORDER_CREATED, "QUEUED")),
        record(1, 7, oid, None),
    ]
    ledger = judging.Ledger(PARTITIONS)
    verdicts = [judge(ledger, rec) for rec in log]
    assert [v.verdict for v in verdicts] == ["accepted"] * 3 + ["refused"] + ["invalid"] * 4
    assert [v.hand_made for v in verdicts] == [False, False, False, True, False, False, False, False]
    assert verdicts[3].reason == "the order is COMPLETED, a final status: nothing follows it"
    assert verdicts[4].reason.startswith("not an order event: value is not JSON")
    assert verdicts[5].reason == "no key: an order event's key is its order id"
    assert verdicts[6].reason == "in partition 0, but its key's partition is 1: out of its order's sequence"
    assert verdicts[7].reason == "no value (a tombstone)"
    assert verdicts[3].event is not None and verdicts[4].event is None
    # A later reader of the same records (a replay) gets the same verdicts, whatever the ledger learnt since.
    assert [recall(ledger, rec) for rec in log] == verdicts
    assert recall(ledger, record(1, 8, oid, b"x")) is None, "an offset the ledger did not judge"
    assert recall(ledger, record(2, 0, oid, b"x")) is None, "a partition the ledger did not read"


def test_a_jump_the_rules_lack_is_refused_and_the_next_step_is_judged_from_before_it():
    oid = order_id_in(2)
    ledger = judging.Ledger(PARTITIONS)
    assert judge(ledger, record(2, 0, oid, value(oid, events.ORDER_CREATED, "QUEUED"))).accepted
    jump = judge(ledger, record(2, 1, oid, value(oid, events.ORDER_STATUS_CHANGED, "COMPLETED")))
    assert (jump.verdict, jump.reason) == ("refused", "QUEUED cannot become COMPLETED (only CANCELLED, PROCESSING)")
    assert judge(ledger, record(2, 2, oid, value(oid, events.ORDER_STATUS_CHANGED, "PROCESSING"))).accepted


def test_a_legal_move_that_rewrites_the_order_is_refused_and_the_next_true_one_accepted():
    ledger, order = judging.Ledger(PARTITIONS), order_id_in(1)
    assert judge(ledger, record(1, 0, order, value(order, events.ORDER_CREATED, "QUEUED"))).accepted
    forged = value(order, events.ORDER_STATUS_CHANGED, "PROCESSING").replace(b'"ana"', b'"mallory"')
    refused = judge(ledger, record(1, 1, order, forged))
    assert refused.verdict == events.REFUSED and "only the status changes" in refused.reason
    assert judge(ledger, record(1, 2, order, value(order, events.ORDER_STATUS_CHANGED, "PROCESSING"))).accepted
    assert recall(ledger, record(1, 1, order, forged)).verdict == events.REFUSED


def test_a_change_to_an_order_never_read_is_unchecked():
    oid = order_id_in(0)
    judged = judge(judging.Ledger(PARTITIONS), record(0, 0, oid, value(oid, events.ORDER_STATUS_CHANGED, "FAILED")))
    assert judged.verdict == "refused" and "unchecked" in judged.reason


def test_reasons_are_bounded():
    judged = judge(judging.Ledger(PARTITIONS), record(0, 0, b"k", ("[" * 50_000).encode()))
    assert judged.verdict == "invalid" and len(judged.reason) <= judging.MAX_REASON_CHARS
    big = judge(judging.Ledger(PARTITIONS), record(0, 0, b"k", b" " * (judging.MAX_EVENT_BYTES + 1)))
    assert big.reason == f"a value of {judging.MAX_EVENT_BYTES + 1} bytes: an order event is at most 65536"


def test_the_ledger_is_bounded_in_orders_and_bytes_forgetting_the_least_recently_used():
    ledger = judging.Ledger(1, max_orders=3)
    ids = [str(uuid.uuid4()) for _ in range(5)]
    for offset, oid in enumerate(ids):
        judge(ledger, record(0, offset, oid, value(oid, events.ORDER_CREATED, "QUEUED")))
    assert len(ledger) == 3
    forgotten = judge(ledger, record(0, 9, ids[0], value(ids[0], events.ORDER_STATUS_CHANGED, "PROCESSING")))
    assert "unchecked" in forgotten.reason
    assert judge(ledger, record(0, 10, ids[4], value(ids[4], events.ORDER_STATUS_CHANGED, "PROCESSING"))).accepted

    per_order = 36 + judging.ORDER_OVERHEAD_BYTES + judging.ENTRY_BYTES
    small = judging.Ledger(1, max_bytes=2 * per_order + judging.ENTRY_BYTES)
    for offset, oid in enumerate(ids):
        judge(small, record(0, offset, oid, value(oid, events.ORDER_CREATED, "QUEUED")))
    assert len(small) == 2 and small.bytes == 2 * per_order


def test_a_record_judged_again_changes_nothing():
    oid = order_id_in(0)
    ledger = judging.Ledger(PARTITIONS)
    first = record(0, 0, oid, value(oid, events.ORDER_CREATED, "QUEUED"))
    judge(ledger, first)
    judge(ledger, record(0, 1, oid, value(oid, events.ORDER_STATUS_CHANGED, "PROCESSING")))
    assert judge(ledger, first).accepted and ledger.bytes == 36 + judging.ORDER_OVERHEAD_BYTES + 2 * judging.ENTRY_BYTES


statuses = st.sampled_from(["QUEUED", "PROCESSING", "COMPLETED", "FAILED", "CANCELLED"])
steps = st.tuples(st.integers(0, 2), st.sampled_from(events.EVENT_TYPES), statuses)


@given(st.lists(steps, max_size=40))
def test_recall_gives_every_record_the_verdict_judge_gave_it(sequence):
    ids = [order_id_in(0, n) for n in range(3)]
    log = [record(0, offset, ids[n], value(ids[n], kind, status)) for offset, (n, kind, status) in enumerate(sequence)]
    ledger = judging.Ledger(PARTITIONS)
    judged = [judge(ledger, rec) for rec in log]
    assert [recall(ledger, rec) for rec in log] == judged
    # What is shown per order, the last accepted status, never leaves a final one.
    shown: dict[str, str] = {}
    for verdict in judged:
        if verdict.accepted:
            before = shown.get(verdict.event.key)
            assert before is None or before not in ("COMPLETED", "FAILED", "CANCELLED")
            shown[verdict.event.key] = verdict.event.order["status"]


def test_warm_up_judges_the_last_records_unseen_and_stops_at_the_end_or_in_time(
    kafka_broker, orders_topic, monkeypatch
):
    ids = [order_id_in(1, n) for n in range(3)]
    send_records(
        kafka_broker.bootstrap_servers,
        orders_topic,
        [{"key": oid.encode(), "value": value(oid, events.ORDER_CREATED, "QUEUED"), "partition": 1} for oid in ids],
    )
    later = [record(1, 3 + n, oid, value(oid, events.ORDER_STATUS_CHANGED, "PROCESSING")) for n, oid in enumerate(ids)]

    consumer = readers.open_reader(orders_topic, bootstrap_servers=kafka_broker.bootstrap_servers)
    try:
        ledger = judging.Ledger(PARTITIONS)
        assert judging.warm_up(consumer, ledger, lookback=2) == {0: 0, 1: 3, 2: 0}
        assert len(ledger) == 2, "only the last 2 records of partition 1 were read"
        assert [judge(ledger, rec).accepted for rec in later] == [False, True, True]
        assert consumer.position(TopicPartition(orders_topic, 1)) == 3

        monkeypatch.setattr(judging, "WARM_UP_SECONDS", 0)
        assert judging.warm_up(consumer, judging.Ledger(PARTITIONS)) == {0: 0, 1: 0, 2: 0}, "out of time: from here"
        assert consumer.position(TopicPartition(orders_topic, 1)) == 0
    finally:
        consumer.close()
