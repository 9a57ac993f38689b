"""The browsable API and Swagger UI in Chromium with axe-core: no critical or serious violation, and the site icon.

A web process of the playground's own (runserver, as `make run` starts it) on the real broker; the browsable API's
form shows for every visitor (the API logs nobody in), so the logged-out pages are the pages with the form.
"""

from __future__ import annotations

import json
import urllib.request
import uuid

import pytest

from harness.processes import Stack
from harness.topics import create_topic
from tests.conftest import ARTIFACTS
from tests.support.page_checks import assert_accessible, axe_violations, blocking


@pytest.fixture(scope="module")
def web(kafka_broker):
    topic = f"orders-a11y-{uuid.uuid4().hex[:8]}"
    create_topic(kafka_broker.bootstrap_servers, topic)
    running = Stack(
        bootstrap_servers=kafka_broker.bootstrap_servers, topic=topic, log_dir=ARTIFACTS, services=("web",)
    ).start()
    yield running
    running.stop()


@pytest.fixture
def page(browser):
    context = browser.new_context(viewport={"width": 1440, "height": 900})
    yield context.new_page()
    context.close()


def place_order(base_url: str) -> dict:
    body = json.dumps({"created_by": "ana", "equipment": ["KEYBOARD"]}).encode()
    request = urllib.request.Request(
        f"{base_url}/api/orders/computers", body, headers={"Content-Type": "application/json"}
    )
    with urllib.request.urlopen(request, timeout=10) as response:
        return json.load(response)


@pytest.mark.parametrize("path", ["/api/orders/computers", "/api/orders/computers/{order_id}"], ids=["list", "detail"])
def test_the_browsable_api_has_no_critical_or_serious_violation(web, page, path):
    order = place_order(web.base_url)
    page.goto(web.base_url + path.format(order_id=order["order_id"]))
    assert page.locator("form").count() >= 1, "the page shows its form(s)"
    assert_accessible(page)


# Swagger UI's own markup, which no template or stylesheet of ours can change: each operation's summary is a <button>
# that holds the copy-path button (axe "nested-interactive", serious).
SWAGGER_UI_OWN = {"nested-interactive"}


def test_swagger_ui_has_no_critical_or_serious_violation_of_ours(web, page):
    page.goto(web.base_url + "/api/docs/")
    page.wait_for_selector(".opblock", timeout=20_000)
    assert [v for v in blocking(axe_violations(page)) if v[0] not in SWAGGER_UI_OWN] == []


def test_swagger_ui_try_it_out_places_an_order_as_shipped(web, page):
    page.goto(web.base_url + "/api/docs/")
    post = page.locator("#operations-api-api_orders_computers_create")
    post.locator(".opblock-summary-control").click()
    post.get_by_role("button", name="Try it out").click()
    post.get_by_role("button", name="Execute").click()
    status = post.locator(".live-responses-table .response .response-col_status")
    status.first.wait_for(timeout=20_000)
    assert status.first.inner_text().strip() == "201", post.locator(".live-responses-table").inner_text()


def test_the_pages_name_the_site_icon_and_it_loads(web, page):
    for path in ("/api/orders/computers", "/api/docs/"):
        page.goto(web.base_url + path)
        href = page.locator('link[rel="icon"]').get_attribute("href")
        assert href == "/static/playground/favicon.svg", (path, href)
        icon = page.request.get(web.base_url + href)
        assert icon.status == 200 and icon.headers["content-type"] == "image/svg+xml"
    response = page.request.get(web.base_url + "/favicon.ico")
    assert response.status == 200 and response.headers["content-type"].startswith("image/")
