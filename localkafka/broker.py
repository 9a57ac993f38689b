"""A single-node Apache Kafka broker (KRaft) run from Maven Central jars, for `make run` and the tests."""

from __future__ import annotations

import base64
import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

HERE = Path(__file__).resolve().parent
PROJECT_ROOT = HERE.parent
DEFAULT_HOME = PROJECT_ROOT / ".kafka"
LOG4J_CONFIG = HERE / "log4j2.properties"
POM = HERE / "pom.xml"
# Pinned: an unpinned `dependency:` goal resolves whatever version the local Maven's super-POM names.
DEPENDENCY_PLUGIN = "org.apache.maven.plugins:maven-dependency-plugin:3.8.1"


class BrokerError(RuntimeError):
    """The broker could not be fetched, formatted or started."""


def lib_dir(home: Path = DEFAULT_HOME) -> Path:
    return home / "lib"


def fetch_jars(home: Path = DEFAULT_HOME) -> Path:
    """Copy the broker jars from Maven Central into `home/lib` once; later calls fetch nothing."""
    target = lib_dir(home)
    stamp = target / ".fetched-from"
    if stamp.exists() and stamp.read_text() == POM.read_text():
        return target
    # Start empty: jars of an earlier pom.xml left beside new ones would put two Kafka versions on the classpath.
    shutil.rmtree(target, ignore_errors=True)
    target.mkdir(parents=True)
    command = [
        "mvn",
        "-q",
        "-B",
        "-f",
        str(POM),
        f"{DEPENDENCY_PLUGIN}:copy-dependencies",
        f"-DoutputDirectory={target}",
    ]
    try:
        subprocess.run(command, check=True)
    except FileNotFoundError as exc:
        raise BrokerError("Maven (mvn) is needed to fetch the Kafka jars; see README prerequisites") from exc
    except subprocess.CalledProcessError as exc:
        raise BrokerError(f"fetching the Kafka jars failed: {' '.join(command)}") from exc
    stamp.write_text(POM.read_text())
    return target


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def new_cluster_id() -> str:
    """KRaft wants 16 random bytes as URL-safe base64 without padding."""
    return base64.urlsafe_b64encode(uuid.uuid4().bytes).decode().rstrip("=")


