"""A throwaway local broker for benchmarks (the same LocalBroker the tests use)."""

import contextlib
import tempfile
from pathlib import Path

from localkafka import LocalBroker, free_port


@contextlib.contextmanager
def throwaway_broker():
    data_dir = Path(tempfile.mkdtemp(prefix="bench-kafka-"))
    broker = LocalBroker(data_dir=data_dir, port=free_port(), controller_port=free_port(),
                         log_path=data_dir / "broker.log")
    broker.start()
    try:
        yield broker
    finally:
        broker.stop()
