"""Get and List give the most recently accepted orders first, whatever created_at their clients sent."""

import random

from grpc_bridge.generated import orders_pb2 as pb
from orders import services

KEYBOARD, MOUSE = 0, 1


def course_example(**fields):
    """The course's example order: its 2020 date buried it past the first page when lists sorted by created_at."""
    return pb.OrderMessage(
        **{"created_by": "student", "created_at": "2020-10-16T12:00:00Z", "equipment": [KEYBOARD, MOUSE], **fields}
    )


def test_the_course_example_created_after_60_orders_is_first_in_list_and_get(stub):
    for _ in range(60):
        services.create_order(created_by="others", equipment=["MOUSE"], source="grpc")
    example = stub.Create(course_example())
    first_page = stub.List(pb.ListRequest())
    assert first_page.orders[0] == example and first_page.next_page_token
    assert stub.Get(pb.Empty()).orders[0] == example
    assert example.created_at == "2020-10-16T12:00:00Z", "created_at is kept as the client gave it"


def test_a_far_future_created_at_followed_by_a_newer_order_is_not_on_top(stub):
    pinned = stub.Create(course_example(created_at="9999-12-31T00:00:00Z"))
    newer = stub.Create(course_example(created_by="newer"))
    assert [order.id for order in stub.List(pb.ListRequest()).orders] == [newer.id, pinned.id]


def test_pages_walk_every_order_once_newest_accepted_first(stub):
    dates = [f"20{year:02d}-01-01T00:00:00Z" for year in random.Random(7).sample(range(10, 99), 7)]
    created = [stub.Create(course_example(created_at=date)).id for date in dates]
    seen, token = [], None
    while token != "":
        page = stub.List(pb.ListRequest(page_size=3, page_token=token or ""))
        seen += [order.id for order in page.orders]
        token = page.next_page_token
    assert seen == created[::-1]
