"""OrderService: each RPC checks its input, calls one function of orders.services and translates the answer."""

from __future__ import annotations

import functools
import threading
import time

import grpc
from django.conf import settings
from django.db import close_old_connections, connection
from kafka.errors import KafkaError

from grpc_bridge import translate
from grpc_bridge.generated import orders_pb2, orders_pb2_grpc
from messaging import judging, readers
from orders import rules, selectors, services
from orders.exceptions import InvalidOrder, OrderError

WATCH_POLL_MS = 200
# A Watch ends by itself (OK) after this long; the client calls Watch again. It bounds how long one caller holds a
# pool thread and a Kafka connection, whatever else fails to notice that it is gone. rungrpc --max-watch-seconds.
DEFAULT_MAX_WATCH_SECONDS = 3600.0
# A Watch still running this long after its lifetime is stalled: its client stopped reading, so the stream waits in
# gRPC's send (flow control) where no check of ours runs. It is cancelled then (the client sees CANCELLED).
WATCH_STALL_GRACE_SECONDS = 10.0
FIELD_ERRORS_KEY = translate.FIELD_ERRORS_KEY
# Trailers of a Watch that ended by itself, so a client can tell it from the server stopping.
WATCH_END_KEY = "watch-end"
WATCH_MAX_SECONDS_KEY = "watch-max-seconds"


def _fresh_connections() -> None:
    # RPCs run in pool threads outside Django's request cycle; inside a test's transaction, leave it be.
    if connection.get_autocommit():
        close_old_connections()


def rpc(method):
    """Wrap an RPC: clean DB connections around it and turn domain errors into gRPC statuses."""

    @functools.wraps(method)
    def wrapper(self, request, context):
        _fresh_connections()
        try:
            return method(self, request, context)
        except InvalidOrder as error:
            # Field errors twice: a google.rpc.BadRequest detail (grpcurl, grpcui) and the field-errors JSON
            # trailer (the dashboard). Bounded: a message may quote what the client sent.
            context.abort_with_status(translate.invalid_argument_status(error))
        except OrderError as error:
            # "no order with id …" quotes the id the client sent, of any length.
            context.abort(translate.status_code_for(error), translate.clipped_details(str(error)))
        finally:
            _fresh_connections()

    return wrapper


