"""A throwaway local broker or three-node cluster for benchmarks (the same LocalBroker and LocalCluster the tests
use)."""

import contextlib

from localkafka import LocalBroker
from localkafka.cluster import LocalCluster


@contextlib.contextmanager
def throwaway_broker():
    broker = LocalBroker.throwaway(prefix="bench-kafka-")
    broker.start()
    try:
        yield broker
    finally:
        broker.stop()


@contextlib.contextmanager
def throwaway_cluster():
    cluster = LocalCluster.throwaway(prefix="bench-kafka-cluster-")
    cluster.start()
    try:
        yield cluster
    finally:
        cluster.kill()
