"""Stop and start the local broker `make run` started (`python -m localkafka run`), and no other.

That process writes its pid, address and state to LOCAL_KAFKA_PIDFILE; SIGUSR1 makes it stop the broker and
SIGUSR2 start it again. A broker at another address than KAFKA_BOOTSTRAP_SERVERS is never touched.
"""

from __future__ import annotations

import json
import os
import signal

from django.conf import settings


class NotControllable(Exception):
    """No local broker of ours runs at the configured address."""


def status() -> dict:
    """{"controllable": bool, "state": "running" | "stopped" | "starting" | None, "reason": why not}."""
    try:
        return {"controllable": True, "state": _running()["state"], "reason": ""}
    except NotControllable as exc:
        return {"controllable": False, "state": None, "reason": str(exc)}


def stop() -> None:
    os.kill(_running()["pid"], signal.SIGUSR1)


def start() -> None:
    os.kill(_running()["pid"], signal.SIGUSR2)


def _running() -> dict:
    try:
        control = json.loads(settings.LOCAL_KAFKA_PIDFILE.read_text())
    except (OSError, ValueError) as exc:
        raise NotControllable("no local broker started by `make run` / `make kafka` is running") from exc
    if not isinstance(control, dict) or control.get("bootstrap_servers") != settings.KAFKA_BOOTSTRAP_SERVERS:
        raise NotControllable(f"the local broker is not the one at {settings.KAFKA_BOOTSTRAP_SERVERS}")
    try:
        os.kill(int(control["pid"]), 0)
    except (KeyError, TypeError, ValueError, ProcessLookupError, PermissionError) as exc:
        raise NotControllable("the local broker's process is gone") from exc
    return control
