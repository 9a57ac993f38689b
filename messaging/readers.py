"""The one way to open a read-only reader of a topic: every partition assigned, no group, nothing committed.

The live relay, its replays, gRPC `Watch`, `manage.py kafka_consume`, the test harness and the benchmarks all read
this way, so a learner's observer never joins (and never disturbs) a real consumer group.
"""

from __future__ import annotations

from collections.abc import Mapping

from kafka import KafkaConsumer, TopicPartition
from kafka.errors import KafkaError

from messaging import clients

# A dashboard should see a broker that is back within a second; kafka-python backs off up to 30 s by default.
READER_OPTIONS = dict(request_timeout_ms=5_000, reconnect_backoff_max_ms=1_000)

Start = str | Mapping[int, int]  # "beginning", "end", or the next offset per partition


class TopicMissing(KafkaError):
    """The topic does not exist (yet): readers wait for it as for an absent broker."""


def open_reader(topic: str, *, start: Start = "end", client_id: str = "orders-reader",
                bootstrap_servers: str | None = None, **overrides) -> KafkaConsumer:
    """A consumer with no group, assigned every partition of `topic` and positioned at `start`.

    With a mapping, partitions it leaves out start at their end. Raises TopicMissing, or KafkaError when no
    broker answers; the consumer is closed on any failure.
    """
    consumer = clients.build_consumer(bootstrap_servers=bootstrap_servers, client_id=client_id,
                                      **{**READER_OPTIONS, **overrides})
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
