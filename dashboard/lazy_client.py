"""A Kafka client the page builds on first use and drops after a failure, so the next use connects afresh."""

from __future__ import annotations

from collections.abc import Callable
from typing import Generic, TypeVar

Client = TypeVar("Client")


class LazyClient(Generic[Client]):
    """Holds at most one client. Not locked: each caller already serialises its use behind a lock of its own."""

    def __init__(self, build: Callable[[], Client], close: Callable[[Client], None]) -> None:
        self._build, self._close = build, close
        self._client: Client | None = None

    def get(self) -> Client:
        if self._client is None:
            self._client = self._build()
        return self._client

    def drop(self) -> None:
        if self._client is not None:
            client, self._client = self._client, None
            self._close(client)
