"""OrderService: each RPC checks its input, calls one function of orders.services and translates the answer."""

from __future__ import annotations

import functools
import json
import threading

import grpc
from django.conf import settings
from django.db import close_old_connections, connection
from kafka.errors import KafkaError

from grpc_bridge import translate
from grpc_bridge.generated import orders_pb2, orders_pb2_grpc
from messaging import readers
from orders import events, rules, selectors, services
from orders.exceptions import InvalidOrder, OrderError

WATCH_POLL_MS = 200
FIELD_ERRORS_KEY = "field-errors"


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
        except OrderError as error:
            if isinstance(error, InvalidOrder):
                # Machine-readable field errors for clients that want them (the dashboard shows them per field).
                context.set_trailing_metadata(((FIELD_ERRORS_KEY, json.dumps(error.errors)),))
            context.abort(translate.status_code_for(error), str(error))
        finally:
            _fresh_connections()

    return wrapper


class OrderServicer(orders_pb2_grpc.OrderServiceServicer):
    def __init__(self, *, max_watches: int):
        # Each Watch holds a pool thread for its whole life; past this many, unary calls would starve.
        self.watch_slots = threading.BoundedSemaphore(max_watches)
        self.max_watches = max_watches

    @rpc
    def Create(self, request, context):
        order = services.create_order(source="grpc", **translate.order_fields(request))
        return translate.order_to_proto(order)

    @rpc
    def Get(self, request, context):
        orders = selectors.list_orders()[:rules.MAX_UNPAGED_ORDERS]
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
        matching = selectors.list_orders(status=status, created_by=request.created_by or None,
                                         page_size=request.page_size or None)
        size, start = _page(request)
        orders = list(matching[start:start + size + 1])
        more = len(orders) > size
        return orders_pb2.OrderMessageList(
            orders=[translate.order_to_proto(order) for order in orders[:size]],
            next_page_token=str(start + size) if more else "",
        )

    def Watch(self, request, context):
        """Stream order events from the topic with an observer consumer that lives as long as the call."""
        if not self.watch_slots.acquire(blocking=False):
            context.abort(grpc.StatusCode.RESOURCE_EXHAUSTED,
                          f"at most {self.max_watches} Watch streams at once; start rungrpc with more --max-workers")
        try:
            yield from self._watch(request, context)
        finally:
            self.watch_slots.release()

    def _watch(self, request, context):
        try:
            consumer = readers.open_reader(settings.KAFKA_ORDERS_TOPIC, client_id="grpc-watch",
                                           start="beginning" if request.from_beginning else "end")
        except readers.TopicMissing as exc:
            context.abort(grpc.StatusCode.UNAVAILABLE, f"{exc} yet")
        except KafkaError as exc:
            context.abort(grpc.StatusCode.UNAVAILABLE, f"Kafka is unreachable: {exc}")
        try:
            while context.is_active():
                for batch in consumer.poll(timeout_ms=WATCH_POLL_MS).values():
                    for record in batch:
                        yield from _event_or_nothing(record)
        finally:
            consumer.close()


def _event_or_nothing(record):
    """Records that are not order events (a console producer's text, say) are skipped, not fatal."""
    try:
        event = events.OrderEvent.from_record(record.value, key=record.key)
    except events.EventParseError:
        return
    yield translate.event_to_proto(event, partition=record.partition, offset=record.offset)


def _page(request) -> tuple[int, int]:
    size = selectors.page_size(request.page_size or None)
    if not request.page_token:
        return size, 0
    token = request.page_token
    if not (token.isascii() and token.isdigit() and len(token) <= 12):
        raise InvalidOrder({"page_token": ["Pass back a next_page_token from an earlier List."]})
    return size, int(token)
