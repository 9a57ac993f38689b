"""The one way to open a read-only reader of a topic: every partition assigned, no group, nothing committed.

The live relay, its replays, gRPC `Watch`, `manage.py kafka_consume`, the test harness and the benchmarks all read
this way, so a learner's observer never joins (and never disturbs) a real consumer group.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

from kafka import KafkaConsumer, TopicPartition
from kafka.errors import CorruptRecordError, KafkaError

from messaging import clients
from playground.library_internals import partition_being_parsed

# A dashboard should see a broker that is back within a second; kafka-python backs off up to 30 s by default.
READER_OPTIONS = {"request_timeout_ms": 5_000, "reconnect_backoff_max_ms": 1_000}

Start = str | Mapping[int, int]  # "beginning", "end", or the next offset per partition


class TopicMissing(KafkaError):
    """The topic does not exist (yet): readers wait for it as for an absent broker."""


def open_reader(
    topic: str,
    *,
    start: Start = "end",
    client_id: str = "orders-reader",
    bootstrap_servers: str | None = None,
    **overrides,
) -> KafkaConsumer:
    """A consumer with no group, assigned every partition of `topic` and positioned at `start`.

    With a mapping, partitions it leaves out start at their end. Raises TopicMissing, or KafkaError when no
    broker answers; the consumer is closed on any failure.
    """
    consumer = clients.build_consumer(
        bootstrap_servers=bootstrap_servers, client_id=client_id, **{**READER_OPTIONS, **overrides}
    )
    try:
        partitions = [TopicPartition(topic, p) for p in sorted(consumer.partitions_for_topic(topic) or ())]
        if not partitions:
            raise TopicMissing(f"topic {topic!r} does not exist")
        consumer.assign(partitions)
        if start == "beginning":
            consumer.seek_to_beginning(*partitions)
        else:
            consumer.seek_to_end(*partitions)
        if isinstance(start, Mapping):
            for tp in partitions:
                if tp.partition in start:
                    consumer.seek(tp, start[tp.partition])
    except BaseException:
        consumer.close()
        raise
    return consumer


def assigned(consumer: KafkaConsumer) -> list[TopicPartition]:
    """The reader's partitions in partition order."""
    return sorted(consumer.assignment(), key=lambda tp: tp.partition)


@dataclass(frozen=True)
class Unreadable:
    """A record the client library could not decode: the reader stepped past it."""

    partition: int
    offset: int
    error: str


@dataclass(frozen=True)
class Polled:
    """One poll: the records by partition (as KafkaConsumer.poll returns them) and the offsets stepped past."""

    records: dict[TopicPartition, list] = field(default_factory=dict)
    unreadable: list[Unreadable] = field(default_factory=list)


def poll_stepping_past(consumer: KafkaConsumer, timeout_ms: int, max_records: int | None = None) -> Polled:
    """consumer.poll, except that a record the client cannot decode is stepped past instead of stopping the reader.

    kafka-python raises CorruptRecordError from poll() for a record it cannot parse (a header name that is not
    UTF-8, a failed CRC), and then loops forever inside the next poll() unless the partition's position moves
    (3.0.x). Here the failing partition is found, its position (the bad record's offset) is recorded as
    Unreadable and the partition is moved one past it; the caller just polls again, and other partitions go on
    with their next poll. kafka-python parses a batch from its start, so the records after a bad one in the same
    producer batch fail the same way: each is stepped past (and reported) in turn.

    Any other error (the broker away, a deleted topic) is raised as before.
    """
    try:
        return Polled(records=consumer.poll(timeout_ms=timeout_ms, max_records=max_records))
    except CorruptRecordError as exc:
        tp = _failing_partition(consumer)
        if tp is None:
            raise
        offset = consumer.position(tp)
        consumer.seek(tp, offset + 1)
        return Polled(unreadable=[Unreadable(tp.partition, offset, _describe(exc))])


def _failing_partition(consumer: KafkaConsumer) -> TopicPartition | None:
    """The partition whose records were being parsed when poll() raised, if it is one of the reader's."""
    tp = partition_being_parsed(consumer)
    return tp if tp is not None and tp in consumer.assignment() else None


def _describe(exc: Exception) -> str:
    text = str(exc)
    return text if len(text) <= 300 else text[:297] + "..."
