"""The dashboard's gRPC gateway calls rungrpc over a real channel and reports what a gRPC client sees."""

import json
import re

import pytest
from django.test import Client

from localkafka import free_port
from orders.models import Order

URL = "/dashboard/grpc/create"


@pytest.fixture
def gateway(client, settings, grpc_target):
    settings.GRPC_TARGET = grpc_target
    return lambda body: client.post(
        URL, json.dumps(body) if not isinstance(body, (str, bytes)) else body, content_type="application/json"
    )


def test_ok_call_returns_the_order_code_and_duration(gateway):
    response = gateway({"created_by": "web", "equipment": ["MONITOR", "MONITOR"]})
    body = response.json()
    assert response.status_code == 200 and body["code"] == "OK"
    assert body["order"]["equipment"] == ["MONITOR", "MONITOR"] and body["order"]["status"] == "QUEUED"
    assert body["duration_ms"] > 0
    assert Order.objects.get(order_id=body["order"]["id"]).created_by == "web"


def test_invalid_argument_comes_back_with_field_errors(gateway):
    body = gateway({"created_by": "", "equipment": []}).json()
    assert body["code"] == "INVALID_ARGUMENT" and "created_by" in body["message"]
    assert set(body["field_errors"]) == {"created_by", "equipment"}
    assert Order.objects.count() == 0


@pytest.mark.parametrize(
    "raw",
    [
        "{",
        "[]",
        '{"equipment": "MOUSE"}',
        '{"equipment": ["TOASTER"]}',
        '{"created_by": 5, "equipment": ["MOUSE"]}',
        "[" * 100_000,
        b"\xff\xfe",
    ],
)
def test_what_cannot_be_put_on_the_wire_is_400(gateway, raw):
    assert gateway(raw).status_code == 400
    assert Order.objects.count() == 0


def test_unreachable_server_is_reported_as_unavailable(client, settings, transactional_db):
    settings.GRPC_TARGET = f"127.0.0.1:{free_port()}"
    settings.GRPC_CALL_TIMEOUT = 2
    body = client.post(
        URL, json.dumps({"created_by": "x", "equipment": ["MOUSE"]}), content_type="application/json"
    ).json()
    assert body["code"] in {"UNAVAILABLE", "DEADLINE_EXCEEDED"}


def test_get_is_not_allowed(client, transactional_db):
    assert client.get(URL).status_code == 405


def test_a_lone_surrogate_is_a_field_error_not_a_500(gateway):
    response = gateway('{"created_by": "\\ud800", "equipment": ["MOUSE"]}')
    assert response.status_code == 400
    assert list(response.json()) == ["created_by"] and "surrogate" in response.json()["created_by"][0]
    assert Order.objects.count() == 0


def test_answers_show_no_internal_address(client, settings, transactional_db):
    port = free_port()
    settings.GRPC_TARGET = f"127.0.0.1:{port}"
    settings.GRPC_CALL_TIMEOUT = 2
    response = client.post(
        URL, json.dumps({"created_by": "x", "equipment": ["MOUSE"]}), content_type="application/json"
    )
    body = response.json()
    assert response.status_code == 200 and body["code"] in {"UNAVAILABLE", "DEADLINE_EXCEEDED"}
    assert "target" not in body
    assert str(port) not in response.content.decode() and "127.0.0.1" not in response.content.decode()
    assert body["message"] in {
        "The gRPC server is not reachable (is rungrpc running?).",
        "The gRPC server did not answer in time.",
    }


def test_a_body_other_than_json_is_415(client, transactional_db):
    response = client.post(URL, {"created_by": "x", "equipment": ["MOUSE"]})
    assert response.status_code == 415 and response.json() == {"non_field_errors": ["Send application/json."]}
    assert Order.objects.count() == 0


def dashboard_token(browser_like):
    """The token the dashboard page hands its script (and the cookie it sets), as a browser gets them."""
    html = browser_like.get("/").content.decode()
    return re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', html).group(1)


@pytest.mark.parametrize(
    ("content_type", "body"),
    [
        ("application/x-www-form-urlencoded", "created_by=mallory&equipment=MOUSE"),
        ("text/plain", '{"created_by": "mallory", "equipment": ["MOUSE"], "x": "="}'),
        ("application/json", '{"created_by": "mallory", "equipment": ["MOUSE"]}'),
    ],
)
def test_a_cross_site_post_is_refused_in_json(settings, grpc_target, content_type, body):
    settings.GRPC_TARGET = grpc_target
    browser_like = Client(enforce_csrf_checks=True)
    token = dashboard_token(browser_like)  # even with a valid token: the Origin is another site
    response = browser_like.post(
        URL, body, content_type=content_type, HTTP_ORIGIN="http://evil.example", HTTP_X_CSRFTOKEN=token
    )
    assert response.status_code == 403
    assert response.json()["detail"].startswith("CSRF Failed: Origin checking failed - http://evil.example")
    assert Order.objects.count() == 0


def test_without_the_dashboards_token_even_json_is_refused(settings, grpc_target):
    """The gateway serves the dashboard page only (unlike the REST API, which takes JSON from any client)."""
    settings.GRPC_TARGET = grpc_target
    response = Client(enforce_csrf_checks=True).post(
        URL, '{"created_by": "x", "equipment": ["MOUSE"]}', content_type="application/json"
    )
    assert response.status_code == 403 and "CSRF cookie not set" in response.json()["detail"]
    assert Order.objects.count() == 0


def test_the_dashboard_page_with_its_token_places_an_order(settings, grpc_target):
    settings.GRPC_TARGET = grpc_target
    browser_like = Client(enforce_csrf_checks=True)
    token = dashboard_token(browser_like)
    response = browser_like.post(
        URL,
        '{"created_by": "page", "equipment": ["MOUSE"]}',
        content_type="application/json",
        HTTP_ORIGIN="http://testserver",
        HTTP_X_CSRFTOKEN=token,
    )
    assert response.status_code == 200 and response.json()["code"] == "OK", response.content
    assert Order.objects.get().created_by == "page"


def test_the_page_names_the_grpc_address_only_on_a_local_playground(client, settings, db):
    settings.GRPC_TARGET = "grpc.internal.example:50051"
    settings.PLAYGROUND_LOCAL = True
    assert "grpc.internal.example:50051" in client.get("/").content.decode()
    settings.PLAYGROUND_LOCAL = False
    assert "grpc.internal.example" not in client.get("/").content.decode()