@dataclass
class LocalBroker:
    """One combined broker+controller node on 127.0.0.1 whose data lives in `data_dir`."""

    data_dir: Path
    port: int = 9092
    controller_port: int = 9093
    home: Path = DEFAULT_HOME
    heap: str = "512m"
    node_id: int = 1
    # "id@host:port,..." of every controller; None means this node alone.
    voters: str | None = None
    cluster_id: str | None = None
    extra_properties: dict[str, str] = field(default_factory=dict)
    log_path: Path | None = None
    process: subprocess.Popen | None = field(default=None, init=False)

    @classmethod
    def throwaway(cls, *, prefix: str, log_path: Path | None = None) -> LocalBroker:
        """A broker (not started yet) on free ports with its data in a new temporary directory."""
        data_dir = Path(tempfile.mkdtemp(prefix=prefix))
        return cls(
            data_dir=data_dir,
            port=free_port(),
            controller_port=free_port(),
            log_path=log_path or data_dir / "broker.log",
        )

    @property
    def bootstrap_servers(self) -> str:
        return f"127.0.0.1:{self.port}"

    @property
    def properties_path(self) -> Path:
        return self.data_dir / "server.properties"

    def properties(self) -> dict[str, str]:
        props = {
            "process.roles": "broker,controller",
            "node.id": str(self.node_id),
            "controller.quorum.voters": self.voters or f"{self.node_id}@127.0.0.1:{self.controller_port}",
            "listeners": f"PLAINTEXT://127.0.0.1:{self.port},CONTROLLER://127.0.0.1:{self.controller_port}",
            "advertised.listeners": f"PLAINTEXT://127.0.0.1:{self.port}",
            "controller.listener.names": "CONTROLLER",
            "listener.security.protocol.map": "CONTROLLER:PLAINTEXT,PLAINTEXT:PLAINTEXT",
            "log.dirs": str(self.data_dir / "logs"),
            "num.partitions": "3",
            "offsets.topic.replication.factor": "1",
            "offsets.topic.num.partitions": "3",
            "transaction.state.log.replication.factor": "1",
            "transaction.state.log.min.isr": "1",
            "share.coordinator.state.topic.replication.factor": "1",
            "share.coordinator.state.topic.min.isr": "1",
            # A single node has nobody to wait for; the default 3 s delay only slows the first group join.
            "group.initial.rebalance.delay.ms": "0",
        }
        props.update(self.extra_properties)
        return props

    def write_properties(self) -> None:
        self.data_dir.mkdir(parents=True, exist_ok=True)
        body = "".join(f"{key}={value}\n" for key, value in self.properties().items())
        self.properties_path.write_text(body)

    def _java(self, main_class: str, *args: str) -> list[str]:
        return [
            "java",
            f"-Xms{self.heap}",
            f"-Xmx{self.heap}",
            "-XX:+UseG1GC",
            f"-Dlog4j2.configurationFile={LOG4J_CONFIG}",
            "-cp",
            f"{lib_dir(self.home)}/*",
            main_class,
            *args,
        ]

    def format_storage(self) -> None:
        """Format KRaft storage once; an already formatted directory is left as it is, without asking the JVM tool
        (a node restarted into its old data starts seconds sooner on a busy machine)."""
        if (self.data_dir / "logs" / "meta.properties").exists():
            return
        cluster_file = self.data_dir / "cluster.id"
        if not cluster_file.exists():
            cluster_file.write_text(self.cluster_id or new_cluster_id())
        command = [
            "java",
            "-cp",
            f"{lib_dir(self.home)}/*",
            f"-Dlog4j2.configurationFile={LOG4J_CONFIG}",
            "kafka.tools.StorageTool",
            "format",
            "--ignore-formatted",
            # `=`: a cluster id may start with "-", which would otherwise read as an option.
            f"--cluster-id={cluster_file.read_text().strip()}",
            f"--config={self.properties_path}",
        ]
        try:
            result = subprocess.run(command, capture_output=True, text=True, check=False)
        except FileNotFoundError as exc:
            raise BrokerError("Java (a JDK 17+) is needed to run the Kafka broker; see README prerequisites") from exc
        if result.returncode != 0:
            raise BrokerError(f"formatting Kafka storage failed:\n{result.stdout}{result.stderr}")

    def start(self, timeout: float = 90.0) -> None:
        """Start the JVM and return once the broker answers Kafka requests."""
        self.launch()
        self.wait_ready(timeout)

    def launch(self) -> None:
        """Start the JVM without waiting: the nodes of a cluster must all be up before any is ready."""
        fetch_jars(self.home)
        self.write_properties()
        self.format_storage()
        if self.log_path:
            self.log_path.parent.mkdir(parents=True, exist_ok=True)
        output = open(self.log_path, "ab") if self.log_path else None
        self.process = subprocess.Popen(
            self._java("kafka.Kafka", str(self.properties_path)),
            stdout=output,
            stderr=subprocess.STDOUT if output else None,
        )

    def wait_ready(self, timeout: float) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process is not None and self.process.poll() is not None:
                raise BrokerError(f"the Kafka JVM exited with code {self.process.returncode}{self._log_tail()}")
            if broker_answers(self.bootstrap_servers):
                return
            time.sleep(0.3)
        self.stop()
        raise BrokerError(f"Kafka did not answer on {self.bootstrap_servers} within {timeout:.0f} s{self._log_tail()}")

    def _log_tail(self) -> str:
        if self.log_path and self.log_path.exists():
            return "\n" + "\n".join(self.log_path.read_text(errors="replace").splitlines()[-30:])
        return ""

    def stop(self, grace: float = 30.0) -> None:
        """SIGTERM is a controlled shutdown; SIGKILL only if it overstays `grace`."""
        self._signal(signal.SIGTERM, grace)

    def kill(self) -> None:
        """Die like a crashed machine: no controlled shutdown, no flush."""
        self._signal(signal.SIGKILL, 10)

    def _signal(self, sig: int, grace: float) -> None:
        if self.process is None or self.process.poll() is not None:
            return
        self.process.send_signal(sig)
        try:
            self.process.wait(grace)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()


