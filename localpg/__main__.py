"""`python -m localpg run [--port N]`: a throwaway PostgreSQL server in the foreground, until Ctrl-C or SIGTERM.

It prints the DATABASE_URL to give the playground's processes; the data goes when it stops.
"""

import argparse
import signal
import sys
import time

from localpg.server import LocalPostgres, PostgresError


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m localpg")
    commands = parser.add_subparsers(dest="command", required=True)
    run = commands.add_parser("run", help="run a throwaway server in the foreground and print its DATABASE_URL")
    run.add_argument("--port", type=int, help="the port on 127.0.0.1 (default: a free one)")
    options = parser.parse_args(argv)
    server = LocalPostgres.throwaway(prefix="playground-pg-")
    if options.port:
        server.port = options.port
    stopping = []
    signal.signal(signal.SIGTERM, lambda *_: stopping.append(True))
    signal.signal(signal.SIGINT, lambda *_: stopping.append(True))
    try:
        server.start()
        print(f"DATABASE_URL={server.url}", flush=True)
        while not stopping and server.process.poll() is None:
            time.sleep(0.5)
    except PostgresError as exc:
        print(exc, file=sys.stderr)
        return 1
    finally:
        server.stop()
    return 0 if stopping else 1


if __name__ == "__main__":
    sys.exit(main())
