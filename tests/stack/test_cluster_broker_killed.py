"""A three-broker cluster (replication 3, min in-sync 2, acks=all) loses one broker during a burst of orders."""

import json
import threading

import pytest
from kafka import KafkaAdminClient

from harness.topics import read_records
from localkafka import LocalCluster
from tests.support.http_orders import burst
from tests.support.live_socket import ResumingReader, run_in_own_loop
from tests.support.waiting import wait_until

# A broker crash on PostgreSQL is test_make_cluster's.
pytestmark = [pytest.mark.faults, pytest.mark.database_incidental]

ORDERS = 300
KILL_AT = 100


@pytest.fixture
def cluster():
    cluster = LocalCluster.throwaway(prefix="playground-cluster-")
    cluster.start()
    yield cluster
    cluster.kill()


def replicas_of(bootstrap_servers, topic, timeout=30.0):
    """Replica count per partition once the publisher has created the topic."""
    admin = KafkaAdminClient(bootstrap_servers=bootstrap_servers)
    try:
        wait_until(
            lambda: topic in admin.list_topics(),
            timeout=timeout,
            interval=0.3,
            message=f"the publisher did not create {topic}",
        )
        [description] = admin.describe_topics([topic])
        return {p["partition_index"]: len(p["replica_nodes"]) for p in description["partitions"]}
    finally:
        admin.close()


def test_one_broker_killed_mid_burst_loses_no_acknowledged_order(make_stack, cluster):
    stack = make_stack(cluster.bootstrap_servers, create=False, KAFKA_REPLICATION_FACTOR="3")
    assert replicas_of(cluster.bootstrap_servers, stack.topic) == {0: 3, 1: 3, 2: 3}
    publisher = stack.processes["publisher"]
    reader = ResumingReader(stack.base_url)
    connected = threading.Event()
    ordered: set[str] = set()

    async def watch():
        await reader.connect("latest")
        connected.set()
        await reader.read_until(lambda: ordered and ordered <= {frame["key"] for frame in reader.records}, 150)

    watching = threading.Thread(target=run_in_own_loop, args=(watch,))
    watching.start()
    assert connected.wait(30), "the websocket did not go live"

    killed = threading.Event()

    def kill_midway(index):
        if index == KILL_AT and not killed.is_set():
            killed.set()
            cluster.nodes[0].kill()

    results = burst(stack.base_url, ORDERS, prefix="cluster", on_each=kill_midway)
    assert killed.is_set()
    assert [status for status, _, _ in results] == [201] * ORDERS
    ordered.update(order_id for _, order_id, _ in results)

    assert stack.wait_outbox_drained(120) == 0, "every event acknowledged with acks=all by the two remaining brokers"
    assert publisher.poll() is None, "the publisher carried on without a restart"

    survivors = ",".join(node.bootstrap_servers for node in cluster.nodes[1:])
    records = read_records(survivors, stack.topic, expected=ORDERS, timeout=60)
    assert {json.loads(record.value)["order"]["order_id"] for record in records} == ordered

    watching.join(150)
    assert not watching.is_alive()
    assert stack.processes["web"].poll() is None, "the relay's web process carried on"
    seen = reader.offsets_seen()
    assert len(seen) == len(set(seen)), "the relay delivered a record twice"
    assert {frame["key"] for frame in reader.records} == ordered
