"""Start the playground's real processes on free ports: for end-to-end tests and benchmarks.

Each Stack gets its own SQLite file (or the database `database_url` names, e.g. a fresh PostgreSQL one) and runs
`manage.py runserver` (daphne), `rungrpc` and `publish_outbox` (or the subset named in `services`) against a
broker it is given. A new SQLite file starts as a copy of one migrated once per process: `manage.py migrate` costs
about 3 s of CPU, and the suite starts some 190 stacks.
"""

from __future__ import annotations

import atexit
import contextlib
import functools
import json
import os
import shutil
import signal
import sqlite3
import subprocess
import sys
import tempfile
import time
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path

import grpc

from localkafka import free_port

ROOT = Path(__file__).resolve().parent.parent
COMMANDS = {
    "web": lambda stack: ["runserver", "--noreload", f"127.0.0.1:{stack.web_port}"],
    "grpc": lambda stack: ["rungrpc", stack.grpc_target],
    "publisher": lambda stack: ["publish_outbox"],
    "worker": lambda stack: ["fulfil_orders"],
    "metrics": lambda stack: ["sample_metrics"],
}


@dataclass
class Stack:
    bootstrap_servers: str
    topic: str
    log_dir: Path
    services: tuple[str, ...] = ("web", "grpc", "publisher")
    extra_env: dict[str, str] = field(default_factory=dict)
    web_port: int = field(default_factory=free_port)
    grpc_port: int = field(default_factory=free_port)
    wakeup_port: int = field(default_factory=free_port)
    database: Path = field(default_factory=lambda: Path(tempfile.mkdtemp(prefix="playground-stack-")) / "db.sqlite3")
    # Any DATABASE_URL (a fresh PostgreSQL database: localpg.create_database); None: the SQLite file `database`.
    database_url: str | None = None
    processes: dict[str, subprocess.Popen] = field(default_factory=dict)
    # Settings for one service only, over the rest (a benchmark gives each process what its Procfile line does).
    service_env: dict[str, dict[str, str]] = field(default_factory=dict)
    # True when `database_url` names a database made from an already migrated template (start skips migrate).
    migrated: bool = False

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.web_port}"

    @property
    def grpc_target(self) -> str:
        return f"127.0.0.1:{self.grpc_port}"

    def env(self) -> dict[str, str]:
        return {
            **os.environ,
            "DATABASE_URL": self.database_url or f"sqlite:///{self.database}",
            "KAFKA_BOOTSTRAP_SERVERS": self.bootstrap_servers,
            "KAFKA_ORDERS_TOPIC": self.topic,
            "GRPC_TARGET": self.grpc_target,
            "OUTBOX_WAKEUP_ADDR": f"127.0.0.1:{self.wakeup_port}",
            # A group of its own per stack: stacks on one broker never rebalance each other's workers.
            "FULFILMENT_GROUP": f"fulfilment-{self.topic}",
            "PYTHONUNBUFFERED": "1",
            **self.extra_env,
        }

    def start(self) -> Stack:
        self.log_dir.mkdir(parents=True, exist_ok=True)
        if self.database_url is None and not self.database.exists():
            copy_sqlite(migrated_sqlite(self.env().get("DJANGO_SETTINGS_MODULE", "")), self.database)
        elif not self.migrated:
            migrate(self.env())
        for name in self.services:
            self.start_service(name)
        self.wait_ready()
        return self

    def start_service(self, name: str) -> subprocess.Popen:
        log = open(self.log_dir / f"stack-{name}.log", "a")
        self.processes[name] = subprocess.Popen(
            [sys.executable, "manage.py", *COMMANDS[name](self)],
            cwd=ROOT,
            # Named as `make run` names it: tracing (tracing.setup) is on in it, as there.
            env={**self.env(), "OTEL_SERVICE_NAME": name, **self.service_env.get(name, {})},
            stdout=log,
            stderr=subprocess.STDOUT,
        )
        return self.processes[name]

    def wait_ready(self, timeout: float = 60.0) -> None:
        deadline = time.monotonic() + timeout
        if "grpc" in self.processes:
            with grpc.insecure_channel(self.grpc_target) as channel:
                grpc.channel_ready_future(channel).result(timeout=timeout)
        while "web" in self.processes and time.monotonic() < deadline:
            for name, process in self.processes.items():
                if process.poll() is not None:
                    raise RuntimeError(f"{name} exited with {process.returncode}; see {self.log_dir}/stack-{name}.log")
            try:
                with urllib.request.urlopen(f"{self.base_url}/health", timeout=2):
                    return
            except OSError:
                time.sleep(0.2)
        if "web" in self.processes:
            raise RuntimeError(f"runserver did not answer on {self.base_url} within {timeout} s")

    def manage(self, *args: str) -> str:
        """Run a management command against this stack's database and broker; return what it printed."""
        result = subprocess.run(
            [sys.executable, "manage.py", *args],
            cwd=ROOT,
            env=self.env(),
            capture_output=True,
            text=True,
            timeout=60,
            check=True,
        )
        return result.stdout

    def unsent_events(self) -> int:
        """Outbox rows the publisher has not yet seen acknowledged, as `manage.py outbox` reports them."""
        return json.loads(self.manage("outbox", "status", "--json"))["waiting"]

    def get_json(self, path: str):
        with urllib.request.urlopen(f"{self.base_url}{path}", timeout=10) as response:
            return json.load(response)

    def fulfilment(self) -> dict:
        """The worker group's state as the dashboard's panel shows it (GET /fulfilment/state)."""
        return self.get_json("/fulfilment/state")

    def statuses(self) -> dict[str, str]:
        """The status of each order (up to 500), by order id."""
        return {
            order["order_id"]: order["status"]
            for order in self.get_json("/api/orders/computers?page_size=500")["computer_orders"]
        }

    def wait_outbox_drained(self, timeout: float) -> int:
        """Wait until every event was acknowledged or `timeout` passed; return how many are still unsent."""
        deadline = time.monotonic() + timeout
        while (waiting := self.unsent_events()) and time.monotonic() < deadline:
            time.sleep(0.5)
        return waiting

    def kill(self, name: str) -> None:
        """SIGKILL one process, as a crash would."""
        process = self.processes.pop(name)
        process.send_signal(signal.SIGKILL)
        process.wait(10)

    def stop(self) -> None:
        for process in self.processes.values():
            process.terminate()
        for process in self.processes.values():
            try:
                process.wait(15)
            except subprocess.TimeoutExpired:
                process.kill()
        self.processes.clear()


def migrate(env: dict[str, str]) -> None:
    subprocess.run([sys.executable, "manage.py", "migrate", "-v0"], cwd=ROOT, env=env, check=True, timeout=120)


@functools.cache
def migrated_sqlite(settings_module: str) -> Path:
    """A SQLite file with every migration applied, made once per process and settings module (both name the apps
    whose tables it holds). It is removed when the process ends."""
    folder = tempfile.mkdtemp(prefix="playground-migrated-")
    atexit.register(shutil.rmtree, folder, ignore_errors=True)
    database = Path(folder) / "db.sqlite3"
    env = {**os.environ, "DATABASE_URL": f"sqlite:///{database}"}
    if settings_module:
        env["DJANGO_SETTINGS_MODULE"] = settings_module
    migrate(env)
    return database


def copy_sqlite(source: Path, target: Path) -> None:
    """Copy a whole SQLite database with SQLite's backup API: it takes in whatever a WAL file still holds."""
    target.parent.mkdir(parents=True, exist_ok=True)
    with contextlib.closing(sqlite3.connect(source)) as reader, contextlib.closing(sqlite3.connect(target)) as writer:
        reader.backup(writer)
