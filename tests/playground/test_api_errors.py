"""The API's paths answer errors in JSON, DEBUG on or off; the page's own paths keep Django's pages."""

from __future__ import annotations

import uuid

import pytest
from django.test import Client

from messaging import clients


@pytest.fixture(params=[True, False], ids=["debug on", "debug off"])
def debug(request, settings):
    settings.DEBUG = request.param
    return request.param


def assert_json_detail(response, status: int, detail: str) -> None:
    assert response.status_code == status, response.content[:300]
    assert response["Content-Type"] == "application/json", response["Content-Type"]
    assert response.json() == {"detail": detail}
    assert int(response["Content-Length"]) == len(response.content)


@pytest.mark.parametrize(
    "path",
    [
        "/api/nowhere",
        "/api/orders/nowhere",
        "/workbench/nowhere",
        "/fulfilment/nowhere",
        "/dashboard/x",
        "/kafka/nowhere",
    ],
)
def test_an_unknown_api_path_is_a_json_404(client, debug, path):
    assert_json_detail(client.get(path), 404, "Not found.")


def test_a_method_a_page_endpoint_does_not_take_is_a_json_405_that_names_the_allowed_one(client, debug):
    response = client.put("/dashboard/grpc/create")
    assert_json_detail(response, 405, 'Method "PUT" not allowed.')
    assert response["Allow"] == "POST"
    assert response["X-Frame-Options"] == "DENY", "the other layers' headers are kept"


def test_a_crash_on_an_api_path_is_a_json_500_without_the_debug_page(debug, monkeypatch, db):
    def crash():
        raise RuntimeError("secret detail")

    monkeypatch.setattr(clients, "broker_status", crash)
    response = Client(raise_request_exception=False).get("/health")
    assert_json_detail(response, 500, "A server error occurred; the web process's log has the details.")


def test_too_many_form_fields_on_an_api_path_is_a_json_400(client, debug, db, settings):
    fields = "&".join(f"f{i}=1" for i in range(settings.DATA_UPLOAD_MAX_NUMBER_FIELDS + 1))
    response = client.post("/api/orders/computers", fields, content_type="application/x-www-form-urlencoded")
    assert response.status_code == 400 and response["Content-Type"] == "application/json", response.content[:300]


def test_the_page_paths_keep_djangos_pages(client, debug):
    response = client.get("/nowhere")
    assert response.status_code == 404 and response["Content-Type"].startswith("text/html")


def test_the_browsable_api_still_answers_a_browser_in_html(client, debug, db):
    response = client.get(f"/api/orders/computers/{uuid.uuid4()}", HTTP_ACCEPT="text/html")
    assert response.status_code == 404 and response["Content-Type"].startswith("text/html")
    assert b"Django REST framework" in response.content
