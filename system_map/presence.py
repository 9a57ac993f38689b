"""The heartbeat each playground process writes into the Presence table, from a daemon thread of its own.

Cheap and harmless by design: one UPDATE (an INSERT the first time) every SYSTEM_PRESENCE_SECONDS; the details are
a few figures capped at MAX_DETAILS_BYTES; a database that refuses a beat costs a log line, never the process (the
next beat tries again). Bounded: rows not seen for FORGET_SECONDS are deleted by whoever beats next.
"""

from __future__ import annotations

import json
import logging
import os
import re
import socket
import sys
import threading
from datetime import datetime, timedelta

from django.apps import apps
from django.conf import settings
from django.db import close_old_connections
from django.utils import timezone

from system_map.models import Presence

logger = logging.getLogger(__name__)

MAX_DETAILS_BYTES = 1024
FORGET_SECONDS = 3600
# The first argument that looks like host:port is where the process listens (runserver's, rungrpc's).
ADDRESS = re.compile(r"^[\w.\-\[\]:]*:\d{1,5}$")

_heartbeat: Heartbeat | None = None


def instance_id() -> str:
    return f"{os.getpid()}@{socket.gethostname()}"


def listening_address(argv: list[str]) -> str:
    return next((arg for arg in argv[1:] if ADDRESS.match(arg)), "")


def details_of(service: str, argv: list[str]) -> dict:
    """What the map shows beside the process: a relay's open websockets; whether a worker process is the
    supervisor or one of the group's members, and then its Kafka client id."""
    if service == "web":
        from live.consumers import open_sockets

        return {"sockets": open_sockets()}
    if service == "worker" and "--member" in argv:
        from fulfilment.member import member_name

        # The client id the member gives Kafka: how the map ties the group's member to this process.
        return {"role": "member", "client_id": member_name()}
    if service == "worker":
        return {"role": "supervisor"}
    return {}


def beat(service: str, instance: str, address: str, started_at: datetime, details: dict) -> bool:
    """Write one heartbeat; False (and a log line) when it could not be written. Never raises."""
    close_old_connections()
    try:
        if len(json.dumps(details)) > MAX_DETAILS_BYTES:
            details = {"error": f"details over {MAX_DETAILS_BYTES} bytes were left out"}
        now = timezone.now()
        Presence.objects.update_or_create(
            instance=instance[:128],
            defaults={
                "service": service[:64],
                "address": address[:128],
                "started_at": started_at,
                "last_seen": now,
                "details": details,
            },
        )
        Presence.objects.filter(last_seen__lt=now - timedelta(seconds=FORGET_SECONDS)).delete()
    except Exception as exc:  # noqa: BLE001 - a heartbeat must never take its process down, whatever failed
        logger.warning("presence heartbeat not written: %s", exc)
        return False
    finally:
        close_old_connections()
    return True


class Heartbeat(threading.Thread):
    """Beats every `seconds` until stopped; the first beat once Django's apps are ready."""

    def __init__(self, service: str, seconds: float, argv: list[str]):
        super().__init__(name=f"presence-{service}", daemon=True)
        self.service, self.seconds, self.argv = service, seconds, argv
        self.instance, self.address = instance_id(), listening_address(argv)
        self.started_at = timezone.now()
        self.stopped = threading.Event()
        self.beats = 0

    def run(self) -> None:
        while not apps.ready and not self.stopped.wait(0.05):
            pass
        while not self.stopped.is_set():
            try:
                details = details_of(self.service, self.argv)
            except Exception as exc:  # noqa: BLE001 - a missing figure leaves it out, the beat goes on
                details = {"error": str(exc)[:200]}
            if beat(self.service, self.instance, self.address, self.started_at, details):
                self.beats += 1
            self.stopped.wait(self.seconds)

    def stop(self) -> None:
        self.stopped.set()


def start_from_environment() -> Heartbeat | None:
    """Start this process's heartbeat when it names itself (OTEL_SERVICE_NAME) and the interval is not 0."""
    global _heartbeat  # noqa: PLW0603 - one heartbeat per process
    name = os.environ.get("OTEL_SERVICE_NAME", "")
    if _heartbeat is None and name and settings.SYSTEM_PRESENCE_SECONDS > 0:
        _heartbeat = Heartbeat(name, settings.SYSTEM_PRESENCE_SECONDS, list(sys.argv))
        _heartbeat.start()
    return _heartbeat
