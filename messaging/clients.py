"""kafka-python clients for the orders topic, built lazily from settings (never at import time).

Read-only readers of a topic come from messaging.readers, which builds on `build_consumer` here.
"""

from __future__ import annotations

import logging
import socket
import time
from dataclasses import dataclass

from django.conf import settings
from kafka import KafkaAdminClient, KafkaConsumer, KafkaProducer
from kafka.errors import KafkaError, KafkaTimeoutError, TopicAlreadyExistsError

from playground.library_internals import force_close_sender

logger = logging.getLogger(__name__)

DELIVERY_TIMEOUT_MS = 12_000


def build_producer(**overrides) -> KafkaProducer:
    """A producer whose acknowledgement means the record is durable: acks=all with idempotence.

    Raises KafkaTimeoutError when no broker answers within a few seconds, so callers can retry later.
    """
    options = {
        "bootstrap_servers": settings.KAFKA_BOOTSTRAP_SERVERS,
        "client_id": "orders-outbox",
        "acks": "all",
        "enable_idempotence": True,
        "linger_ms": 5,
        "request_timeout_ms": 5_000,
        # Every send resolves (acknowledged or expired) within this bound; see outbox.publisher.publish_pending.
        "delivery_timeout_ms": DELIVERY_TIMEOUT_MS,
        # send() waits this long for metadata; the outbox must notice a dead broker quickly.
        "max_block_ms": 5_000,
        "bootstrap_timeout_ms": 3_000,
        "reconnect_backoff_max_ms": 1_000,
    }
    options.update(overrides)
    return KafkaProducer(**options)


def close_producer(producer: KafkaProducer, timeout: float) -> None:
    """Close, giving up on records still buffered after `timeout` (their futures fail; nothing is marked sent).

    kafka-python 3.0 flushes inside close() and raises when that times out, leaving the sender thread running
    with the records; a broker that is down would thus leak a thread and a socket on every reconnect.
    """
    try:
        producer.close(timeout=timeout)
    except KafkaTimeoutError:
        # Once the sender thread has failed the buffered batches and ended, close() has nothing left to flush.
        force_close_sender(producer, timeout)
        try:
            producer.close(timeout=0)
        except KafkaError:
            logger.warning("the Kafka producer's sender did not stop within %s s; abandoning it", timeout)


def build_admin(**overrides) -> KafkaAdminClient:
    """An admin client for a call or a few, bootstrapping from the servers that accept a connection."""
    options = {
        "bootstrap_servers": settings.KAFKA_BOOTSTRAP_SERVERS,
        "client_id": "orders-admin",
        "bootstrap_timeout_ms": 3_000,
        "request_timeout_ms": 5_000,
    }
    options.update(overrides)
    return KafkaAdminClient(**{**options, "bootstrap_servers": listening_servers(options["bootstrap_servers"])})


def ensure_topic(topic: str | None = None) -> bool:
    """Create the orders topic if missing; return True when this call created it."""
    admin = build_admin()
    try:
        admin.create_topics(
            {
                topic or settings.KAFKA_ORDERS_TOPIC: {
                    "num_partitions": settings.KAFKA_ORDERS_PARTITIONS,
                    "replication_factor": settings.KAFKA_REPLICATION_FACTOR,
                }
            },
            wait_for_metadata=True,
        )
        return True
    except TopicAlreadyExistsError:
        return False
    finally:
        admin.close()


def build_consumer(
    *, group_id: str | None = None, from_beginning: bool = False, bootstrap_servers: str | None = None, **overrides
) -> KafkaConsumer:
    """A consumer of raw bytes. With no group it is an observer: it commits nothing and disturbs no group.

    Settings are read only when `bootstrap_servers` is not given, so processes without Django (benchmark
    clients) can build one too.
    """
    options = {
        "bootstrap_servers": bootstrap_servers or settings.KAFKA_BOOTSTRAP_SERVERS,
        "client_id": "orders-reader",
        "group_id": group_id,
        "enable_auto_commit": group_id is not None,
        # Only used when the group has no committed offset (or there is no group): kafka-python #983.
        "auto_offset_reset": "earliest" if from_beginning else "latest",
        "bootstrap_timeout_ms": 3_000,
    }
    options.update(overrides)
    return KafkaConsumer(**options)


@dataclass
class BrokerStatus:
    reachable: bool
    bootstrap_servers: str
    error: str = ""
    checked_at: float = 0.0


@dataclass
class _StatusCache:
    last: BrokerStatus | None = None


_status_cache = _StatusCache()


# How long broker_status() waits for the broker: the status is at most this much plus its cache age behind.
STATUS_BOOTSTRAP_TIMEOUT_MS = 800
# One line for a badge: longer reasons are cut.
STATUS_REASON_MAX_CHARS = 80


