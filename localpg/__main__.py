"""`python -m localpg run [--port N]` and `python -m localpg exec COMMAND...`: a throwaway PostgreSQL server.

`run` keeps one in the foreground until Ctrl-C or SIGTERM and prints the DATABASE_URL to give the playground's
processes. `exec` runs COMMAND with DATABASE_URL pointing at a fresh one and stops it afterwards, exiting with
COMMAND's status: `make test-postgres` runs pytest this way, because Django reads DATABASE_URL once, at start.
The data goes when the server stops.
"""

import argparse
import os
import signal
import subprocess
import sys
import time

from localpg.server import LocalPostgres, PostgresError


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m localpg")
    commands = parser.add_subparsers(dest="command", required=True)
    run = commands.add_parser("run", help="run a throwaway server in the foreground and print its DATABASE_URL")
    run.add_argument("--port", type=int, help="the port on 127.0.0.1 (default: a free one)")
    execute = commands.add_parser("exec", help="run COMMAND with DATABASE_URL set to a throwaway server")
    execute.add_argument("argv", nargs=argparse.REMAINDER, metavar="COMMAND")
    options = parser.parse_args(argv)
    if options.command == "exec" and not options.argv:
        parser.error("exec needs a command to run")
    server = LocalPostgres.throwaway(prefix="playground-pg-")
    if getattr(options, "port", None):
        server.port = options.port
    try:
        server.start()
        return _run(server) if options.command == "run" else _exec(server, options.argv)
    except PostgresError as exc:
        print(exc, file=sys.stderr)
        return 1
    finally:
        server.stop()


def _run(server: LocalPostgres) -> int:
    stopping = []
    for signum in (signal.SIGTERM, signal.SIGINT):
        signal.signal(signum, lambda *_: stopping.append(True))
    print(f"DATABASE_URL={server.url}", flush=True)
    while not stopping and server.process.poll() is None:
        time.sleep(0.5)
    return 0 if stopping else 1


def _exec(server: LocalPostgres, argv: list[str]) -> int:
    child = subprocess.Popen(argv, env={**os.environ, "DATABASE_URL": server.url})
    # Ctrl-C reaches the child from the terminal by itself; SIGTERM is passed on. Either way the server stops after.
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    signal.signal(signal.SIGTERM, lambda *_: child.terminate())
    return child.wait()


if __name__ == "__main__":
    sys.exit(main())
