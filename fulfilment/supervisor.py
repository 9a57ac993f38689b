"""Keeps the wanted number of group members running as processes of their own, kills one on request, and drives
stuck orders on every FULFILMENT_RECOVERY_SECONDS (fulfilment.stuck).

Members are real processes so that a kill is a real crash: no LeaveGroup, no commit, the group notices only
when the session times out and then hands the partitions (and the uncommitted event) to the others.
"""

from __future__ import annotations

import logging
import signal
import subprocess
import sys
import threading
import time
from datetime import timedelta
from pathlib import Path

from django.conf import settings
from django.db import DatabaseError, close_old_connections
from django.utils import timezone

from fulfilment import controls, stuck
from fulfilment.models import DeliveryMode, Member
from fulfilment.processing import START

logger = logging.getLogger(__name__)

MANAGE = Path(__file__).resolve().parent.parent / "manage.py"
# A kill waits this long for a member to be in the middle of an order before it gives up.
KILL_WAIT = timedelta(seconds=60)


class Supervisor:
    def __init__(self, *, tick_seconds: float = 0.3):
        self.tick_seconds = tick_seconds
        self.children: list[subprocess.Popen] = []
        self.stopping = threading.Event()
        self.recovery_name = stuck.recovery_name()
        # The first round waits as long as the later ones: members that just started have not found their place.
        self.recover_at = time.monotonic() + settings.FULFILMENT_RECOVERY_SECONDS

    def stop(self) -> None:
        self.stopping.set()

    def run(self) -> None:
        try:
            while not self.stopping.is_set():
                try:
                    self._tick()
                except DatabaseError:
                    # A locked or restarted database must not take the members down with the supervisor.
                    logger.exception("reading the group's controls failed; trying again")
                    close_old_connections()
                self.stopping.wait(self.tick_seconds)
        finally:
            self._stop_all()

    def _tick(self) -> None:
        control = controls.current()
        self._reap()
        self._scale(control.members)
        if control.kill_requested_at:
            self._kill_mid_order(control)
        self._recover_stuck(control)

    def _recover_stuck(self, control) -> None:
        """A round of recovery when one is due. None while the group is paused or emptied (a person holds every
        order on purpose: to watch lag grow, or to reset the group's offsets), and none in at-most-once: a second
        start is what that mode promises never to do, so its lost orders stay for a person to recover on request."""
        every = settings.FULFILMENT_RECOVERY_SECONDS
        held = control.paused or control.members == 0
        at_most_once = control.delivery_mode == DeliveryMode.AT_MOST_ONCE
        if not every or held or at_most_once or time.monotonic() < self.recover_at:
            return
        self.recover_at = time.monotonic() + every
        stuck.recover(name=self.recovery_name)

    def _spawn(self) -> None:
        child = subprocess.Popen([sys.executable, str(MANAGE), "fulfil_orders", "--member"])
        logger.info("started member process %d", child.pid)
        self.children.append(child)

    def _reap(self) -> None:
        for child in [child for child in self.children if child.poll() is not None]:
            logger.warning("member process %d exited with %s", child.pid, child.returncode)
            self.children.remove(child)
            Member.objects.filter(pid=child.pid).delete()

    def _scale(self, wanted: int) -> None:
        while len(self.children) < wanted:
            self._spawn()
        while len(self.children) > wanted:
            child = self.children.pop()
            child.terminate()  # a graceful leave: the member hands its partitions back
            _wait(child)
            Member.objects.filter(pid=child.pid).delete()

    def _kill_mid_order(self, control) -> None:
        pids = {child.pid: child for child in self.children}
        busy = Member.objects.filter(pid__in=list(pids), step=START, order_id__isnull=False).first()
        if busy is None:
            if timezone.now() - control.kill_requested_at > KILL_WAIT:
                controls.update_fields(
                    kill_requested_at=None,
                    last_kill={"error": f"no member was in the middle of an order within {KILL_WAIT.seconds} s"},
                )
            return
        child = pids[busy.pid]
        child.send_signal(signal.SIGKILL)
        child.wait()
        self.children.remove(child)
        Member.objects.filter(pk=busy.pk).delete()
        logger.warning("killed member %s (pid %d) in the middle of order %s", busy.name, busy.pid, busy.order_id)
        controls.update_fields(
            kill_requested_at=None,
            last_kill={
                "member": busy.name,
                "pid": busy.pid,
                "order_id": str(busy.order_id),
                "at": timezone.now().isoformat(),
                "delivery_mode": control.delivery_mode,
            },
        )

    def _stop_all(self) -> None:
        for child in self.children:
            child.terminate()
        for child in self.children:
            _wait(child)
            Member.objects.filter(pid=child.pid).delete()
        self.children.clear()


def _wait(child: subprocess.Popen, timeout: float = 15.0) -> None:
    try:
        child.wait(timeout)
    except subprocess.TimeoutExpired:
        child.kill()
        child.wait()
