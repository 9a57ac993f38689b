"""The process's cap on searches running at once (settings.SEARCH_MAX_CONCURRENT): each holds a Kafka connection and
a thread that scans as fast as it can. A search takes a slot before it starts and its thread gives it back when it
ends, however it ends."""

from __future__ import annotations

import threading

from django.conf import settings


class _Slots:
    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.taken = 0


_slots = _Slots()


def take() -> bool:
    """Take a slot; False when every slot is in use."""
    with _slots.lock:
        if _slots.taken >= settings.SEARCH_MAX_CONCURRENT:
            return False
        _slots.taken += 1
        return True


def give_back() -> None:
    with _slots.lock:
        if _slots.taken <= 0:
            raise RuntimeError("a search slot was given back twice")
        _slots.taken -= 1


def in_use() -> int:
    with _slots.lock:
        return _slots.taken