class OrderServicer(orders_pb2_grpc.OrderServiceServicer):
    def __init__(self, *, max_watches: int, max_watch_seconds: float = DEFAULT_MAX_WATCH_SECONDS):
        # Each Watch holds a pool thread for its whole life; past this many, unary calls would starve.
        self.watch_slots = threading.BoundedSemaphore(max_watches)
        self.max_watches = max_watches
        self.max_watch_seconds = max_watch_seconds

    @rpc
    def Create(self, request, context):
        order = services.create_order(source="grpc", **translate.order_fields(request))
        return translate.order_to_proto(order)

    @rpc
    def Get(self, request, context):
        orders = selectors.list_orders()[: rules.MAX_UNPAGED_ORDERS]
        return orders_pb2.OrderMessageList(orders=[translate.order_to_proto(order) for order in orders])

    @rpc
    def GetOrder(self, request, context):
        return translate.order_to_proto(selectors.get_order(order_id=request.id))

    @rpc
    def Cancel(self, request, context):
        return translate.order_to_proto(services.cancel_order(order_id=request.id, source="grpc"))

    @rpc
    def List(self, request, context):
        status = translate.status_name(request.status) if request.HasField("status") else None
        matching = selectors.list_orders(
            status=status, created_by=request.created_by or None, page_size=request.page_size or None
        )
        size, start = _page(request)
        orders = list(matching[start : start + size + 1])
        more = len(orders) > size
        return orders_pb2.OrderMessageList(
            orders=[translate.order_to_proto(order) for order in orders[:size]],
            next_page_token=str(start + size) if more else "",
        )

    def Watch(self, request, context):
        """Stream order events from the topic with an observer consumer that lives as long as the call.

        The slot is given back as soon as the call ends, however it ends: the stream runs out its lifetime (OK),
        the client cancels or its deadline passes, keepalive finds the client dead (server.py), or the watchdog
        cancels a stream whose client stopped reading. The end callback matters when the call ends while this
        generator waits at a `yield`: gRPC then drops the generator without resuming it.
        """
        if not self.watch_slots.acquire(blocking=False):
            context.abort(
                grpc.StatusCode.RESOURCE_EXHAUSTED,
                f"at most {self.max_watches} Watch streams at once; start rungrpc with more --max-workers",
            )
        # context.cancel works from any thread and wakes a send blocked on flow control.
        watchdog = threading.Timer(
            min(self.max_watch_seconds + WATCH_STALL_GRACE_SECONDS, threading.TIMEOUT_MAX), context.cancel
        )
        watchdog.daemon = True
        slot = _Slot(self.watch_slots, watchdog)
        if not context.add_callback(slot.release):
            slot.release()  # the call ended before it began
            return
        watchdog.start()
        try:
            yield from self._watch(request, context, slot, deadline=time.monotonic() + self.max_watch_seconds)
        finally:
            slot.release()

    def _watch(self, request, context, slot, *, deadline: float):
        """Each record is judged (messaging.judging) in offset order per partition: from the beginning, or, from
        the end, after its last judging.LOOKBACK_RECORDS per partition were judged unseen, so the orders they hold
        are known. Accepted events stream; with `all_records`, every other record too, flagged."""
        try:
            consumer, ledger = _open_watch_reader(request.from_beginning)
        except readers.TopicMissing as exc:
            context.abort(grpc.StatusCode.UNAVAILABLE, f"{exc} yet")
        except KafkaError as exc:
            context.abort(grpc.StatusCode.UNAVAILABLE, f"Kafka is unreachable: {exc}")
        try:
            while not slot.released and context.is_active():
                left_ms = (deadline - time.monotonic()) * 1000
                if left_ms <= 0:
                    # OK with this trailer (gRPC sends no message with OK): the client calls Watch again.
                    context.set_trailing_metadata(
                        ((WATCH_END_KEY, "max-lifetime"), (WATCH_MAX_SECONDS_KEY, f"{self.max_watch_seconds:g}"))
                    )
                    return
                # A record the client library cannot decode is stepped past: Watch streams order events only.
                polled = readers.poll_stepping_past(consumer, timeout_ms=max(1, min(WATCH_POLL_MS, int(left_ms))))
                for batch in polled.records.values():
                    for record in batch:
                        if time.monotonic() >= deadline:
                            break  # a slow reader of a long backlog; the check above ends the stream
                        judged = ledger.judge(record, *judging.read_event(record.value, record.key))
                        if judged.accepted or request.all_records:
                            yield translate.judged_to_proto(judged, partition=record.partition, offset=record.offset)
                if request.all_records:
                    for bad in polled.unreadable:
                        judged = judging.unreadable(bad.error)
                        yield translate.judged_to_proto(judged, partition=bad.partition, offset=bad.offset)
        finally:
            consumer.close()


class _Slot:
    """One taken Watch slot, given back exactly once: from the call's end callback or the generator's end."""

    def __init__(self, semaphore: threading.BoundedSemaphore, watchdog: threading.Timer):
        self._semaphore = semaphore
        self._watchdog = watchdog
        self._lock = threading.Lock()
        self.released = False

    def release(self) -> None:
        with self._lock:
            if self.released:
                return
            self.released = True
        self._watchdog.cancel()
        self._semaphore.release()


def _open_watch_reader(from_beginning: bool):
    """A reader of the topic and the ledger that judges its records; closed again if it cannot start."""
    consumer = readers.open_reader(
        settings.KAFKA_ORDERS_TOPIC, client_id="grpc-watch", start="beginning" if from_beginning else "end"
    )
    try:
        ledger = judging.Ledger(len(readers.assigned(consumer)))
        if not from_beginning:
            judging.warm_up(consumer, ledger)
    except BaseException:
        consumer.close()
        raise
    return consumer, ledger


def _page(request) -> tuple[int, int]:
    size = selectors.page_size(request.page_size or None)
    if not request.page_token:
        return size, 0
    token = request.page_token
    if not (token.isascii() and token.isdigit() and len(token) <= 12):
        raise InvalidOrder({"page_token": ["Pass back a next_page_token from an earlier List."]})
    return size, int(token)
