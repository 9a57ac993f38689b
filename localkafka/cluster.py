"""Three KRaft nodes on 127.0.0.1 (each broker and controller): replication 3, min in-sync replicas 2.

`LocalCluster` is the library the tests use; `run_cluster_foreground` is `python -m localkafka cluster` (what
`make cluster` starts): the three nodes in the foreground until SIGTERM / Ctrl-C, with a control file naming each
node's JVM pid, so `python -m localkafka kill-broker N` can crash one and `restart-brokers` start it again.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

from localkafka.broker import LocalBroker, _wait_for_signal, broker_answers, free_port, new_cluster_id, start_or_exit

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

# `make cluster`'s nodes: broker ports and controller ports, one pair per node.
DEFAULT_PORTS = (9092, 9094, 9096)
DEFAULT_CONTROLLER_PORTS = (9093, 9095, 9097)


@dataclass
class LocalCluster:
    data_dir: Path
    size: int = 3
    heap: str = "384m"
    # (broker port, controller port) per node; None: free ports.
    ports: list[tuple[int, int]] | None = None
    nodes: list[LocalBroker] = field(default_factory=list)

    @classmethod
    def throwaway(cls, *, prefix: str) -> LocalCluster:
        """A cluster (not started yet) on free ports with its data in a new temporary directory."""
        return cls(data_dir=Path(tempfile.mkdtemp(prefix=prefix)))

    def __post_init__(self) -> None:
        ports = self.ports or [(free_port(), free_port()) for _ in range(self.size)]
        self.size = len(ports)
        voters = ",".join(f"{index + 1}@127.0.0.1:{controller}" for index, (_, controller) in enumerate(ports))
        # A data dir formatted before keeps its cluster id: nodes of two ids never form one cluster.
        cluster_file = self.data_dir / "cluster.id"
        cluster_id = cluster_file.read_text().strip() if cluster_file.exists() else new_cluster_id()
        self.nodes = [
            LocalBroker(
                data_dir=self.data_dir / f"node{index + 1}",
                port=port,
                controller_port=controller,
                node_id=index + 1,
                voters=voters,
                cluster_id=cluster_id,
                heap=self.heap,
                extra_properties=REPLICATED,
                log_path=self.data_dir / f"node{index + 1}.log",
            )
            for index, (port, controller) in enumerate(ports)
        ]

    @property
    def bootstrap_servers(self) -> str:
        return ",".join(node.bootstrap_servers for node in self.nodes)

    def start(self, timeout: float = 120.0) -> None:
        self.data_dir.mkdir(parents=True, exist_ok=True)
        (self.data_dir / "cluster.id").write_text(self.nodes[0].cluster_id)
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


def parse_ports(text: str) -> list[int]:
    """ "9092,9094,9096" or "9092 9094 9096" (as the Makefile passes them)."""
    return [int(port) for port in text.replace(",", " ").split()]


def run_cluster_foreground(
    data_dir: Path,
    ports: list[int],
    controller_ports: list[int],
    control_file: Path | None = None,
    stop_grace: float = 4.0,
) -> int:
    """Run the three nodes until SIGTERM or SIGINT; a node that dies (`kill-broker`) leaves the others running.

    SIGUSR2 starts every dead node again (`restart-brokers`). On SIGTERM / SIGINT every node gets SIGTERM at
    once (a controlled shutdown each); whatever still runs after `stop_grace` seconds is SIGKILLed — within honcho's
    5 s, after which honcho would kill this runner too and leave a control file naming pids that are gone. Three
    nodes stopping together rarely finish a controlled shutdown that fast; an unclean stop only costs log recovery at
    the next start.
    """
    if len(ports) != len(controller_ports) or not ports:
        print(f"give as many controller ports as broker ports: {ports} / {controller_ports}", file=sys.stderr)
        return 2
    cluster = LocalCluster(data_dir=data_dir, ports=list(zip(ports, controller_ports, strict=True)))
    if all(broker_answers(node.bootstrap_servers) for node in cluster.nodes):
        print(f"Kafka brokers already answer on {cluster.bootstrap_servers}; not starting another cluster.", flush=True)
        return _wait_for_signal()
    stopping, restart = [], []
    state = _ClusterControlFile(control_file, cluster)

    def on_signal(signum, _frame):
        # Only pass the signal on (see broker.run_foreground: no waiting inside a handler).
        if signum == signal.SIGUSR2:
            restart.append(signum)
            return
        stopping.append(signum)
        state.remove()  # the nodes are going: nothing may act on their pids any more
        for node in cluster.nodes:
            if node.process is not None and node.process.poll() is None:
                node.process.send_signal(signal.SIGTERM)

    for signum in (signal.SIGTERM, signal.SIGINT, signal.SIGUSR2):
        signal.signal(signum, on_signal)
    try:
        failed = start_or_exit(cluster.start, stopping, state)
        if failed is not None:
            return failed
        print(
            f"Kafka cluster ready: {cluster.size} nodes on {cluster.bootstrap_servers}, replication 3, "
            f"min in-sync 2 (data in {data_dir}). `python -m localkafka kill-broker N` crashes node N.",
            flush=True,
        )
        _watch(cluster, stopping, restart, state)
        return 0
    finally:
        _stop_all(cluster, stop_grace)
        state.remove()


def _watch(cluster: LocalCluster, stopping: list, restart: list, state: _ClusterControlFile) -> None:
    """Until asked to stop: report a node that dies, start dead nodes again on SIGUSR2."""
    starting: set[int] = set()
    while not stopping:
        for index, node in enumerate(cluster.nodes):
            number = index + 1
            code = node.process.poll()
            if code is not None and state.node_states[index] != "dead" and not stopping:
                how = f"signal {-code}" if code < 0 else f"code {code}"
                print(
                    f"Kafka node {number} ({node.bootstrap_servers}) died ({how}); the others carry on. "
                    "`python -m localkafka restart-brokers` starts it again.",
                    flush=True,
                )
                starting.discard(number)
                state.write("running", node=index, node_state="dead")
            elif number in starting and broker_answers(node.bootstrap_servers):
                starting.discard(number)
                state.write("running", node=index, node_state="running")
                print(f"Kafka node {number} ({node.bootstrap_servers}) is back", flush=True)
        if restart:
            restart.clear()
            for index, node in enumerate(cluster.nodes):
                if node.process.poll() is not None and not stopping:
                    print(f"Starting Kafka node {index + 1} again", flush=True)
                    node.launch()
                    starting.add(index + 1)
                    state.write("running", node=index, node_state="starting")
        time.sleep(0.2)


def _stop_all(cluster: LocalCluster, grace: float) -> None:
    running = [node for node in cluster.nodes if node.process is not None and node.process.poll() is None]
    for node in running:
        node.process.send_signal(signal.SIGTERM)
    deadline = time.monotonic() + grace
    for node in running:
        try:
            node.process.wait(max(0.1, deadline - time.monotonic()))
        except subprocess.TimeoutExpired:  # a controlled shutdown waiting for controllers that are gone too
            node.process.kill()
            node.process.wait()


@dataclass
class _ClusterControlFile:
    """{"pid", "bootstrap_servers", "state", "nodes": [{"node", "pid", "bootstrap_server", "state"}]}."""

    path: Path | None
    cluster: LocalCluster
    node_states: list[str] = field(default_factory=list)
    removed: bool = False

    def __post_init__(self) -> None:
        self.node_states = ["starting"] * self.cluster.size

    def write(self, state: str, node: int | None = None, node_state: str | None = None) -> None:
        if state == "running" and node is None:
            self.node_states = ["running"] * self.cluster.size
        if node is not None:
            self.node_states[node] = node_state
        if self.path is None or self.removed:
            return
        body = {
            "pid": os.getpid(),
            "bootstrap_servers": self.cluster.bootstrap_servers,
            "state": state,
            "nodes": [
                {
                    "node": index + 1,
                    "pid": broker.process.pid if broker.process else None,
                    "bootstrap_server": broker.bootstrap_servers,
                    "state": self.node_states[index],
                }
                for index, broker in enumerate(self.cluster.nodes)
            ],
        }
        self.path.parent.mkdir(parents=True, exist_ok=True)
        temporary = self.path.with_suffix(".tmp")
        temporary.write_text(json.dumps(body))
        temporary.replace(self.path)

    def remove(self) -> None:
        self.removed = True
        if self.path is not None:
            self.path.unlink(missing_ok=True)


def read_control_file(path: Path) -> dict:
    return json.loads(path.read_text())


class ClusterControlError(Exception):
    """No running cluster through the control file, a stale file, or no such node; `code` is the command's exit
    status (2: a node the cluster does not have)."""

    def __init__(self, message: str, code: int = 1):
        super().__init__(message)
        self.code = code


def runs_command(pid: int, marker: bytes) -> bool:
    """Whether `pid` still runs a command with the argument `marker`: a pid in a control file its runner could not
    remove (it was SIGKILLed) may since belong to anything else."""
    if not Path("/proc/self").exists():
        return True  # no procfs (not Linux): trust the control file
    try:
        return marker in Path(f"/proc/{pid}/cmdline").read_bytes().split(b"\0")
    except OSError:
        return False


def _control(control_file: Path) -> dict:
    """The control file with its nodes by number; ClusterControlError when there is none or it is malformed."""
    try:
        control = read_control_file(control_file)
        return {**control, "nodes": {node["node"]: node for node in control["nodes"]}}
    except (OSError, ValueError, KeyError, TypeError) as exc:
        message = f"no running `python -m localkafka cluster` found through {control_file}: {exc}"
        raise ClusterControlError(message) from exc


def running_cluster(control_file: Path) -> dict:
    """The control file of a `python -m localkafka cluster` that still runs, its nodes by number;
    ClusterControlError otherwise."""
    control = _control(control_file)
    pid = control["pid"]
    if not (runs_command(pid, b"localkafka") and runs_command(pid, b"cluster")):
        raise ClusterControlError(f"pid {pid} is no `python -m localkafka cluster` any more ({control_file} is stale)")
    return control


def signal_node(control_file: Path, number: int, signum: int = signal.SIGKILL) -> dict:
    """Signal node `number`'s JVM itself, not its runner: SIGKILL is a crash (no controlled shutdown, no flush, as
    when a machine dies), SIGTERM a controlled shutdown (the node hands its leaderships over and leaves the in-sync
    replicas first). Returns the node's entry of the control file."""
    nodes = _control(control_file)["nodes"]
    node = nodes.get(number)
    if node is None:
        raise ClusterControlError(f"no node {number}: the cluster has nodes {', '.join(map(str, sorted(nodes)))}", 2)
    if node["state"] == "dead":
        raise ClusterControlError(f"node {number} is already dead")
    if not runs_command(node["pid"], b"kafka.Kafka"):
        raise ClusterControlError(f"pid {node['pid']} is no Kafka node any more ({control_file} is stale)")
    try:
        os.kill(node["pid"], signum)
    except OSError as exc:
        raise ClusterControlError(f"could not signal node {number} (pid {node['pid']}): {exc}") from exc
    return node


def restart_dead_nodes(control_file: Path) -> None:
    """Ask the runner to start again every node that died (SIGUSR2); it marks them starting, then running."""
    pid = running_cluster(control_file)["pid"]
    try:
        os.kill(pid, signal.SIGUSR2)
    except OSError as exc:
        raise ClusterControlError(f"could not signal the cluster's runner (pid {pid}): {exc}") from exc
