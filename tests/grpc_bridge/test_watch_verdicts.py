"""gRPC Watch over a real channel and broker believes only what the order rules allow: by default a forged event
never streams, and with `all_records` every record comes with its verdict (refused, invalid, hand-made)."""

import time

import pytest

from grpc_bridge.generated import orders_pb2 as pb
from messaging import clients, judging
from orders import events, services
from tests.grpc_bridge.test_watch_any_record import WatchReader
from tests.support import forged_events as forge
from tests.support.relay_sockets import send_records

pytestmark = pytest.mark.django_db(transaction=True)

KIND = pb.RecordVerdict.Kind


def read(reader: WatchReader, count: int) -> list[pb.OrderEvent]:
    messages = []
    while len(messages) < count:
        item = reader.events.get(timeout=30)
        assert isinstance(item, pb.OrderEvent), f"Watch ended: {item}"
        messages.append(item)
    return messages


def test_watch_streams_accepted_events_and_flags_the_rest_when_asked(stub, kafka_broker, orders_topic):
    placed = forge.place_orders()
    # From the end: the orders placed before the call are known from its first read of the last records.
    plain = WatchReader(stub)
    flagged = WatchReader(stub, pb.WatchRequest(all_records=True))
    publisher = clients.build_producer()
    try:
        plain.until_live(publisher)
        flagged.until_live(publisher)
        records = [
            forge.forged(placed.completed, events.ORDER_STATUS_CHANGED, "QUEUED"),
            forge.forged(placed.queued, events.ORDER_STATUS_CHANGED, "COMPLETED"),
            forge.malformed(placed.queued),
            {
                **forge.forged(placed.queued, events.ORDER_STATUS_CHANGED, "CANCELLED"),
                "headers": [(judging.HAND_MADE_HEADER, b"dashboard produce")],
            },
        ]
        sent = send_records(kafka_broker.bootstrap_servers, orders_topic, records)
        arrived = {(m.partition, m.offset): m for m in read(flagged, len(records))}
        assert set(arrived) == set(sent)
        got = [arrived[where] for where in sent]  # partitions interleave as polled; in the order sent
        assert [(m.verdict.kind, m.verdict.reason) for m in got[:2]] == [
            (KIND.REFUSED, "the order is COMPLETED, a final status: nothing follows it"),
            (KIND.REFUSED, "QUEUED cannot become COMPLETED (only CANCELLED, PROCESSING)"),
        ]
        assert got[0].order.id == placed.completed and got[0].order.status == pb.OrderMessage.QUEUED
        assert got[2].verdict.kind == KIND.INVALID and got[2].verdict.reason.startswith("not an order event")
        assert got[2].event_id == "" and not got[2].HasField("order"), "only where it is, and why"
        # A hand-made event the rules allow is applied, and says it was hand-made.
        assert (got[3].verdict.kind, got[3].verdict.hand_made, got[3].verdict.reason) == (KIND.ACCEPTED, True, "")

        # Without all_records only the accepted one streams (flagged hand-made), nothing refused or invalid.
        sentinel = services.create_order(created_by="sentinel", equipment=["MOUSE"], source="grpc")
        forge.publish_all()
        streamed = {}
        while not any(m.order.id == str(sentinel.order_id) for m in streamed.values()):
            message = read(plain, 1)[0]
            streamed[(message.partition, message.offset)] = message
        time.sleep(1)  # anything else already on its way arrives too
        while not plain.events.empty():
            message = read(plain, 1)[0]
            streamed[(message.partition, message.offset)] = message
        assert set(streamed) & set(sent) == {sent[3]}
        assert streamed[sent[3]].verdict.hand_made and streamed[sent[3]].order.status == pb.OrderMessage.CANCELLED
    finally:
        plain.call.cancel()
        flagged.call.cancel()
        clients.close_producer(publisher, timeout=5)
