"""Wait for a condition, not for a guess at how long it takes: poll it until a deadline, then fail saying what."""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import TypeVar

T = TypeVar("T")


def poll_until(condition: Callable[[], T], *, timeout: float, interval: float = 0.05) -> T:
    """Call `condition` until it returns something truthy or `timeout` seconds pass; return its last result.

    For a wait whose running out is not yet a failure (a retry, or a caller that cleans up first); else wait_until.
    """
    deadline = time.monotonic() + timeout
    while True:
        result = condition()
        if result or time.monotonic() >= deadline:
            return result
        time.sleep(interval)


def wait_until(
    condition: Callable[[], T], *, timeout: float, message: str | Callable[[], str], interval: float = 0.05
) -> T:
    """Call `condition` until it returns something truthy, and return that; fail after `timeout` seconds.

    `message` says what never happened; a callable is asked only on failure, so it can describe the last state.
    """
    result = poll_until(condition, timeout=timeout, interval=interval)
    if not result:
        text = message() if callable(message) else message
        raise AssertionError(f"{text} (waited {timeout:g} s)")
    return result
