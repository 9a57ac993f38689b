"""The REST workbench in Chromium: each operation of the OpenAPI schema called from the page, and its curl command
run as copied."""

import json
import subprocess
import urllib.request

from playwright.sync_api import expect

from tests.conftest import ARTIFACTS, open_dashboard


def call(page, operation: str, params: dict | None = None, body: str | None = None) -> dict:
    """Choose an operation, fill it in, send it; return the status, the response body and the curl command."""
    page.select_option("#rest-operation", label=operation)
    for name, value in (params or {}).items():
        field = page.locator(f"#rest-param-{name}")
        if field.evaluate("node => node.tagName") == "SELECT":
            field.select_option(value)
        else:
            field.fill(value)
    if body is not None:
        page.fill("#rest-body", body)
    page.evaluate("() => { document.getElementById('rest-duration').textContent = ''; }")
    page.click("#rest-send")
    expect(page.locator("#rest-duration")).not_to_have_text("", timeout=10_000)
    response = page.locator("#rest-response").text_content()
    return {
        "status": int(page.locator("#rest-status").get_attribute("data-status")),
        "body": page.locator("#rest-response .json-view").evaluate("tree => tree.jsonValue"),  # the JSON tree's value
        "head": response.split("\n\n", 1)[0],
        "curl": page.locator("#rest-curl").text_content(),
    }


def run_curl(command: str) -> tuple[int, str]:
    output = subprocess.run(["bash", "-c", command], capture_output=True, text=True, timeout=30, check=True).stdout
    head, _, body = output.replace("\r\n", "\n").partition("\n\n")
    return int(head.split()[1]), body


def test_every_operation_of_the_schema_from_the_page_and_as_curl(make_stack, kafka_broker, browser):
    stack = make_stack(kafka_broker.bootstrap_servers)
    with urllib.request.urlopen(f"{stack.base_url}/api/schema/?format=json") as response:
        paths = json.load(response)["paths"]
    expected = sorted(f"{method.upper()} {path}" for path, methods in paths.items() for method in methods)
    with open_dashboard(browser, stack.base_url, "/rest") as page:
        expect(page.locator("#rest-operation option")).to_have_count(len(expected), timeout=10_000)
        assert sorted(page.locator("#rest-operation option").all_text_contents()) == expected

        created = call(
            page, "POST /api/orders/computers", body='{"created_by": "workbench", "equipment": ["WEBCAM", "MOUSE"]}'
        )
        assert created["status"] == 201 and created["body"]["equipment"] == ["WEBCAM", "MOUSE"]
        assert "content-type: application/json" in created["head"].lower()
        order_id = created["body"]["order_id"]
        status, body = run_curl(created["curl"])
        assert status == 201 and json.loads(body)["created_by"] == "workbench"

        listed = call(page, "GET /api/orders/computers", {"status": "QUEUED", "page_size": "1"})
        assert listed["status"] == 200 and len(listed["body"]["computer_orders"]) == 1
        assert listed["body"]["count"] == 2
        status, body = run_curl(listed["curl"])
        assert status == 200 and json.loads(body)["count"] == 2

        detail = call(page, "GET /api/orders/computers/{order_id}", {"order_id": order_id})
        assert detail["status"] == 200 and detail["body"]["order_id"] == order_id

        cancelled = call(page, "POST /api/orders/computers/{order_id}/cancel", {"order_id": order_id})
        page.locator("#workbench-card").screenshot(path=str(ARTIFACTS / "workbench-rest.png"))
        assert cancelled["status"] == 200 and cancelled["body"]["status"] == "CANCELLED"
        status, body = run_curl(cancelled["curl"])
        assert status == 409, "cancelling twice is a conflict, from the page or from curl"

        bad = call(page, "GET /api/orders/computers", {"status": "", "page_size": "501"})
        page.locator("#workbench-card").screenshot(path=str(ARTIFACTS / "workbench-rest-400.png"))
        assert bad["status"] == 400 and "page_size" in bad["body"]
