"""Records as any client could write them, including what kafka-python's producer would not let through."""

from __future__ import annotations


class RawHeaderName(str):
    """A header name whose bytes need not be UTF-8: kafka-python's producer accepts only str names and writes
    ``name.encode("utf-8")``, so this str subclass hands it the raw bytes (the record on the wire is exactly what
    another client could write)."""

    def __new__(cls, raw: bytes) -> RawHeaderName:
        name = str.__new__(cls, raw.decode("latin-1"))
        name.raw = raw
        return name

    def encode(self, encoding: str = "utf-8", errors: str = "strict") -> bytes:
        return self.raw
