"""The publisher's wake-up: a commit nudges a waiting publisher at once; nothing breaks when nobody listens."""

import threading
import time

import pytest

from localkafka import free_port
from orders import services, wakeup


def test_a_nudge_ends_the_wait_early(settings):
    settings.OUTBOX_WAKEUP_ADDR = f"127.0.0.1:{free_port()}"
    listener = wakeup.WakeupListener(settings.OUTBOX_WAKEUP_ADDR)
    try:
        threading.Timer(0.1, wakeup.nudge_publisher).start()
        started = time.monotonic()
        listener.wait(5)
        assert time.monotonic() - started < 2
    finally:
        listener.close()


def test_without_a_nudge_the_wait_lasts_its_timeout(settings):
    listener = wakeup.WakeupListener(f"127.0.0.1:{free_port()}")
    try:
        started = time.monotonic()
        listener.wait(0.3)
        assert time.monotonic() - started >= 0.29
    finally:
        listener.close()


def test_nudging_nobody_is_harmless(settings):
    settings.OUTBOX_WAKEUP_ADDR = f"127.0.0.1:{free_port()}"
    for _ in range(3):
        wakeup.nudge_publisher()


@pytest.mark.django_db(transaction=True)
def test_a_committed_order_nudges_the_publisher(settings):
    settings.OUTBOX_WAKEUP_ADDR = f"127.0.0.1:{free_port()}"
    listener = wakeup.WakeupListener(settings.OUTBOX_WAKEUP_ADDR)
    try:
        services.create_order(created_by="ana", equipment=["MOUSE"], source="rest")
        started = time.monotonic()
        listener.wait(5)
        assert time.monotonic() - started < 1, "the commit should have sent a nudge"
    finally:
        listener.close()
