"""The publisher's wake-up: a commit nudges a waiting publisher at once; nothing breaks when nobody listens."""

import threading
import time

import pytest

from localkafka import free_port
from orders import services
from outbox import wakeup


def test_a_nudge_ends_the_wait_early(settings):
    settings.OUTBOX_WAKEUP_ADDR = f"127.0.0.1:{free_port()}"
    listener = wakeup.WakeupListener(settings.OUTBOX_WAKEUP_ADDR)
    try:
        threading.Timer(0.1, wakeup.nudge_publisher).start()
        assert listener.wait(30), "the nudge should end the wait before its timeout"
    finally:
        listener.close()


def test_without_a_nudge_the_wait_lasts_its_timeout(settings):
    listener = wakeup.WakeupListener(f"127.0.0.1:{free_port()}")
    try:
        started = time.monotonic()
        assert not listener.wait(0.3)
        assert time.monotonic() - started >= 0.29
    finally:
        listener.close()


def test_nudging_nobody_is_harmless_and_a_later_listener_still_hears_nudges(settings):
    settings.OUTBOX_WAKEUP_ADDR = f"127.0.0.1:{free_port()}"
    for _ in range(3):
        wakeup.nudge_publisher()  # nobody listens: no error, nothing queued for later
    listener = wakeup.WakeupListener(settings.OUTBOX_WAKEUP_ADDR)
    try:
        assert not listener.wait(0), "nudges sent to nobody must not be waiting for a later listener"
        wakeup.nudge_publisher()
        assert listener.wait(30)
    finally:
        listener.close()


@pytest.mark.django_db(transaction=True)
def test_a_committed_order_nudges_the_publisher(settings):
    settings.OUTBOX_WAKEUP_ADDR = f"127.0.0.1:{free_port()}"
    listener = wakeup.WakeupListener(settings.OUTBOX_WAKEUP_ADDR)
    try:
        assert not listener.wait(0)
        services.create_order(created_by="ana", equipment=["MOUSE"], source="rest")
        assert listener.wait(30), "the commit should have sent a nudge"
    finally:
        listener.close()
