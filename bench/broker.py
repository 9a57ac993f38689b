"""A throwaway local broker for benchmarks (the same LocalBroker the tests use)."""

import contextlib

from localkafka import LocalBroker


@contextlib.contextmanager
def throwaway_broker():
    broker = LocalBroker.throwaway(prefix="bench-kafka-")
    broker.start()
    try:
        yield broker
    finally:
        broker.stop()
