"""A Stack's SQLite file starts as a copy of one migrated once per process, and each Stack has a file of its own."""

import contextlib
import sqlite3

from django.db.migrations.loader import MigrationLoader

from harness.processes import Stack, copy_sqlite


def applied_migrations(database) -> set[tuple[str, str]]:
    with contextlib.closing(sqlite3.connect(database)) as connection:
        return set(connection.execute("SELECT app, name FROM django_migrations").fetchall())


def test_each_stack_starts_on_a_migrated_database_of_its_own(tmp_path):
    first = Stack(bootstrap_servers="127.0.0.1:9", topic="unused", log_dir=tmp_path, services=()).start()
    second = Stack(bootstrap_servers="127.0.0.1:9", topic="unused", log_dir=tmp_path, services=()).start()
    assert applied_migrations(first.database) == set(MigrationLoader(None, ignore_no_migrations=True).disk_migrations)
    with contextlib.closing(sqlite3.connect(first.database)) as connection, connection:
        connection.execute("DELETE FROM django_migrations")
    assert applied_migrations(first.database) == set()
    assert applied_migrations(second.database), "the second stack's file is not the first one's"


def test_a_copy_holds_what_the_source_still_keeps_in_its_write_ahead_log(tmp_path):
    source, target = tmp_path / "source.sqlite3", tmp_path / "copy" / "target.sqlite3"
    with contextlib.closing(sqlite3.connect(source)) as writer:
        writer.execute("PRAGMA journal_mode=WAL")
        writer.execute("PRAGMA wal_autocheckpoint=0")
        with writer:
            writer.execute("CREATE TABLE kept (name text)")
            writer.execute("INSERT INTO kept VALUES ('in the log')")
        assert (tmp_path / "source.sqlite3-wal").stat().st_size > 0
        copy_sqlite(source, target)
    with contextlib.closing(sqlite3.connect(target)) as reader:
        assert reader.execute("SELECT name FROM kept").fetchall() == [("in the log",)]
