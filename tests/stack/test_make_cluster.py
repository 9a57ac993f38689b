"""`make cluster` as a learner runs it, at classroom scale: three brokers, two of every process, PostgreSQL.

The test runs `make cluster` itself (Procfile.cluster under honcho), with ports and the brokers' data dir on free
ports / a temporary directory, against a throwaway PostgreSQL (localpg). With one Chromium page
open on each web process's dashboard, 1,000 orders go in at once over REST on both web processes and gRPC on both
rungrpc processes; halfway through, `python -m localkafka kill-broker N` SIGKILLs the broker leading partition 0.
Then every order is COMPLETED by the worker group, every order's events (created, PROCESSING, COMPLETED) are on the
topic, every outbox row is on the topic where the publisher said it put it, and each page shows each order exactly
once, COMPLETED, having received every record of the topic exactly once over its websocket. Last, `restart-brokers`
brings the crashed node back into every partition's in-sync replicas, and no process logged a crashed websocket or
task. Timings and counts go to test-artifacts/cluster/summary.json, with a screenshot of each page.
"""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
import urllib.request
from collections import Counter, defaultdict
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import grpc
import psycopg
import pytest
from kafka import KafkaAdminClient
from playwright.sync_api import expect

from grpc_bridge.generated import orders_pb2 as pb
from grpc_bridge.generated import orders_pb2_grpc
from harness.topics import read_records
from localkafka import broker_answers, free_port
from localpg import LocalPostgres
from tests.conftest import ARTIFACTS, open_dashboard
from tests.support.http_orders import post_order
from tests.support.waiting import wait_until

# Real brokers and real processes, whatever fixtures this test uses.
pytestmark = [pytest.mark.faults, pytest.mark.kafka, pytest.mark.slow]

ROOT = Path(__file__).resolve().parents[2]
SHOTS = ARTIFACTS / "cluster"
ORDERS = 1000
KILL_AT = ORDERS // 2
LANES = ("rest-web1", "rest-web2", "grpc-grpc1", "grpc-grpc2")
CLIENTS_PER_LANE = 4
TOPIC = "orders"

# Counts every record the page's websocket receives, by partition and offset, before the page's own code sees it:
# a record sent twice to one page would show here even though the page hides duplicate events.
COUNT_RECORDS = """
(() => {
  const seen = new Map();
  window.__relaySeen = seen;
  const Native = window.WebSocket;
  window.WebSocket = class extends Native {
    constructor(...args) {
      super(...args);
      this.addEventListener("message", (message) => {
        let frame;
        try { frame = JSON.parse(message.data); } catch (error) { return; }
        const records = frame.type === "records" ? frame.records : frame.type === "record" ? [frame] : [];
        for (const record of records) {
          const at = `${record.partition}:${record.offset}`;
          seen.set(at, (seen.get(at) || 0) + 1);
        }
      });
    }
  };
})();
"""

ROWS = """() => Array.from(document.querySelectorAll("#orders tr[data-order-id]"),
    (row) => [row.dataset.orderId, row.querySelector(".status").textContent])"""


