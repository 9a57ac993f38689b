"""Forged records on a real broker: the relay flags them (refused or invalid, with the reason), they move no order,
and a replay from the beginning (a reload) judges every record the same as the live stream did."""

from __future__ import annotations

import asyncio

import pytest
from channels.db import database_sync_to_async

from live import relay
from messaging import judging
from orders import events, services
from tests.support import forged_events as forge
from tests.support.relay_sockets import open_socket, receive_records, records_in, send_records, start_stream

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.kafka]


@pytest.fixture(autouse=True)
async def relay_stopped_after():
    yield
    assert await asyncio.to_thread(relay.stop), "the relay reader thread did not stop"


def verdicts(frames: list[dict]) -> dict[tuple[int, int], tuple]:
    return {(f["partition"], f["offset"]): (f["verdict"], f.get("verdict_reason"), f["hand_made"]) for f in frames}


async def test_forged_records_are_flagged_move_nothing_and_a_replay_judges_them_the_same(kafka_broker, orders_topic):
    # Placed and published before the relay starts: its warm-up reads them, so it knows both orders.
    placed = await database_sync_to_async(forge.place_orders)()
    socket = await open_socket()
    await start_stream(socket, "latest")

    forged = await database_sync_to_async(
        lambda: [
            forge.forged(placed.completed, events.ORDER_STATUS_CHANGED, "QUEUED"),  # out of a final status
            forge.forged(placed.queued, events.ORDER_STATUS_CHANGED, "COMPLETED"),  # a jump TRANSITIONS lacks
            # a move the rules allow, that rewrites who created the order
            forge.forged(placed.queued, events.ORDER_STATUS_CHANGED, "PROCESSING", created_by="mallory"),
            forge.malformed(placed.completed),
            {**forge.forged(placed.queued, events.ORDER_CREATED, "QUEUED"), "partition": 0, "key": None},
            {
                **forge.forged(placed.completed, events.ORDER_STATUS_CHANGED, "PROCESSING"),
                "headers": [(judging.HAND_MADE_HEADER, b"dashboard produce")],
            },
        ]
    )()
    await asyncio.to_thread(send_records, kafka_broker.bootstrap_servers, orders_topic, forged)
    live = await receive_records(socket, len(forged))
    reasons = [(f["verdict"], f["verdict_reason"]) for f in live]
    assert ("refused", "the order is COMPLETED, a final status: nothing follows it") in reasons
    assert ("refused", "QUEUED cannot become COMPLETED (only CANCELLED, PROCESSING)") in reasons
    assert (
        "refused",
        "its order's created_by, created_at, equipment, delivery_note differ from the order's: only the status changes",
    ) in reasons
    assert any(v == "invalid" and r.startswith("not an order event: value is not JSON") for v, r in reasons)
    assert ("invalid", "no key: an order event's key is its order id") in reasons
    hand_made = [f for f in live if f["hand_made"]]
    assert [(f["verdict"], f["verdict_reason"]) for f in hand_made] == [
        ("refused", "the order is COMPLETED, a final status: nothing follows it")
    ], "still COMPLETED: the forged QUEUED before it moved nothing"

    # The genuine next step of the QUEUED order is accepted: the forged COMPLETED and PROCESSING left it QUEUED.
    await database_sync_to_async(lambda: _advance(placed.queued))()
    [step] = await receive_records(socket, 1)
    assert (step["key"], step["verdict"], step["value"]["order"]["status"]) == (placed.queued, "accepted", "PROCESSING")
    assert await database_sync_to_async(forge.status_of)(placed.completed) == "COMPLETED"

    # A reload: a new socket's replay from the beginning gives every record the verdict the live stream gave.
    reloaded = await open_socket()
    history = records_in(await start_stream(reloaded, "beginning"))
    assert len(history) == 4 + len(forged) + 1
    seen_live = verdicts([*live, step])
    assert {where: v for where, v in verdicts(history).items() if where in seen_live} == seen_live
    genuine = [f for f in history if f["value_format"] == "json-event" and f["value"]["occurred_at"] < "2099"]
    assert [f["verdict"] for f in genuine] == ["accepted"] * 5
    await socket.disconnect()
    await reloaded.disconnect()


def _advance(order_id: str) -> None:
    services.change_status(order_id=order_id, to="PROCESSING", source="worker")
    forge.publish_all()