def status_reason(exc: BaseException, bootstrap_servers: str) -> str:
    """A short, human reason why the broker did not answer: one line, no doubled "KafkaTimeoutError: ..." text."""
    if isinstance(exc, KafkaTimeoutError):
        return f"no answer from {bootstrap_servers} within {STATUS_BOOTSTRAP_TIMEOUT_MS / 1000:g} s"
    text = str(exc).strip().splitlines()[0] if str(exc).strip() else ""
    name = type(exc).__name__
    # kafka-python's messages often start with their own class name already.
    while text.startswith(f"{name}:"):
        text = text.removeprefix(f"{name}:").strip()
    return badge_line(text or name)


def error_text(exc: BaseException) -> str:
    """`Name: message`, the class name once: kafka-python's messages often start with it already."""
    text, name = str(exc), type(exc).__name__
    if not text:
        return name
    return text if text.startswith(name) else f"{name}: {text}"


def badge_line(text: str) -> str:
    """`text` cut to STATUS_REASON_MAX_CHARS, with an ellipsis when it was longer."""
    return text if len(text) <= STATUS_REASON_MAX_CHARS else text[: STATUS_REASON_MAX_CHARS - 1] + "…"


def broker_status(max_age: float = 1.0) -> BrokerStatus:
    """Whether the broker answers a metadata request; cached for `max_age` seconds so /health stays cheap.

    `error` is a one-line reason fit for a status badge (status_reason)."""
    now = time.monotonic()
    last = _status_cache.last
    if last and last.bootstrap_servers == settings.KAFKA_BOOTSTRAP_SERVERS and now - last.checked_at < max_age:
        return last
    status = BrokerStatus(reachable=False, bootstrap_servers=settings.KAFKA_BOOTSTRAP_SERVERS, checked_at=now)
    try:
        admin = KafkaAdminClient(
            bootstrap_servers=listening_servers(settings.KAFKA_BOOTSTRAP_SERVERS),
            client_id="orders-health",
            bootstrap_timeout_ms=STATUS_BOOTSTRAP_TIMEOUT_MS,
            request_timeout_ms=1_000,
        )
        try:
            admin.describe_cluster()
            status.reachable = True
        finally:
            admin.close()
    except (KafkaError, OSError) as exc:
        status.error = status_reason(exc, settings.KAFKA_BOOTSTRAP_SERVERS)
    _status_cache.last = status
    return status


# How long a listening probe waits for one server's TCP handshake; a refusal comes at once.
LISTEN_PROBE_TIMEOUT_S = 0.5


@dataclass(frozen=True)
class Listening:
    """What a listening probe found: True, False, or None when it cannot say; `error` is a badge's one line."""

    listening: bool | None
    error: str = ""


def broker_listening(bootstrap_servers: str, timeout: float = LISTEN_PROBE_TIMEOUT_S) -> Listening:
    """Whether some bootstrap server accepts a TCP connection: what a crashed or stopped broker stops doing at once,
    seconds before a Kafka request to it times out.

    True as soon as one server accepts; False when every one refused or cannot be reached (with the first reason);
    None when none accepted but some only timed out: a slow handshake (a loaded machine) says nothing either way.
    """
    reasons: list[str] = []
    timed_out = False
    for server in split_servers(bootstrap_servers):
        accepts, reason = probe(server, timeout)
        if accepts:
            return Listening(True)
        timed_out = timed_out or accepts is None
        if reason:
            reasons.append(reason)
    if timed_out:
        return Listening(None)
    more = f" (+{len(reasons) - 1} more)" if len(reasons) > 1 else ""
    error = f"cannot connect to {reasons[0]}{more}" if reasons else "no bootstrap server is set"
    return Listening(False, badge_line(error))


def listening_servers(bootstrap_servers: str, timeout: float = LISTEN_PROBE_TIMEOUT_S) -> str:
    """The bootstrap servers less those that refuse a TCP connection; all of them when every one does, so that the
    client's error names them.

    kafka-python bootstraps from a server picked at random and, on one that refused it before, waits out that
    server's backoff rather than try another: with two brokers of three down, one bootstrap in 12 bounded to 0.8 s
    (one in 30 bounded to 2 s) failed here. For a client built per call, or dropped at its first error: one kept for
    long would keep the shorter list when it has to bootstrap again later."""
    servers = split_servers(bootstrap_servers)
    kept = [server for server in servers if probe(server, timeout)[0] is not False]
    return ",".join(kept or servers)


def split_servers(bootstrap_servers: str) -> list[str]:
    return [part.strip() for part in bootstrap_servers.split(",") if part.strip()]


def probe(server: str, timeout: float) -> tuple[bool | None, str]:
    """(True, "") when `server` ("host:port") accepts a TCP connection, (None, "") when the handshake timed out,
    (False, reason) when it refused or cannot be reached."""
    host, _, port = server.rpartition(":")
    try:
        with socket.create_connection((host.strip("[]"), int(port)), timeout=timeout):
            return True, ""
    except TimeoutError:
        return None, ""
    except (OSError, ValueError) as exc:
        return False, f"{server}: {getattr(exc, 'strerror', None) or exc}"
