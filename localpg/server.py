"""One throwaway PostgreSQL server on 127.0.0.1: for the tests, the benchmarks and the cluster launcher.

It runs Debian's binaries (`/usr/lib/postgresql/<version>/bin`, package `postgresql`) on a fresh cluster in a
temporary directory, configured for speed, not durability: `fsync=off`, `synchronous_commit=off` and
`full_page_writes=off` make a crash of the machine able to corrupt the cluster. That is fine for data thrown away
at `stop()`, and never a configuration for data anyone keeps.

PostgreSQL refuses to run as root, and tests and CI run as root here: then initdb and postgres run as the
`postgres` system user (which Debian's package creates) through `setpriv`, which execs in place, so the process we
hold and signal is postgres itself.
"""

from __future__ import annotations

import os
import pwd
import re
import shutil
import signal
import socket
import subprocess
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlsplit

SYSTEM_USER = "postgres"
SUPERUSER = "postgres"
DATABASE = "playground"
BINARIES = Path("/usr/lib/postgresql")
# Speed over durability, for throwaway data only (module docstring).
FAST_SETTINGS = {
    "fsync": "off",
    "synchronous_commit": "off",
    "full_page_writes": "off",
    "max_connections": "200",
}


class PostgresError(RuntimeError):
    """The server could not be found, initialised or started."""


def bin_dir() -> Path:
    """The newest `/usr/lib/postgresql/<version>/bin` that holds a `postgres` binary."""
    found = [path.parent for path in BINARIES.glob("*/bin/postgres")]
    if not found:
        raise PostgresError(f"no PostgreSQL server under {BINARIES}/*/bin: install Debian's `postgresql` package")
    return max(found, key=lambda path: int(re.sub(r"\D", "", path.parent.name) or 0))


def create_database(server_url: str, name: str, template: str = "") -> str:
    """Create the database `name` on the server that `server_url` names (as a user who may), a copy of the database
    `template` when one is named (nobody may be connected to it); return its URL."""
    import psycopg
    from psycopg import sql

    statement = sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name))
    if template:
        statement += sql.SQL(" TEMPLATE {}").format(sql.Identifier(template))
    with psycopg.connect(psycopg.conninfo.make_conninfo(server_url, dbname="postgres"), autocommit=True) as admin:
        admin.execute(statement)
    return urlsplit(server_url)._replace(path=f"/{name}").geturl()


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@dataclass
class LocalPostgres:
    """A PostgreSQL cluster in `base_dir` serving the database `database` on 127.0.0.1:`port`, trust auth."""

    base_dir: Path
    port: int
    database: str = DATABASE
    user: str = SUPERUSER
    process: subprocess.Popen | None = field(default=None, init=False)

    @classmethod
    def throwaway(cls, *, prefix: str = "playground-pg-") -> LocalPostgres:
        """A server (not started yet) on a free port with its cluster in a new temporary directory."""
        return cls(base_dir=Path(tempfile.mkdtemp(prefix=prefix)), port=free_port())

    @property
    def url(self) -> str:
        """The DATABASE_URL of the database (dj-database-url reads `postgres://`)."""
        return f"postgres://{self.user}@127.0.0.1:{self.port}/{self.database}"

    @property
    def data_dir(self) -> Path:
        return self.base_dir / "data"

    @property
    def log_path(self) -> Path:
        return self.base_dir / "postgres.log"

    def start(self, timeout: float = 60.0) -> LocalPostgres:
        """initdb, start the server, create the database; return once it accepts connections."""
        binaries = bin_dir()
        self._hand_over(self.base_dir)
        initdb = [
            str(binaries / "initdb"),
            "-D",
            str(self.data_dir),
            "-U",
            self.user,
            "--auth=trust",
            "--encoding=UTF8",
            "--locale=C",
            "--no-sync",
        ]
        result = subprocess.run(self._as_owner(initdb), capture_output=True, text=True, check=False)
        if result.returncode != 0:
            raise PostgresError(f"initdb failed:\n{result.stdout}{result.stderr}")
        settings = {
            **FAST_SETTINGS,
            "listen_addresses": "127.0.0.1",
            "port": str(self.port),
            "unix_socket_directories": str(self.base_dir),
        }
        command = [str(binaries / "postgres"), "-D", str(self.data_dir)]
        for name, value in settings.items():
            command += ["-c", f"{name}={value}"]
        with open(self.log_path, "ab") as log:
            self.process = subprocess.Popen(
                self._as_owner(command), stdout=log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL
            )
        self._wait_ready(timeout)
        create_database(self.url, self.database)
        return self

    def stop(self, grace: float = 20.0) -> None:
        """Fast shutdown (SIGINT: open sessions are cut), then remove the cluster's directory."""
        if self.process is not None and self.process.poll() is None:
            self.process.send_signal(signal.SIGINT)
            try:
                self.process.wait(grace)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        shutil.rmtree(self.base_dir, ignore_errors=True)

    def _as_owner(self, command: list[str]) -> list[str]:
        if os.geteuid() != 0:
            return command
        return ["setpriv", f"--reuid={SYSTEM_USER}", f"--regid={SYSTEM_USER}", "--init-groups", "--", *command]

    def _hand_over(self, path: Path) -> None:
        """As root, give the directory to the system user that will run the server."""
        if os.geteuid() == 0:
            try:
                owner = pwd.getpwnam(SYSTEM_USER)
            except KeyError as exc:
                raise PostgresError(
                    f"running as root needs the `{SYSTEM_USER}` system user (Debian's `postgresql` package creates it)"
                ) from exc
            os.chown(path, owner.pw_uid, owner.pw_gid)

    def _wait_ready(self, timeout: float) -> None:
        import psycopg

        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise PostgresError(f"postgres exited with code {self.process.returncode}{self._log_tail()}")
            try:
                psycopg.connect(
                    host="127.0.0.1", port=self.port, user=self.user, dbname="postgres", connect_timeout=2
                ).close()
                return
            except psycopg.OperationalError:
                time.sleep(0.1)
        self.stop()
        raise PostgresError(
            f"postgres did not accept connections on port {self.port} within {timeout:.0f} s{self._log_tail()}"
        )

    def _log_tail(self) -> str:
        if self.log_path.exists():
            return "\n" + "\n".join(self.log_path.read_text(errors="replace").splitlines()[-30:])
        return ""
