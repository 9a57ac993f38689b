"""`localpg`: a real throwaway PostgreSQL that the tests, the benchmarks and the cluster launcher start."""

import signal
import subprocess
import sys
from pathlib import Path

import psycopg
import pytest

from localpg import LocalPostgres, create_database
from localpg.server import free_port

ROOT = Path(__file__).resolve().parents[2]


def test_throwaway_server_serves_its_database_fast_and_leaves_nothing():
    server = LocalPostgres.throwaway(prefix="playground-pg-test-").start()
    try:
        with psycopg.connect(server.url) as connection:
            database, fsync, host = connection.execute(
                "SELECT current_database(), current_setting('fsync'), inet_server_addr()::text"
            ).fetchone()
        assert (database, fsync, host) == ("playground", "off", "127.0.0.1/32")
        assert server.url == f"postgres://postgres@127.0.0.1:{server.port}/playground"
    finally:
        server.stop()
    assert server.process.returncode == 0
    assert not server.base_dir.exists()


def test_a_database_made_from_a_template_holds_the_templates_tables_and_rows():
    server = LocalPostgres.throwaway(prefix="playground-pg-test-").start()
    try:
        template_url = create_database(server.url, "template_of_stacks")
        with psycopg.connect(template_url, autocommit=True) as connection:
            connection.execute("CREATE TABLE kept (name text); INSERT INTO kept VALUES ('migrated')")
        copy_url = create_database(server.url, "one_stack", template="template_of_stacks")
        with psycopg.connect(copy_url) as connection:
            assert connection.execute("SELECT name FROM kept").fetchall() == [("migrated",)]
        with psycopg.connect(create_database(server.url, "blank")) as connection:
            assert connection.execute("SELECT to_regclass('kept')").fetchone() == (None,)
    finally:
        server.stop()


def test_run_prints_its_database_url_and_stops_on_sigterm():
    port = free_port()
    process = subprocess.Popen(
        [sys.executable, "-m", "localpg", "run", "--port", str(port)],
        cwd=ROOT,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    try:
        line = process.stdout.readline().strip()
        assert line == f"DATABASE_URL=postgres://postgres@127.0.0.1:{port}/playground"
        with psycopg.connect(line.split("=", 1)[1]) as connection:
            assert connection.execute("SELECT 1").fetchone() == (1,)
        process.send_signal(signal.SIGTERM)
        assert process.wait(20) == 0
    finally:
        process.kill()
        process.wait()


def test_exec_runs_the_command_against_a_server_and_returns_its_status():
    probe = (
        "import os, psycopg; url = os.environ['DATABASE_URL']; print(url, flush=True); "
        "psycopg.connect(url).execute('SELECT 1'); raise SystemExit(7)"
    )
    result = subprocess.run(
        [sys.executable, "-m", "localpg", "exec", sys.executable, "-c", probe],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert result.returncode == 7, result.stderr
    url = result.stdout.strip()
    assert url.startswith("postgres://postgres@127.0.0.1:") and url.endswith("/playground")
    with pytest.raises(psycopg.OperationalError):
        psycopg.connect(url, connect_timeout=2)
