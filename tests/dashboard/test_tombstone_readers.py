"""A tombstone produced from the page on the orders topic, keyed by a real order (so it lands among that order's
events): the relay shows it flagged, Watch streams it flagged and goes on, the worker steps past it and fulfils the
next order, and the judging refuses it without forgetting the order. Real processes, broker and gRPC channel."""

import json
import queue
import threading
import urllib.request

import grpc

from grpc_bridge.generated import orders_pb2 as pb
from grpc_bridge.generated import orders_pb2_grpc
from messaging import judging
from orders import events
from tests.fulfilment.test_worker import FAST, group_of, place, wait_statuses
from tests.support.forged_events import forged_event
from tests.support.live_socket import ResumingReader, run_in_own_loop
from tests.support.waiting import wait_until

TOMBSTONE_REASON = "no value (a tombstone)"


def produce(base_url: str, body: dict) -> dict:
    """Produce as the page's form does (POST /workbench/produce)."""
    request = urllib.request.Request(
        f"{base_url}/workbench/produce",
        method="POST",
        data=json.dumps(body).encode(),
        headers={"Content-Type": "application/json"},
    )
    with urllib.request.urlopen(request, timeout=30) as response:
        assert response.status == 201
        return json.loads(response.read())


def read_watch(call, into: queue.Queue) -> None:
    try:
        for event in call:
            into.put(event)
    except grpc.RpcError as error:
        into.put(error)


def test_a_tombstone_is_flagged_by_every_reader_and_stops_none(make_stack, kafka_broker):
    stack = make_stack(kafka_broker.bootstrap_servers, services=("web", "grpc", "publisher", "worker"), **FAST)
    [before] = place(stack, 1, "before-tombstone")
    wait_statuses(stack, [before], "COMPLETED")
    tombstone = produce(stack.base_url, {"key": before, "tombstone": True})
    order = stack.get_json(f"/api/orders/computers/{before}")
    forged = forged_event(order, events.ORDER_STATUS_CHANGED, "PROCESSING").to_value().decode()
    forged_at = produce(stack.base_url, {"key": before, "value": forged})
    tombstone_at = (tombstone["partition"], tombstone["offset"])
    assert tombstone["partition"] == judging.home_partition(before.encode(), 3)
    [after] = place(stack, 1, "after-tombstone")
    wait_statuses(stack, [after], "COMPLETED")  # the worker stepped past the tombstone
    assert stack.processes["worker"].poll() is None
    wait_until(lambda: group_of(stack).get("lag") == 0, timeout=20, message="the group did not commit past it")

    # Watch from the beginning, every record: the tombstone flagged, then the next order's events.
    streamed: queue.Queue = queue.Queue()
    with grpc.insecure_channel(stack.grpc_target) as channel:
        call = orders_pb2_grpc.OrderServiceStub(channel).Watch(
            pb.WatchRequest(from_beginning=True, all_records=True), timeout=60
        )
        threading.Thread(target=read_watch, args=(call, streamed), daemon=True).start()
        seen = []
        # Watch reads the partitions side by side: wait for both the tombstone and the next order's last event.
        while not (
            any((event.partition, event.offset) == tombstone_at for event in seen)
            and any(event.order.id == after and event.order.status == pb.OrderMessage.COMPLETED for event in seen)
        ):
            item = streamed.get(timeout=30)
            assert not isinstance(item, grpc.RpcError), f"Watch ended: {item.code()} {item.details()}"
            seen.append(item)
        call.cancel()
    [flagged] = [e for e in seen if (e.partition, e.offset) == tombstone_at]
    assert flagged.verdict.kind == pb.RecordVerdict.INVALID
    assert (flagged.verdict.reason, flagged.verdict.hand_made) == (TOMBSTONE_REASON, True)
    assert not flagged.HasField("order")

    # The relay: the same record frame for every browser, flagged; the records after it arrive too.
    reader = ResumingReader(stack.base_url)

    async def relay_scenario():
        await reader.connect(start="beginning")
        # A replay sends one partition after another: wait for every record this test looks at.
        await reader.read_until(
            lambda: (
                {tombstone_at, (forged_at["partition"], forged_at["offset"])}
                <= {(f["partition"], f["offset"]) for f in reader.records}
                and any(
                    f.get("key") == after
                    and f.get("verdict") == "accepted"
                    and f["value"]["order"]["status"] == "COMPLETED"
                    for f in reader.records
                )
            ),
            timeout=30,
        )
        await reader.close()

    run_in_own_loop(relay_scenario)
    [frame] = [f for f in reader.records if (f["partition"], f["offset"]) == tombstone_at]
    assert (frame["key"], frame["value"], frame["value_format"]) == (before, None, "null")
    assert (frame["verdict"], frame["verdict_reason"], frame["hand_made"]) == ("invalid", TOMBSTONE_REASON, True)

    # The judging after it: a forged move of the same order is refused against its COMPLETED status, which the ledger
    # still knows past the tombstone (a forgotten order would be refused as unchecked instead).
    [forged] = [
        f for f in reader.records if (f["partition"], f["offset"]) == (forged_at["partition"], forged_at["offset"])
    ]
    assert forged["verdict"] == "refused" and "COMPLETED" in forged["verdict_reason"], forged
