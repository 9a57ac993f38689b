"""OrderService: each RPC checks its input, calls one function of orders.services and translates the answer."""

from __future__ import annotations

import functools
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
    def __init__(self, *, max_watch_seconds: float):
        # A Watch ends by itself (OK) after this long, and the client calls Watch again: a stream's lifetime, which
        # stream_limits.py enforces on every stream (it also caps how many run and how long one waits on its client).
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

        Each record is judged (messaging.judging) in offset order per partition: from the beginning, or, from the
        end, after its last judging.LOOKBACK_RECORDS per partition were judged unseen, so the orders they hold are
        known. Accepted events stream; with `all_records`, every other record too, flagged.

        It ends by itself with OK at its lifetime, and as soon as the call ends otherwise (the client cancels or
        goes away, the stream limits cancel it). How many run at once: stream_limits.py.
        """
        deadline = time.monotonic() + self.max_watch_seconds
        try:
            consumer, ledger = _open_watch_reader(request.from_beginning)
        except readers.TopicMissing as exc:
            context.abort(grpc.StatusCode.UNAVAILABLE, f"{exc} yet")
        except KafkaError as exc:
            context.abort(grpc.StatusCode.UNAVAILABLE, f"Kafka is unreachable: {exc}")
        try:
            while context.is_active():
                left_ms = (deadline - time.monotonic()) * 1000
                if left_ms <= 0:
                    # OK with this trailer (gRPC sends no message with OK): the client calls Watch again.
                    context.set_trailing_metadata(
                        ((WATCH_END_KEY, "max-lifetime"), (WATCH_MAX_SECONDS_KEY, f"{self.max_watch_seconds:g}"))
                    )
                    return
                # A record the client library cannot decode is stepped past unless every record was asked for.
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
