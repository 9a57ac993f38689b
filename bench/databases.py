"""The database a benchmark's server processes use: a fresh SQLite file, or a throwaway PostgreSQL (localpg).

Both create benchmarks take `--database sqlite|postgres`, so one command measures either store the playground
supports (`DATABASE_URL`); the baseline of each run stores nothing, so it is the same on both.
"""

from __future__ import annotations

import argparse
import contextlib
import tempfile
from collections.abc import Callable, Iterator
from pathlib import Path

CHOICES = ("sqlite", "postgres")
LABELS = {"sqlite": "SQLite", "postgres": "PostgreSQL"}


def run_create_bench(count_option: str, run: Callable[[argparse.Namespace, str, str], None]) -> None:
    """The command line both create benchmarks share: `count_option` (--requests, --calls), --concurrency,
    --warmup and --database; then `run(options, database_url, label)` against a new database of that kind."""
    parser = argparse.ArgumentParser()
    parser.add_argument(count_option, type=int, default=2000)
    parser.add_argument("--concurrency", type=int, default=8)
    parser.add_argument("--warmup", type=int, default=200)
    parser.add_argument(
        "--database",
        choices=CHOICES,
        default="sqlite",
        help="sqlite: a fresh file (WAL); postgres: a throwaway server from localpg (fsync off)",
    )
    options = parser.parse_args()
    with database_url(options.database) as url:
        run(options, url, LABELS[options.database])


@contextlib.contextmanager
def database_url(kind: str) -> Iterator[str]:
    """Yield the DATABASE_URL of a new, empty database of `kind`; a PostgreSQL server is stopped afterwards."""
    if kind == "sqlite":
        yield f"sqlite:///{Path(tempfile.mkdtemp(prefix='bench-db-')) / 'db.sqlite3'}"
        return
    from localpg import LocalPostgres

    server = LocalPostgres.throwaway(prefix="bench-pg-").start()
    try:
        yield server.url
    finally:
        server.stop()
