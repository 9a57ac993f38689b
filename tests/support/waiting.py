"""Wait for a condition, not for a guess at how long it takes: poll it until a deadline, then fail saying what."""

from __future__ import annotations

import time
from typing import Callable, TypeVar

T = TypeVar("T")


def wait_until(condition: Callable[[], T], *, timeout: float, message: str | Callable[[], str],
               interval: float = 0.05) -> T:
    """Call `condition` until it returns something truthy, and return that; fail after `timeout` seconds.

    `message` says what never happened; a callable is asked only on failure, so it can describe the last state.
    """
    deadline = time.monotonic() + timeout
    while True:
        result = condition()
        if result:
            return result
        if time.monotonic() >= deadline:
            text = message() if callable(message) else message
            raise AssertionError(f"{text} (waited {timeout:g} s)")
        time.sleep(interval)
