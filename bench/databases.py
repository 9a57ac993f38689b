"""The database a benchmark's server processes use: a fresh SQLite file, or a throwaway PostgreSQL (localpg).

Both create benchmarks take `--database sqlite|postgres`, so one command measures either store the playground
supports (`DATABASE_URL`); the baseline of each run stores nothing, so it is the same on both.
"""

from __future__ import annotations

import argparse
import contextlib
import tempfile
from collections.abc import Iterator
from pathlib import Path

CHOICES = ("sqlite", "postgres")
LABELS = {"sqlite": "SQLite", "postgres": "PostgreSQL"}


def add_argument(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--database", choices=CHOICES, default="sqlite",
                        help="sqlite: a fresh file (WAL); postgres: a throwaway server from localpg (fsync off)")


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
