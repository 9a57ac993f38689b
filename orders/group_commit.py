"""Group commit: writes that arrive while another is being written share the next transaction.

A transport serves calls on many threads (rungrpc's pool, one thread per request under ASGI), and each call that
places an order used to pay for its own transaction: five round trips on PostgreSQL (a health check, BEGIN, two
INSERTs, COMMIT), two ORM saves, and on SQLite a wait for the one write lock, polled with sleeps. Here the first
caller writes at once; callers that arrive meanwhile queue, and when it is done the first of them writes
everything queued in one transaction (bulk inserts), then hands on to the next. One caller alone is written as
soon as it arrives, so nothing waits for a timer; under load, batches grow by themselves.

Each caller returns only once its own item is committed, and gets the error of its own item: when a batch
fails, its items are written again one by one, so one bad item never fails the others with it.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Generic, TypeVar

Item = TypeVar("Item")
# Enough to amortise a transaction; small enough that one batch stays a short transaction.
DEFAULT_MAX_BATCH = 64


@dataclass
class _Waiter(Generic[Item]):
    item: Item
    woken: threading.Event = field(default_factory=threading.Event)
    error: BaseException | None = None
    done: bool = False
    # Set instead of `done` when this caller is to write the next batch.
    leads: bool = False


class GroupCommit(Generic[Item]):
    """Run `write(items)` (one transaction for all of them) for items submitted by concurrent threads."""

    def __init__(self, write: Callable[[list[Item]], None], *, max_batch: int = DEFAULT_MAX_BATCH):
        self._write = write
        self._max_batch = max_batch
        self._lock = threading.Lock()
        self._queue: list[_Waiter[Item]] = []
        # True while some caller writes; then the queue waits for it (when False the queue is empty).
        self._writing = False

    def submit(self, item: Item) -> None:
        """Return once `item` is committed; raise what writing it raised."""
        waiter = _Waiter(item)
        with self._lock:
            self._queue.append(waiter)
            waiter.leads = not self._writing
            self._writing = True
        if not waiter.leads:
            waiter.woken.wait()
        if waiter.leads:
            self._lead()
        if waiter.error is not None:
            raise waiter.error

    def _lead(self) -> None:
        """Write the queue's head batch (this caller is its first), then wake the next writer or stand down."""
        with self._lock:
            batch, self._queue = self._queue[: self._max_batch], self._queue[self._max_batch :]
        try:
            self._write_batch(batch)
        finally:
            for waiter in batch:
                if not waiter.done:  # only when something ended the write abruptly (KeyboardInterrupt, say)
                    waiter.error = waiter.error or RuntimeError("the group commit writing this item was interrupted")
                    waiter.done = True
                waiter.woken.set()
            with self._lock:
                if self._queue:
                    self._queue[0].leads = True
                    self._queue[0].woken.set()
                else:
                    self._writing = False

    def _write_batch(self, batch: list[_Waiter[Item]]) -> None:
        try:
            self._write([waiter.item for waiter in batch])
        except Exception as error:  # noqa: BLE001 - each caller gets its own item's error, below
            if len(batch) == 1:
                batch[0].error = error
                batch[0].done = True
                return
            for waiter in batch:
                self._write_batch([waiter])
            return
        for waiter in batch:
            waiter.done = True