def broker_answers(bootstrap_servers: str, timeout_ms: int = 1000) -> bool:
    """True when a broker at `bootstrap_servers` answers a metadata request."""
    from kafka import KafkaAdminClient
    from kafka.errors import KafkaError

    try:
        admin = KafkaAdminClient(
            bootstrap_servers=bootstrap_servers,
            bootstrap_timeout_ms=timeout_ms,
            request_timeout_ms=timeout_ms + 500,
            client_id="localkafka-probe",
        )
    except (KafkaError, OSError):
        return False
    try:
        admin.describe_cluster()
        return True
    except (KafkaError, OSError):
        return False
    finally:
        admin.close()


def run_foreground(data_dir: Path, port: int, controller_port: int, control_file: Path | None = None) -> int:
    """Run the broker until SIGTERM or SIGINT, passing the signal on for a controlled shutdown.

    SIGUSR1 stops the broker and SIGUSR2 starts it again while this process stays (the playground's page stops
    and starts the local broker this way). With `control_file`, its pid, address and state are written there.
    """
    broker = LocalBroker(data_dir=data_dir, port=port, controller_port=controller_port)
    if broker_answers(broker.bootstrap_servers):
        print(f"A Kafka broker already answers on {broker.bootstrap_servers}; not starting another.", flush=True)
        return _wait_for_signal()
    stopping, requests = [], []

    def forward(signum, _frame):
        # Only pass the signal on: waiting here, inside a handler that interrupted process.wait(), deadlocks on
        # Popen's wait lock. The JVM's controlled shutdown ends the wait below.
        if signum in (signal.SIGTERM, signal.SIGINT):
            stopping.append(signum)
        else:
            requests.append(signum)
        if signum != signal.SIGUSR2 and broker.process is not None and broker.process.poll() is None:
            broker.process.send_signal(signal.SIGTERM)

    for signum in (signal.SIGTERM, signal.SIGINT, signal.SIGUSR1, signal.SIGUSR2):
        signal.signal(signum, forward)
    state = _ControlFile(control_file, broker.bootstrap_servers)
    try:
        return _serve(broker, data_dir, stopping, requests, state)
    finally:
        state.remove()


def start_or_exit(start: Callable[[], None], stopping: list, state) -> int | None:
    """Start the broker(s) with `state` at "starting", then "running"; the exit code when the run must end instead:
    0 when a stop signal came meanwhile, 1 when the start failed (said on stderr)."""
    state.write("starting")
    try:
        start()
    except BrokerError as exc:
        if stopping:
            return 0
        print(exc, file=sys.stderr, flush=True)
        return 1
    if stopping:
        return 0
    state.write("running")
    return None


def _serve(broker: LocalBroker, data_dir: Path, stopping: list, requests: list, state: _ControlFile) -> int:
    while True:
        failed = start_or_exit(broker.start, stopping, state)
        if failed is not None:
            broker.stop()  # a no-op unless it started and a stop signal came meanwhile
            return failed
        requests.clear()
        print(f"Kafka broker ready on {broker.bootstrap_servers} (data in {data_dir})", flush=True)
        code = broker.process.wait()
        if stopping or signal.SIGUSR1 not in requests:
            return 0 if stopping else code
        state.write("stopped")
        print("Kafka broker stopped on request; SIGUSR2 starts it again", flush=True)
        while not stopping and signal.SIGUSR2 not in requests:
            time.sleep(0.2)
        if stopping:
            return 0


@dataclass
class _ControlFile:
    """{"pid", "bootstrap_servers", "state"} of a broker run in the foreground, for whoever may stop and start it."""

    path: Path | None
    bootstrap_servers: str

    def write(self, state: str) -> None:
        if self.path is not None:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            temporary = self.path.with_suffix(".tmp")
            temporary.write_text(
                json.dumps({"pid": os.getpid(), "bootstrap_servers": self.bootstrap_servers, "state": state})
            )
            temporary.replace(self.path)

    def remove(self) -> None:
        if self.path is not None:
            self.path.unlink(missing_ok=True)


def _wait_for_signal() -> int:
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))
    try:
        while True:
            signal.pause()
    except KeyboardInterrupt:
        return 0


def env_path(name: str, default: Path) -> Path:
    return Path(os.environ.get(name, default)).resolve()
