"""REST's delivery note (version 2): sent, stored and shown only when given; refused with a 400 naming the field."""

import pytest
from rest_framework.test import APIClient

from orders.models import Order

pytestmark = pytest.mark.django_db

ORDERS = "/api/orders/computers"


def test_a_note_is_stored_and_shown_and_an_order_without_one_has_no_such_key():
    api = APIClient()
    noted = api.post(ORDERS, {"created_by": "ana", "equipment": ["MONITOR"], "delivery_note": "Desk 4."}, format="json")
    plain = api.post(ORDERS, {"created_by": "ana", "equipment": ["MONITOR"], "delivery_note": ""}, format="json")
    assert noted.status_code == plain.status_code == 201
    assert noted.json()["delivery_note"] == "Desk 4."
    assert list(plain.json()) == ["order_id", "created_by", "status", "created_at", "equipment"]
    assert api.get(f"{ORDERS}/{noted.json()['order_id']}").json() == noted.json()


@pytest.mark.parametrize(("note", "message"), [("x" * 121, "no more than 120"), (7, "Not a valid string")])
def test_a_bad_note_is_a_400_naming_the_field_and_stores_nothing(note, message):
    answer = APIClient().post(
        ORDERS, {"created_by": "ana", "equipment": ["MOUSE"], "delivery_note": note}, format="json"
    )
    assert answer.status_code == 400 and message in answer.json()["delivery_note"][0]
    assert not Order.objects.exists()


def test_the_schema_states_the_note_as_optional_both_ways():
    schemas = APIClient().get("/api/schema/", {"format": "json"}).json()["components"]["schemas"]
    for name in ("Order", "OrderInputRequest"):
        assert "delivery_note" in schemas[name]["properties"]
        assert "delivery_note" not in schemas[name]["required"]