class MakeCluster:
    """`make cluster` in a session of its own, so the test can stop it all as Ctrl-C in its terminal would."""

    def __init__(self, work: Path, database_url: str, **extra_env: str) -> None:
        self.work = work
        self.web_ports = [free_port(), free_port()]
        self.grpc_ports = [free_port(), free_port()]
        self.kafka_ports = [free_port() for _ in range(3)]
        self.control_file = work / "cluster.json"
        self.log_path = SHOTS / "make-cluster.log"
        inherited = {
            name: value
            for name, value in os.environ.items()
            # The session broker's address (conftest) would make `make cluster` start no brokers.
            if name
            not in {
                "KAFKA_BOOTSTRAP_SERVERS",
                "KAFKA_ORDERS_TOPIC",
                "FULFILMENT_GROUP",
                # An outer `make test`'s variables and jobserver are not this make's.
                "MAKEFLAGS",
                "MFLAGS",
                "MAKELEVEL",
            }
        }
        self.env = {
            **inherited,
            "WEB1_PORT": str(self.web_ports[0]),
            "WEB2_PORT": str(self.web_ports[1]),
            "GRPC1_PORT": str(self.grpc_ports[0]),
            "GRPC2_PORT": str(self.grpc_ports[1]),
            "KAFKA_CLUSTER_PORTS": " ".join(map(str, self.kafka_ports)),
            "KAFKA_CLUSTER_CONTROLLER_PORTS": " ".join(str(free_port()) for _ in range(3)),
            "KAFKA_CLUSTER_DATA_DIR": str(work / "kafka"),
            "LOCAL_KAFKA_CLUSTER_FILE": str(self.control_file),
            "LOCAL_KAFKA_PIDFILE": str(work / "no-single-broker.json"),
            "OUTBOX_WAKEUP_ADDR": f"127.0.0.1:{free_port()}",
            "DATABASE_URL": database_url,
            "PYTHONUNBUFFERED": "1",
            **extra_env,
        }
        self.process: subprocess.Popen | None = None
        self.jvm_pids: list[int] = []

    @property
    def bootstrap_servers(self) -> str:
        return ",".join(f"127.0.0.1:{port}" for port in self.kafka_ports)

    def base_url(self, index: int) -> str:
        return f"http://127.0.0.1:{self.web_ports[index]}"

    def start(self) -> None:
        SHOTS.mkdir(parents=True, exist_ok=True)
        log = open(self.log_path, "w")
        # `-o .venv/.installed`: this test runs inside the installed venv; a pyproject.toml newer than the stamp
        # must not make it reinstall the packages that the test itself (and others' test runs) are using.
        self.process = subprocess.Popen(
            ["make", "--no-print-directory", "-o", ".venv/.installed", "cluster"],
            cwd=ROOT,
            env=self.env,
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )

    def wait_ready(self, timeout: float) -> None:
        wait_until(
            lambda: not self.not_ready(),
            timeout=timeout,
            interval=0.5,
            message=lambda: f"never up: {', '.join(self.not_ready())}",
        )

    def not_ready(self) -> list[str]:
        """What is not up yet: the brokers, a web process's /health, a rungrpc's channel. Fails if make exited."""
        assert self.process.poll() is None, (
            f"make cluster exited with {self.process.returncode}: see {self.log_path}\n{self.log_tail()}"
        )
        parts = [] if self.brokers_running() else ["the three brokers"]
        parts += [f"web{index + 1}" for index in range(2) if not answers(f"{self.base_url(index)}/health")]
        parts += [f"grpc{index + 1}" for index, port in enumerate(self.grpc_ports) if not grpc_answers(port)]
        return parts

    def brokers_running(self) -> bool:
        """Whether the cluster's control file says running; then the brokers' JVM pids are known."""
        try:
            control = json.loads(self.control_file.read_text())
        except (OSError, ValueError):
            return False
        if control["state"] == "running":
            self.jvm_pids = [node["pid"] for node in control["nodes"]]
            return True
        return False

    def log_tail(self, lines: int = 40) -> str:
        return "\n".join(self.log_path.read_text(errors="replace").splitlines()[-lines:])

    def kill_broker(self, number: int) -> str:
        """`python -m localkafka kill-broker N`, as a learner would crash one."""
        result = subprocess.run(
            [sys.executable, "-m", "localkafka", "kill-broker", str(number)],
            cwd=ROOT,
            env=self.env,
            capture_output=True,
            text=True,
            timeout=30,
            check=False,
        )
        assert result.returncode == 0, result.stderr
        return result.stdout.strip()

    def stop(self) -> float:
        """Ctrl-C: SIGINT to make and honcho; honcho stops its processes (SIGKILL after 5 s). Returns seconds."""
        started = time.monotonic()
        if self.process is not None and self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGINT)
            try:
                self.process.wait(60)
            except subprocess.TimeoutExpired:
                os.killpg(self.process.pid, signal.SIGKILL)
                self.process.wait(10)
        # Whatever survived honcho (nothing should): the brokers' JVMs are the ones that matter.
        for pid in self.jvm_pids:
            try:
                os.kill(pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
        return time.monotonic() - started


def answers(url: str) -> bool:
    try:
        with urllib.request.urlopen(url, timeout=2):
            return True
    except OSError:
        return False


def grpc_answers(port: int) -> bool:
    with grpc.insecure_channel(f"127.0.0.1:{port}") as channel:
        try:
            grpc.channel_ready_future(channel).result(timeout=1)
            return True
        except grpc.FutureTimeoutError:
            return False


def get_json(url: str):
    with urllib.request.urlopen(url, timeout=30) as response:
        return json.load(response)


def statuses(base_url: str) -> dict[str, str]:
    """Every order's status from the REST list, page by page (500 a page)."""
    found, page = {}, 1
    while True:
        body = get_json(f"{base_url}/api/orders/computers?page_size=500&page={page}")
        found.update({order["order_id"]: order["status"] for order in body["computer_orders"]})
        if not body["next"]:
            return found
        page += 1


def partition_leaders(bootstrap_servers: str) -> dict[int, int]:
    admin = KafkaAdminClient(bootstrap_servers=bootstrap_servers, client_id="cluster-test")
    try:
        [topic] = admin.describe_topics([TOPIC])
        return {p["partition_index"]: p["leader_id"] for p in topic["partitions"]}
    finally:
        admin.close()


def replicas(bootstrap_servers: str) -> dict[int, tuple[int, int]]:
    """(replicas, in-sync replicas) per partition of the topic."""
    admin = KafkaAdminClient(bootstrap_servers=bootstrap_servers, client_id="cluster-test")
    try:
        [topic] = admin.describe_topics([TOPIC])
        return {p["partition_index"]: (len(p["replica_nodes"]), len(p["isr_nodes"])) for p in topic["partitions"]}
    finally:
        admin.close()


def topic_exists(bootstrap_servers: str) -> bool:
    admin = KafkaAdminClient(bootstrap_servers=bootstrap_servers, client_id="cluster-test")
    try:
        return TOPIC in admin.list_topics()
    finally:
        admin.close()


@pytest.fixture
def postgres():
    server = LocalPostgres.throwaway(prefix="playground-cluster-pg-")
    server.start()
    yield server
    server.stop()


@pytest.fixture
def make_cluster(postgres):
    cluster = MakeCluster(
        Path(tempfile.mkdtemp(prefix="playground-make-cluster-")),
        postgres.url,
        FULFILMENT_FAILURE_RATE="0",
        FULFILMENT_STEP_DELAY_MS="10",
        FULFILMENT_LOG_LEVEL="WARNING",
    )
    cluster.start()
    yield cluster
    stopped_in = cluster.stop()
    print(f"make cluster stopped in {stopped_in:.1f} s")
    assert not broker_answers(cluster.bootstrap_servers), "a broker outlived make cluster"
    shutil.rmtree(cluster.work, ignore_errors=True)


class Burst:
    """1,000 orders over four lanes at once: REST on each web process, gRPC on each rungrpc process."""

    def __init__(self, cluster: MakeCluster, on_index) -> None:
        self.cluster = cluster
        self.on_index = on_index
        self.lock = threading.Lock()
        self.started = 0
        self.began = 0.0  # time.monotonic() when run() began
        self.results: list[tuple[str, str | None, str]] = []  # (lane, order id or None, error)
        self.seconds: dict[str, list[float]] = defaultdict(list)
        self.stubs = [
            orders_pb2_grpc.OrderServiceStub(grpc.insecure_channel(f"127.0.0.1:{port}")) for port in cluster.grpc_ports
        ]

    def one(self, lane: str, number: int) -> tuple[str, str | None, str]:
        with self.lock:
            index = self.started
            self.started += 1
        self.on_index(index)
        started = time.monotonic()
        try:
            return self.create(lane, number)
        finally:
            self.seconds[lane].append(time.monotonic() - started)

    def create(self, lane: str, number: int) -> tuple[str, str | None, str]:
        created_by = f"{lane}-{number}"
        kind, target = lane.split("-")
        if kind == "rest":
            status, order_id, _ = post_order(self.cluster.base_url(int(target[-1]) - 1), created_by)
            return lane, order_id if status == 201 else None, "" if status == 201 else f"HTTP {status}"
        try:
            created = self.stubs[int(target[-1]) - 1].Create(
                pb.OrderMessage(created_by=created_by, equipment=[pb.OrderMessage.KEYBOARD, pb.OrderMessage.MOUSE]),
                timeout=30,
            )
            return lane, created.id, ""
        except grpc.RpcError as error:
            return lane, None, f"{error.code().name}: {error.details()}"

    def run(self) -> list[tuple[str, str | None, str]]:
        per_lane = ORDERS // len(LANES)
        work = [(lane, number) for number in range(per_lane) for lane in LANES]
        self.began = time.monotonic()
        with ThreadPoolExecutor(CLIENTS_PER_LANE * len(LANES)) as pool:
            self.results = list(pool.map(lambda item: self.one(*item), work))
        return self.results

    def since_start(self) -> float:
        return time.monotonic() - self.began

    def latencies_ms(self) -> dict[str, str]:
        """p50 / p99 / max per lane, in ms."""

        def at(values, share):
            return values[min(len(values) - 1, int(share * len(values)))] * 1000

        return {
            lane: f"{at(v, 0.5):.0f} / {at(v, 0.99):.0f} / {v[-1] * 1000:.0f}"
            for lane, v in ((lane, sorted(values)) for lane, values in self.seconds.items())
        }


class BrokerCrash:
    """`kill-broker` on the broker leading partition 0, from a thread of its own once the burst reaches KILL_AT."""

    def __init__(self, cluster: MakeCluster) -> None:
        self.cluster = cluster
        self.leaders = partition_leaders(cluster.bootstrap_servers)
        self.victim = self.leaders[0]
        self.killed_at: float | None = None  # time.monotonic() when the kill began
        self.said: str | None = None  # what kill-broker printed

    def kill_midway(self, index: int) -> None:
        if index == KILL_AT:
            self.killed_at = time.monotonic()
            threading.Thread(target=self._kill).start()

    def _kill(self) -> None:
        self.said = self.cluster.kill_broker(self.victim)

    def survivors(self) -> str:
        return ",".join(
            f"127.0.0.1:{port}" for number, port in enumerate(self.cluster.kafka_ports, 1) if number != self.victim
        )


def test_make_cluster_takes_1000_orders_through_a_broker_crash(make_cluster, browser):
    cluster = make_cluster
    timings = {}
    started = time.monotonic()
    cluster.wait_ready(timeout=180)
    timings["make cluster up"] = time.monotonic() - started
    wait_for_the_topic_in_sync(cluster)

    with open_dashboard(browser, cluster.base_url(0)) as page1, open_dashboard(browser, cluster.base_url(1)) as page2:
        pages = [page1, page2]
        count_records_on(pages, cluster)
        crash = BrokerCrash(cluster)
        burst = Burst(cluster, crash.kill_midway)
        ordered = place_orders_through_the_crash(burst, crash)
        timings["burst (1000 creates)"] = burst.since_start()
        survivors = crash.survivors()

        wait_for_every_order_completed(cluster, ordered)
        timings["all COMPLETED (from burst start)"] = burst.since_start()
        records, events = check_the_topic(survivors, ordered)
        work = check_the_outbox(cluster, events)
        group = wait_for_the_group_at_the_end(cluster)
        state = get_json(f"{cluster.base_url(0)}/fulfilment/state")
        shown = check_the_dashboards(pages, ordered, events)
        timings["all shown (from burst start)"] = burst.since_start()

        assert make_cluster.process.poll() is None, "make cluster kept running through the crash"
        with_two = {"leaders": partition_leaders(survivors), "replicas_in_sync": replicas(survivors)}

    timings["crashed node back in sync"] = restart_the_crashed_node(cluster, crash)
    check_no_process_crashed(cluster)
    spans = check_the_spans_of_every_process(cluster)
    check_the_map(cluster, browser)

    by_event = Counter(value["event_id"] for _, value in events)
    summary = {
        "timings_s": {name: round(seconds, 1) for name, seconds in timings.items()},
        "orders": len(ordered),
        "by_lane": Counter(ordered.values()),
        "create_ms_p50_p99_max": burst.latencies_ms(),
        "killed": {
            "node": crash.victim,
            "at_order": KILL_AT,
            "at_s": round(crash.killed_at - burst.began, 1),
            "said": crash.said,
            "leaders_before": crash.leaders,
            "after": with_two,
        },
        "records_on_topic": len(records),
        "distinct_events": len(by_event),
        "duplicates_on_topic": sum(count - 1 for count in by_event.values()),
        "group": {"members": len(group["members"]), "lag": group["lag"]},
        "worker_counters": state.get("counters"),
        "orders_per_member": work,
        "dashboards": shown,
        "span_instances_per_service": spans,
    }
    (SHOTS / "summary.json").write_text(json.dumps(summary, indent=2, default=str))
    print(json.dumps(summary, indent=2, default=str))


def wait_for_the_topic_in_sync(cluster: MakeCluster) -> None:
    wait_until(
        lambda: topic_exists(cluster.bootstrap_servers),
        timeout=30,
        interval=0.5,
        message="the publishers never created the topic",
    )
    # A new topic's followers join the in-sync set within a moment of its creation.
    wait_until(
        lambda: replicas(cluster.bootstrap_servers) == {0: (3, 3), 1: (3, 3), 2: (3, 3)},
        timeout=30,
        interval=0.5,
        message="the topic never had 3 replicas, all in sync, on every partition",
    )


def count_records_on(pages: list, cluster: MakeCluster) -> None:
    """Each page counts what its websocket receives (COUNT_RECORDS), and is live on its own web process."""
    for index, page in enumerate(pages):
        page.add_init_script(COUNT_RECORDS)
        page.reload()
        expect(page.locator("#kafka-state")).to_have_attribute("data-state", "ok", timeout=30_000)
        # Each dashboard's gRPC gateway reaches the rungrpc process of its own pair.
        services = page.request.get(f"{cluster.base_url(index)}/workbench/grpc/services").json()
        assert services["target"] == f"127.0.0.1:{cluster.grpc_ports[index]}"


def place_orders_through_the_crash(burst: Burst, crash: BrokerCrash) -> dict[str, str]:
    """Every create of the burst succeeds although a broker died midway: the lane of each order, by its id."""
    results = burst.run()
    failures = [result for result in results if result[1] is None]
    assert not failures, f"{len(failures)} creates failed, e.g. {failures[:5]}"
    ordered = {order_id: lane for lane, order_id, _ in results}
    assert len(ordered) == ORDERS
    assert crash.killed_at, "the broker was never killed"
    wait_until(lambda: crash.said is not None, timeout=30, message="kill-broker did not finish")
    assert not broker_answers(f"127.0.0.1:{crash.cluster.kafka_ports[crash.victim - 1]}")
    return ordered


def wait_for_every_order_completed(cluster: MakeCluster, ordered: dict[str, str]) -> None:
    """The worker group: every order COMPLETED, as both web processes' REST lists say."""
    wait_until(
        lambda: Counter(statuses(cluster.base_url(0)).values()) == {"COMPLETED": ORDERS},
        timeout=180,
        interval=1,
        message=lambda: f"not all COMPLETED: {Counter(statuses(cluster.base_url(0)).values())}",
    )
    assert statuses(cluster.base_url(1)) == dict.fromkeys(ordered, "COMPLETED")


def check_the_topic(survivors: str, ordered: dict[str, str]) -> tuple[list, list[tuple]]:
    """Each order's created event (from the transport it came in by), then the worker's two steps, in order.

    Returns the records and (record, parsed value) for each."""
    records = read_records(survivors, TOPIC, expected=3 * ORDERS, timeout=90)
    events = [(record, json.loads(record.value)) for record in records]
    steps = defaultdict(list)
    seen_events = set()
    for record, value in sorted(events, key=lambda item: (item[0].partition, item[0].offset)):
        if value["event_id"] in seen_events:
            continue
        seen_events.add(value["event_id"])
        assert record.key.decode() == value["order"]["order_id"]
        steps[value["order"]["order_id"]].append((value["order"]["status"], value["source"]))
    expected = {
        order_id: [("QUEUED", lane.split("-")[0]), ("PROCESSING", "worker"), ("COMPLETED", "worker")]
        for order_id, lane in ordered.items()
    }
    assert steps == expected, "each order: created by its transport, then PROCESSING and COMPLETED, in order"
    return records, events


def check_the_outbox(cluster: MakeCluster, events: list[tuple]) -> dict[str, int]:
    """Nothing lost between the database and the topic: every outbox row sent, and found where it was sent.

    Returns the orders each worker member processed."""
    with psycopg.connect(cluster.env["DATABASE_URL"]) as connection:
        rows = connection.execute(
            'SELECT event_id::text, partition, "offset", sent_at IS NOT NULL, '
            "parked_at IS NOT NULL FROM outbox_outboxevent"
        ).fetchall()
        work = dict(
            connection.execute(
                "SELECT member, count(DISTINCT order_id) FROM fulfilment_processedevent "
                "WHERE NOT skipped GROUP BY member"
            ).fetchall()
        )
    assert len(rows) == 3 * ORDERS and all(sent and not parked for *_, sent, parked in rows)
    at = {(record.partition, record.offset): value["event_id"] for record, value in events}
    assert all(at.get((partition, offset)) == event_id for event_id, partition, offset, _, _ in rows)
    assert len(work) >= 2, f"both workers' members did the work: {work}"
    return work


def wait_for_the_group_at_the_end(cluster: MakeCluster) -> dict:
    """The worker group, once both members have committed every record (lag 0)."""
    return wait_until(
        lambda: fulfilment_group(cluster.base_url(0), lag=0),
        timeout=60,
        interval=1,
        message=lambda: f"the group did not commit to the end: {fulfilment_group(cluster.base_url(0))}",
    )


def check_the_dashboards(pages: list, ordered: dict[str, str], events: list[tuple]) -> list[dict]:
    """Each page shows each order once, COMPLETED, and got every record of the topic exactly once; screenshots."""
    all_offsets = {f"{record.partition}:{record.offset}" for record, _ in events}
    shown = []
    for index, page in enumerate(pages):

        def statuses_shown(page=page) -> Counter:
            return Counter(status for _, status in page.evaluate(ROWS))

        wait_until(
            lambda: statuses_shown() == {"COMPLETED": ORDERS},
            timeout=120,
            interval=1,
            message=lambda: f"dashboard {index + 1}: {statuses_shown()}",  # noqa: B023 - read while index is current
        )
        rows_shown = page.evaluate(ROWS)
        assert sorted(order_id for order_id, _ in rows_shown) == sorted(ordered), "each order exactly once"
        received = page.evaluate("() => Object.fromEntries(window.__relaySeen)")
        assert set(received) == all_offsets, f"dashboard {index + 1} missed or got foreign records"
        assert max(received.values()) == 1, f"dashboard {index + 1} got a record twice"
        shown.append(
            {
                "rows": len(rows_shown),
                "records": len(received),
                "duplicates_hidden": page.locator("#duplicates-count").text_content(),
            }
        )
        page.locator("#orders-card").scroll_into_view_if_needed()
        page.screenshot(path=str(SHOTS / f"dashboard-web{index + 1}.png"))
        page.click("a[data-view-link=groups]")
        expect(page.locator("#group-state")).not_to_have_text("unknown", timeout=10_000)
        page.locator("#fulfilment-card").screenshot(path=str(SHOTS / f"fulfilment-web{index + 1}.png"))
    return shown


def restart_the_crashed_node(cluster: MakeCluster, crash: BrokerCrash) -> float:
    """`restart-brokers` brings the crashed node back, and it catches up: every partition in sync on all three again.

    Returns the seconds it took."""
    subprocess.run(
        [sys.executable, "-m", "localkafka", "restart-brokers"], cwd=ROOT, env=cluster.env, check=True, timeout=30
    )
    restarted = time.monotonic()
    survivors = crash.survivors()
    wait_until(
        lambda: replicas(survivors) == {0: (3, 3), 1: (3, 3), 2: (3, 3)},
        timeout=90,
        interval=1,
        message=lambda: f"node {crash.victim} did not rejoin the in-sync replicas: {replicas(survivors)}",
    )
    return time.monotonic() - restarted


def check_the_spans_of_every_process(cluster: MakeCluster) -> dict[str, int]:
    """Each of the two web, rungrpc, publisher and worker processes kept spans in the shared store.

    Returns how many instances of each service recorded spans."""
    with psycopg.connect(cluster.env["DATABASE_URL"]) as connection:
        found = dict(
            connection.execute(
                "SELECT service, count(DISTINCT instance) FROM tracing_spanrecord GROUP BY service"
            ).fetchall()
        )
    assert all(found.get(service, 0) >= 2 for service in ("web", "grpc", "publisher", "worker")), found
    return found


def check_the_map(cluster: MakeCluster, browser) -> None:
    """The map draws two of every process, both relays with their websockets, and three brokers in sync."""
    expected = Counter({"web": 2, "grpc": 2, "publisher": 2, "supervisor": 2, "member": 2})

    def processes_up() -> Counter:
        rows = get_json(f"{cluster.base_url(0)}/system/state")["processes"]
        return Counter(row["details"].get("role", row["service"]) for row in rows if not row["gone"])

    wait_until(
        lambda: processes_up() & expected == expected,
        timeout=30,
        interval=1,
        message=lambda: f"the state does not list two of each process: {processes_up()}",
    )
    with open_dashboard(browser, cluster.base_url(0), "/map") as page:
        expect(page.locator("#map-summary")).to_have_text(
            "2 web processes, 2 gRPC, 2 publishers, 4 worker processes, 3 of 3 brokers up"
        )
        nodes = page.locator("#map-svg .map-node")
        for stage, count in [("api", 4), ("publisher", 2), ("broker", 3)]:
            expect(nodes.and_(page.locator(f'[data-stage="{stage}"][data-state="up"]'))).to_have_count(count)
        for prefix in ("relay:", "worker:", "member:"):
            expect(page.locator(f'#map-svg .map-node[data-node^="{prefix}"][data-state="up"]')).to_have_count(2)
        expect(page.locator('#map-svg [data-stage="broker"]').filter(has_text="behind")).to_have_count(0)
        page.screenshot(path=str(SHOTS / "map-make-cluster-1440.png"), full_page=True)


def check_no_process_crashed(cluster: MakeCluster) -> None:
    log = cluster.log_path.read_text(errors="replace")
    for crash in ("Exception inside application", "Task exception was never retrieved"):
        assert crash not in log, f"a process logged {crash!r}: see {cluster.log_path}"


def fulfilment_group(base_url: str, lag: int | None = None) -> dict:
    state = get_json(f"{base_url}/fulfilment/state")
    group = next((g for g in state["topic"]["groups"] if g["group_id"] == state["group_id"]), {})
    if lag is not None and (group.get("lag") != lag or len(group.get("members", [])) != 2):
        return {}
    return group
