"""Three KRaft nodes on 127.0.0.1 (each broker and controller): replication 3, min in-sync replicas 2."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from localkafka.broker import LocalBroker, free_port, new_cluster_id

REPLICATED = {
    "default.replication.factor": "3",
    "min.insync.replicas": "2",
    "offsets.topic.replication.factor": "3",
    "transaction.state.log.replication.factor": "3",
    "transaction.state.log.min.isr": "2",
    "share.coordinator.state.topic.replication.factor": "3",
    "share.coordinator.state.topic.min.isr": "2",
    # Notice a dead broker in ~3 s instead of 9 s, so leadership moves while a burst is still running.
    "broker.session.timeout.ms": "3000",
    "broker.heartbeat.interval.ms": "1000",
}


@dataclass
class LocalCluster:
    data_dir: Path
    size: int = 3
    heap: str = "384m"
    nodes: list[LocalBroker] = field(default_factory=list)

    def __post_init__(self) -> None:
        ports = [(free_port(), free_port()) for _ in range(self.size)]
        voters = ",".join(f"{index + 1}@127.0.0.1:{controller}" for index, (_, controller) in enumerate(ports))
        cluster_id = new_cluster_id()
        self.nodes = [
            LocalBroker(data_dir=self.data_dir / f"node{index + 1}", port=port, controller_port=controller,
                        node_id=index + 1, voters=voters, cluster_id=cluster_id, heap=self.heap,
                        extra_properties=REPLICATED, log_path=self.data_dir / f"node{index + 1}.log")
            for index, (port, controller) in enumerate(ports)
        ]

    @property
    def bootstrap_servers(self) -> str:
        return ",".join(node.bootstrap_servers for node in self.nodes)

    def start(self, timeout: float = 120.0) -> None:
        self.data_dir.mkdir(parents=True, exist_ok=True)
        for node in self.nodes:
            node.launch()
        for node in self.nodes:
            node.wait_ready(timeout)

    def stop(self) -> None:
        for node in self.nodes:
            node.stop()

    def kill(self) -> None:
        """SIGKILL every node: the quick end for a throwaway cluster (a controlled stop with a node down is slow)."""
        for node in self.nodes:
            node.kill()
