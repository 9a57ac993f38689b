"""REST create: POST /api/orders/computers (DRF + database + outbox) vs a plain Django JSON view, same server.

    .venv/bin/python -m bench.rest_create [--requests 2000] [--concurrency 8] [--database sqlite|postgres]

The server is `manage.py runserver` (daphne) with DEBUG off; only the web process runs, so nothing else
competes for the two cores. Kafka is not needed: the outbox keeps the events. The orders go to a fresh SQLite
file, or with `--database postgres` to a throwaway PostgreSQL that localpg starts for the run (bench/databases.py);
the plain view stores nothing either way.
"""

import argparse
import tempfile
from pathlib import Path

from bench import databases
from bench.load import post_json
from bench.report import print_table
from harness.processes import Stack

BODY = {"created_by": "bench", "equipment": ["KEYBOARD", "MOUSE", "MOUSE", "MONITOR"]}


def main() -> None:
    databases.run_create_bench("--requests", run)


def run(options: argparse.Namespace, database_url: str, label: str) -> None:
    stack = Stack(
        bootstrap_servers="127.0.0.1:1",
        topic="orders",
        log_dir=Path(tempfile.mkdtemp()),
        # DATABASE_POOL as the Procfile's web process has it (used on PostgreSQL only).
        services=("web",),
        extra_env={"DJANGO_SETTINGS_MODULE": "bench.settings", "DATABASE_POOL": "8"},
        database_url=database_url,
    ).start()
    try:
        for concurrency in (1, options.concurrency):
            common = {"requests": options.requests, "concurrency": concurrency, "warmup": options.warmup}
            ours = post_json(
                f"POST /api/orders/computers ({label})", stack.web_port, "/api/orders/computers", BODY, **common
            )
            plain = post_json("POST plain Django JSON view", stack.web_port, "/bench/plain-json", BODY, **common)
            print_table(f"REST create, concurrency {concurrency}", ours, plain, unit="orders/s")
    finally:
        stack.stop()


if __name__ == "__main__":
    main()
