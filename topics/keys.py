"""Which partition a key goes to, and why: Kafka's default partitioner (Java's and kafka-python's alike) hashes the
key's bytes with murmur2, keeps the hash's lower 31 bits (Utils.toPositive) and takes it modulo the partitions."""

from __future__ import annotations

from kafka.partitioner.default import murmur2

MAX_KEY_BYTES = 1024


def partition_of(key: str, partitions: int) -> dict:
    """The key's partition among `partitions`, with each step of the computation shown."""
    data = key.encode()
    hashed = murmur2(data)
    signed = hashed - 2**32 if hashed >= 2**31 else hashed  # as Java's int prints it
    positive = hashed & 0x7FFFFFFF
    partition = positive % partitions
    return {
        "key": key,
        "key_bytes": len(data),
        "murmur2": signed,
        "positive": positive,
        "partitions": partitions,
        "partition": partition,
        "formula": (
            f"murmur2(key) = {signed}; {signed} & 0x7fffffff = {positive}; {positive} % {partitions} = {partition}"
        ),
    }
