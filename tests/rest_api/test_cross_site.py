"""Another web site's form cannot place or cancel orders; JSON clients and the browsable API's own form still can.

Django's test client with enforce_csrf_checks=True checks CSRF as a real server does (the default client skips it).
"""

import json
import re

import pytest
from django.test import Client

from orders import services
from orders.models import Order
from outbox.models import OutboxEvent

pytestmark = pytest.mark.django_db
URL = "/api/orders/computers"
EVIL = "http://evil.example"
FORM = {"created_by": "mallory", "equipment": ["MOUSE"]}


@pytest.fixture
def browser_like():
    return Client(enforce_csrf_checks=True)


@pytest.fixture
def order():
    return services.create_order(created_by="ana", equipment=["KEYBOARD"], source="rest")


def assert_refused_as_csrf(response):
    assert response.status_code == 403, response.content
    assert response["Content-Type"] == "application/json"
    detail = response.json()["detail"]
    assert detail.startswith("CSRF Failed:") and "application/json" in detail, detail
    return detail


@pytest.mark.parametrize("encode", ["urlencoded", "multipart", "text/plain"])
def test_a_cross_site_form_cannot_place_an_order(browser_like, encode):
    if encode == "urlencoded":
        response = browser_like.post(
            URL,
            "created_by=mallory&equipment=MOUSE",
            HTTP_ORIGIN=EVIL,
            content_type="application/x-www-form-urlencoded",
        )
    elif encode == "multipart":
        response = browser_like.post(URL, FORM, HTTP_ORIGIN=EVIL)
    else:
        response = browser_like.post(
            URL,
            '{"created_by": "mallory", "equipment": ["MOUSE"], "x": "="}',
            HTTP_ORIGIN=EVIL,
            content_type="text/plain",
        )
    assert "Origin checking failed - http://evil.example" in assert_refused_as_csrf(response)
    assert not Order.objects.exists() and not OutboxEvent.objects.exists()


@pytest.mark.parametrize("body", ["form", "none"])
def test_a_cross_site_page_cannot_cancel_an_order(browser_like, order, body):
    url = f"{URL}/{order.order_id}/cancel"
    if body == "form":
        response = browser_like.post(url, "a=b", HTTP_ORIGIN=EVIL, content_type="application/x-www-form-urlencoded")
    else:  # fetch(url, {method: "POST", mode: "no-cors"}): no body, no Content-Type, but an Origin
        response = browser_like.generic("POST", url, HTTP_ORIGIN=EVIL)
    assert_refused_as_csrf(response)
    order.refresh_from_db()
    assert order.status == "QUEUED"
    assert OutboxEvent.objects.count() == 1, "only the order.created event; no order.status_changed"


def test_a_form_without_the_token_is_refused_even_with_no_origin(browser_like):
    response = browser_like.post(URL, FORM)
    assert "CSRF cookie not set" in assert_refused_as_csrf(response)
    assert not Order.objects.exists()


def test_json_needs_no_token(browser_like):
    response = browser_like.post(URL, json.dumps(FORM), content_type="application/json")
    assert response.status_code == 201, response.content
    assert Order.objects.get().created_by == "mallory"


def test_json_with_a_charset_needs_no_token(browser_like):
    response = browser_like.post(URL, json.dumps(FORM), content_type="application/json; charset=utf-8")
    assert response.status_code == 201, response.content


def test_json_cancel_and_a_bodyless_cancel_need_no_token(browser_like):
    """requests.post(url, json=…) and curl -X POST …/cancel: no token, no Origin."""
    first = services.create_order(created_by="ana", equipment=["MOUSE"], source="rest")
    second = services.create_order(created_by="ana", equipment=["MOUSE"], source="rest")
    as_json = browser_like.post(f"{URL}/{first.order_id}/cancel", "{}", content_type="application/json")
    bodyless = browser_like.generic("POST", f"{URL}/{second.order_id}/cancel")
    assert (as_json.status_code, bodyless.status_code) == (200, 200), (as_json.content, bodyless.content)
    assert set(Order.objects.values_list("status", flat=True)) == {"CANCELLED"}


def page_token(client, url):
    html = client.get(url, HTTP_ACCEPT="text/html").content.decode()
    return re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', html).group(1)


def test_the_browsable_api_form_with_its_token_places_an_order(browser_like):
    token = page_token(browser_like, URL)
    response = browser_like.post(
        URL,
        {**FORM, "status": "QUEUED", "csrfmiddlewaretoken": token},
        HTTP_ORIGIN="http://testserver",
        HTTP_ACCEPT="application/json",
    )
    assert response.status_code == 201, response.content
    assert Order.objects.get().created_by == "mallory"


def test_the_token_does_not_help_a_cross_site_form(browser_like):
    token = page_token(browser_like, URL)
    response = browser_like.post(URL, {**FORM, "csrfmiddlewaretoken": token}, HTTP_ORIGIN=EVIL)
    assert_refused_as_csrf(response)
    assert not Order.objects.exists()


def test_the_browsable_api_cancel_button_with_its_token_cancels(browser_like, order):
    url = f"{URL}/{order.order_id}/cancel"
    token = page_token(browser_like, url)
    response = browser_like.post(url, {"csrfmiddlewaretoken": token}, HTTP_ORIGIN="http://testserver")
    assert response.status_code == 200, response.content
    order.refresh_from_db()
    assert order.status == "CANCELLED"


def test_the_schema_declares_no_security_scheme(client):
    schema = client.get("/api/schema/", HTTP_ACCEPT="application/vnd.oai.openapi+json").json()
    assert "securitySchemes" not in schema.get("components", {})
