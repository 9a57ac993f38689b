"""The course's REST contract and every bad input, through Django's test client (no Kafka needed)."""

import json

import pytest
from rest_framework.test import APIClient

from orders.models import Order
from outbox.models import OutboxEvent

pytestmark = pytest.mark.django_db
URL = "/api/orders/computers"
VALID = {
    "created_by": "ana",
    "status": "QUEUED",
    "created_at": "2026-01-31T12:00:00Z",
    "equipment": ["KEYBOARD", "MOUSE", "MOUSE"],
}


@pytest.fixture
def api():
    return APIClient()


def post(api, body, **kwargs):
    kwargs.setdefault("content_type", "application/json")
    return api.post(URL, json.dumps(body) if not isinstance(body, (str, bytes)) else body, **kwargs)


def test_create_returns_the_stored_order_with_location(api):
    response = post(api, VALID)
    assert response.status_code == 201, response.json()
    body = response.json()
    assert set(body) == {"order_id", "created_by", "status", "created_at", "equipment"}
    assert {k: body[k] for k in VALID} == VALID
    assert response["Location"].endswith(f"{URL}/{body['order_id']}")
    assert api.get(response["Location"]).json() == body


def test_create_defaults_status_and_created_at(api):
    body = post(api, {"created_by": "ana", "equipment": ["WEBCAM"]}).json()
    assert body["status"] == "QUEUED"
    assert body["created_at"].endswith("Z")


def test_rest_body_equals_the_kafka_payload(api):
    body = post(api, VALID).json()
    assert json.loads(OutboxEvent.objects.get().value)["order"] == body


def test_list_is_newest_accepted_first_in_the_course_envelope(api):
    first = post(api, {**VALID, "created_at": "2026-02-01T00:00:00Z"}).json()
    second = post(api, {**VALID, "created_at": "2026-01-01T00:00:00Z"}).json()
    body = api.get(URL).json()
    assert [o["order_id"] for o in body["computer_orders"]] == [second["order_id"], first["order_id"]]
    assert body["count"] == 2 and body["next"] is None and body["previous"] is None


def test_list_paginates_with_links(api):
    for _ in range(3):
        post(api, VALID)
    page1 = api.get(URL, {"page_size": 2}).json()
    assert len(page1["computer_orders"]) == 2 and page1["next"]
    page2 = api.get(page1["next"]).json()
    assert len(page2["computer_orders"]) == 1 and page2["previous"] and page2["next"] is None


def test_list_filters_by_status_and_creator(api):
    post(api, VALID)
    post(api, {**VALID, "created_by": "bo", "status": "COMPLETED"})
    assert [o["created_by"] for o in api.get(URL, {"status": "COMPLETED"}).json()["computer_orders"]] == ["bo"]
    assert [o["status"] for o in api.get(URL, {"created_by": "ana"}).json()["computer_orders"]] == ["QUEUED"]
    response = api.get(URL, {"status": "LOST"})
    assert response.status_code == 400 and "status" in response.json()


def test_cancel_then_cancel_again_conflicts(api):
    order = post(api, VALID).json()
    cancelled = api.post(f"{URL}/{order['order_id']}/cancel")
    assert cancelled.status_code == 200 and cancelled.json()["status"] == "CANCELLED"
    again = api.post(f"{URL}/{order['order_id']}/cancel")
    assert again.status_code == 409 and "CANCELLED" in again.json()["detail"]
    assert OutboxEvent.objects.count() == 2


@pytest.mark.parametrize("order_id", ["0b6c8d0e-5a7c-4a39-9d5f-2c1e8a0f4b11", "nope"])
def test_unknown_order_is_404(api, order_id):
    assert api.get(f"{URL}/{order_id}").status_code == 404
    assert api.post(f"{URL}/{order_id}/cancel").status_code == 404


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({**VALID, "created_by": 7}, "created_by"),
        ({**VALID, "created_by": ""}, "created_by"),
        ({**VALID, "created_by": "x" * 151}, "created_by"),
        ({k: v for k, v in VALID.items() if k != "created_by"}, "created_by"),
        ({**VALID, "equipment": []}, "equipment"),
        ({**VALID, "equipment": "MOUSE"}, "equipment"),
        ({**VALID, "equipment": ["MOUSE", "TOASTER"]}, "equipment"),
        ({**VALID, "equipment": ["MOUSE"] * 21}, "equipment"),
        ({**VALID, "equipment": None}, "equipment"),
        ({**VALID, "status": "SHIPPED"}, "status"),
        ({**VALID, "status": 1}, "status"),
        ({**VALID, "created_at": "31/01/2026"}, "created_at"),
        ({**VALID, "created_at": 1738324800}, "created_at"),
        ({**VALID, "created_at": "9999-12-31T23:00:00-05:00"}, "created_at"),
        ({**VALID, "created_by": "a\x00b"}, "created_by"),
        ({**VALID, "order_id": "0b6c8d0e-5a7c-4a39-9d5f-2c1e8a0f4b11"}, "order_id"),
        ({**VALID, "priority": "high"}, "priority"),
    ],
)
def test_bad_field_is_400_with_field_errors_and_nothing_stored(api, body, field):
    response = post(api, body)
    assert response.status_code == 400
    assert field in response.json()
    assert Order.objects.count() == 0 and OutboxEvent.objects.count() == 0


@pytest.mark.parametrize("raw", ['{"created_by": "ana",', "[1, 2]", "null", '"text"', "", "[" * 100_000])
def test_malformed_json_is_400(api, raw):
    response = post(api, raw)
    assert response.status_code == 400
    assert Order.objects.count() == 0


@pytest.mark.parametrize("content_type", ["text/plain", "application/xml", "application/octet-stream"])
def test_non_json_content_type_is_415(api, content_type):
    response = api.post(URL, json.dumps(VALID), content_type=content_type)
    assert response.status_code == 415
    assert Order.objects.count() == 0


def test_browsable_api_form_has_a_select_per_equipment_item(api):
    html = api.get(URL, HTTP_ACCEPT="text/html").content.decode()
    assert html.count('name="equipment"') >= 4
    assert '<option value="MONITOR">' in html


def test_browsable_api_form_post_places_an_order_with_repeats(api):
    form = {"created_by": "ana", "status": "QUEUED", "equipment": ["MOUSE", "", "MOUSE", "WEBCAM"]}
    response = api.post(URL, form, format="multipart", HTTP_ACCEPT="application/json")
    assert response.status_code == 201, response.content
    assert response.json()["equipment"] == ["MOUSE", "MOUSE", "WEBCAM"]


def test_openapi_schema_describes_the_contract(api):
    response = api.get("/api/schema/", HTTP_ACCEPT="application/vnd.oai.openapi+json")
    schema = json.loads(response.content)
    assert response.status_code == 200 and schema["openapi"].startswith("3.")
    assert {
        "/api/orders/computers",
        "/api/orders/computers/{order_id}",
        "/api/orders/computers/{order_id}/cancel",
    } <= set(schema["paths"])


def test_swagger_ui_is_served_without_a_cdn(api):
    html = api.get("/api/docs/").content.decode()
    assert "swagger-ui" in html
    assert "//cdn" not in html and "unpkg" not in html and "jsdelivr" not in html


def test_a_lone_surrogate_is_a_field_error_not_a_500(client):
    body = '{"created_by": "\\ud800", "equipment": ["MOUSE"]}'
    response = client.post("/api/orders/computers", body, content_type="application/json")
    assert response.status_code == 400 and "surrogate" in response.json()["created_by"][0].lower()
    assert not Order.objects.exists() and not OutboxEvent.objects.exists()
