"""GET lists the most recently accepted orders first, whatever created_at their clients sent."""

import json
import random

import pytest
from rest_framework.test import APIClient

from orders import services

pytestmark = pytest.mark.django_db
URL = "/api/orders/computers"
# The course's example body: its 2020 date buried it past page 1 when the list sorted by created_at.
COURSE_EXAMPLE = {
    "created_by": "student",
    "status": "QUEUED",
    "created_at": "2020-10-16T12:00:00Z",
    "equipment": ["KEYBOARD", "MOUSE"],
}


@pytest.fixture
def api():
    return APIClient()


def post(api, body):
    response = api.post(URL, json.dumps(body), content_type="application/json")
    assert response.status_code == 201, response.json()
    return response.json()


def test_the_course_example_posted_after_60_orders_is_first_on_page_one(api):
    for _ in range(60):
        services.create_order(created_by="others", equipment=["MOUSE"], source="rest")
    example = post(api, COURSE_EXAMPLE)
    page = api.get(URL).json()
    assert page["count"] == 61
    assert page["computer_orders"][0] == example
    assert example["created_at"] == "2020-10-16T12:00:00Z", "created_at is kept as the client gave it"


def test_a_far_future_created_at_followed_by_a_newer_order_is_not_on_top(api):
    pinned = post(api, {**COURSE_EXAMPLE, "created_at": "9999-12-31T00:00:00Z"})
    newer = post(api, {**COURSE_EXAMPLE, "created_by": "newer"})
    listed = api.get(URL).json()["computer_orders"]
    assert [order["order_id"] for order in listed] == [newer["order_id"], pinned["order_id"]]
    assert listed[1]["created_at"] == "9999-12-31T00:00:00Z"


def test_pages_walk_every_order_once_newest_accepted_first(api):
    dates = [f"20{year:02d}-01-01T00:00:00Z" for year in random.Random(7).sample(range(10, 99), 7)]
    posted = [post(api, {**COURSE_EXAMPLE, "created_at": date})["order_id"] for date in dates]
    seen, link = [], f"{URL}?page_size=3"
    while link:
        page = api.get(link).json()
        seen += [order["order_id"] for order in page["computer_orders"]]
        link = page["next"]
    assert seen == posted[::-1]
