"""The workbenches' history and saved requests in Chromium against the real processes: calls kept across a reload,
filled in and sent again, saved requests named, renamed and deleted, an export imported back whole, a bad file
refused with nothing changed, the store's bounds, and the REST side's Postman collection checked against the
Postman v2.1.0 JSON schema (vendored: docs/dependencies.md)."""

import json
from pathlib import Path

import jsonschema
from playwright.sync_api import expect

from tests.conftest import ARTIFACTS, open_dashboard

SCHEMA = Path(__file__).resolve().parent.parent / "support" / "schemas" / "postman-collection-v2.1.0.json"
CREATE = "POST /api/orders/computers"
LIST = "GET /api/orders/computers"


def send_rest(page, operation: str, body: str | None = None) -> None:
    page.select_option("#rest-operation", label=operation)
    if body is not None:
        page.fill("#rest-body", body)
    count = page.locator("#rest-history-calls li").count()
    page.click("#rest-send")
    expect(page.locator("#rest-history-calls > li")).to_have_count(count + 1, timeout=10_000)


def orders_by(stack, created_by: str) -> int:
    return sum(
        order["created_by"] == created_by for order in stack.get_json("/api/orders/computers")["computer_orders"]
    )


def download(page, button: str, into: Path) -> dict:
    with page.expect_download() as info:
        page.click(button)
    info.value.save_as(into)
    return json.loads(into.read_text())


def test_rest_history_survives_a_reload_replays_saves_and_round_trips(make_stack, kafka_broker, browser, tmp_path):
    stack = make_stack(kafka_broker.bootstrap_servers)
    with open_dashboard(browser, stack.base_url, "/rest") as page:
        expect(page.locator("#rest-operation option").first).to_be_attached(timeout=10_000)
        expect(page.locator("#rest-history-calls > li")).to_have_count(0)
        send_rest(page, LIST)
        send_rest(page, CREATE, '{"created_by": "history-1", "equipment": ["MOUSE"]}')
        calls = page.locator("#rest-history-calls > li")
        expect(calls.first).to_contain_text(CREATE)
        expect(calls.first.locator(".answer-summary")).to_contain_text("HTTP 201")

        page.reload()
        expect(calls).to_have_count(2)
        expect(calls.nth(1)).to_contain_text(LIST)

        # Fill: the operation and body come back; send again: the same call once more, a second order.
        page.select_option("#rest-operation", label=LIST)
        calls.first.get_by_role("button", name="fill the form").click()
        expect(page.locator("#rest-operation option:checked")).to_have_text(CREATE)
        assert json.loads(page.locator("#rest-body").input_value())["created_by"] == "history-1"
        calls.first.get_by_role("button", name="send").click()
        expect(calls).to_have_count(3, timeout=10_000)
        assert orders_by(stack, "history-1") == 2

        # Saved requests: save, rename, delete, all kept across a reload.
        page.fill("#rest-history-name", "make an order")
        page.click("#rest-history-save")
        saved = page.locator("#rest-history-saved > li")
        expect(saved).to_have_count(1)
        saved.first.get_by_role("button", name="rename make an order").click()
        page.get_by_role("textbox", name="new name for make an order").fill("place one")
        page.get_by_role("button", name="OK").click()
        expect(saved.first.locator(".saved-name")).to_have_text("place one")
        page.fill("#rest-history-name", "list them")
        page.select_option("#rest-operation", label=LIST)
        page.click("#rest-history-save")
        page.reload()
        expect(saved).to_have_count(2)
        saved.nth(1).get_by_role("button", name="delete list them").click()
        expect(saved).to_have_count(1)
        saved.first.get_by_role("button", name="send place one").click()
        expect(calls).to_have_count(4, timeout=10_000)
        assert orders_by(stack, "history-1") == 3

        # Export, forget everything, import: the same lists.
        exported = download(page, "#rest-history-export", tmp_path / "rest.json")
        assert (len(exported["calls"]), [s["name"] for s in exported["saved"]]) == (4, ["place one"])
        page.evaluate("() => localStorage.clear()")
        page.reload()
        expect(calls).to_have_count(0)
        page.set_input_files("#rest-history-file", str(tmp_path / "rest.json"))
        expect(page.locator("#rest-history-note")).to_contain_text("Imported 4 calls and 1 saved requests")
        expect(calls).to_have_count(4)
        again = download(page, "#rest-history-export", tmp_path / "again.json")
        assert (again["calls"], again["saved"]) == (exported["calls"], exported["saved"])

        # A bad file: an error, and nothing changes.
        bad = json.loads(json.dumps(exported))
        bad["calls"][2]["request"]["method"] = "TEAPOT"
        bad["saved"].append({"id": "new", "name": "would be added", "request": exported["saved"][0]["request"]})
        (tmp_path / "bad.json").write_text(json.dumps(bad))
        page.set_input_files("#rest-history-file", str(tmp_path / "bad.json"))
        expect(page.locator("#rest-history-error")).to_have_text("The file's call 3 has an unknown HTTP method.")
        (tmp_path / "text.json").write_text("not json")
        page.set_input_files("#rest-history-file", str(tmp_path / "text.json"))
        expect(page.locator("#rest-history-error")).to_have_text("The file is not JSON.")
        expect(calls).to_have_count(4)
        expect(saved).to_have_count(1)
        page.reload()
        expect(calls).to_have_count(4)
        expect(saved).to_have_count(1)

        # The Postman collection: valid against the v2.1.0 schema, the saved request first, then the calls.
        collection = download(page, "#rest-history-postman", tmp_path / "rest.postman_collection.json")
        schema = json.loads(SCHEMA.read_text())
        errors = [error.message for error in jsonschema.Draft7Validator(schema).iter_errors(collection)]
        assert errors == []
        [place, history] = collection["item"]
        assert place["name"] == "place one" and place["request"]["method"] == "POST"
        assert json.loads(place["request"]["body"]["raw"])["created_by"] == "history-1"
        assert place["request"]["url"]["raw"] == "{{baseUrl}}/api/orders/computers"
        assert [item["name"] for item in history["item"]][-1] == LIST
        assert collection["variable"] == [{"key": "baseUrl", "value": stack.base_url}]
        page.screenshot(path=str(ARTIFACTS / "workbench-rest-history.png"), full_page=True)
        assert page.dialogs == []


def test_the_store_keeps_50_calls_within_its_bytes_and_cuts_a_huge_answer_with_a_mark(
    make_stack, kafka_broker, browser
):
    stack = make_stack(kafka_broker.bootstrap_servers, services=("web",))
    with open_dashboard(browser, stack.base_url, "/rest") as page:
        found = page.evaluate(
            """async () => {
              const store_module = "/static/dashboard/widgets/request_store.js";
              const { createRequestStore, MAX_STORE_BYTES } = await import(store_module);
              const kept = new Map();
              const storage = { getItem: (k) => kept.get(k) ?? null, setItem: (k, v) => kept.set(k, v) };
              const store = createRequestStore("rest", storage);
              const request = { method: "GET", path: "/api/orders/computers", url: "/api/orders/computers",
                params: {}, headers: "", body: null };
              for (let n = 0; n < 60; n += 1) store.record(request, { summary: `call ${n}`, body: "small" });
              const sixty = [store.calls.length, store.calls[0].response.summary];
              const huge = store.record(request, { summary: "huge", body: "é".repeat(100000) });
              for (let n = 0; n < 60; n += 1) store.record(request, { summary: "big", body: "x".repeat(15000) });
              const bytes = new TextEncoder().encode(kept.get("workbench-requests:rest")).length;
              return { sixty, huge: [huge.response.truncated, new TextEncoder().encode(huge.response.body).length],
                       bigCalls: store.calls.length, bytes, bound: MAX_STORE_BYTES,
                       reread: createRequestStore("rest", storage).calls.length };
            }"""
        )
    assert found["sixty"] == [50, "call 59"]
    assert found["huge"][0] == {"bytes": 200_000} and 16 * 1024 - 2 <= found["huge"][1] <= 16 * 1024
    assert found["bytes"] <= found["bound"] and 20 <= found["bigCalls"] < 50
    assert found["reread"] == found["bigCalls"]


def test_a_huge_answer_is_shown_cut_in_the_panel(make_stack, kafka_broker, browser):
    stack = make_stack(kafka_broker.bootstrap_servers, services=("web",))
    with open_dashboard(browser, stack.base_url, "/rest") as page:
        page.evaluate(
            """async () => {
              const { createRequestStore } = await import("/static/dashboard/widgets/request_store.js");
              const request = { method: "GET", path: "/api/orders/computers", params: {},
                url: "/api/orders/computers", headers: "", body: null };
              createRequestStore("rest").record(request, { summary: "HTTP 200 OK", body: "y".repeat(40000) });
            }"""
        )
        page.reload()
        call = page.locator("#rest-history-calls > li")
        expect(call).to_have_count(1)
        call.locator(".answer summary").click()
        expect(call.locator(".cut")).to_have_text("cut: the first 16 KiB of 39 KiB kept")


def test_grpc_history_survives_a_reload_and_replays(make_stack, kafka_broker, browser):
    stack = make_stack(kafka_broker.bootstrap_servers, services=("web", "grpc", "publisher"))
    with open_dashboard(browser, stack.base_url, "/grpc") as page:
        page.select_option("#grpc-method", label="OrderService/Create")
        page.fill("#grpc-field-created_by", "grpc-history")
        page.fill("#grpc-field-equipment", "MOUSE, WEBCAM")
        page.click("#grpc-send")
        calls = page.locator("#grpc-history-calls > li")
        expect(calls).to_have_count(1, timeout=10_000)
        expect(calls.first).to_contain_text("OrderService/Create")
        expect(calls.first.locator(".answer-summary")).to_contain_text("OK")
        page.fill("#grpc-history-name", "two things")
        page.click("#grpc-history-save")
        page.reload()
        expect(calls).to_have_count(1)
        page.select_option("#grpc-method", label="OrderService/Get")
        page.locator("#grpc-history-saved > li").first.get_by_role(
            "button", name="fill the form with two things"
        ).click()
        expect(page.locator("#grpc-method option:checked")).to_have_text("OrderService/Create")
        expect(page.locator("#grpc-field-equipment")).to_have_value("MOUSE, WEBCAM")
        calls.first.get_by_role("button", name="send OrderService/Create again").click()
        expect(calls).to_have_count(2, timeout=10_000)
        assert (
            sum(o["created_by"] == "grpc-history" for o in stack.get_json("/api/orders/computers")["computer_orders"])
            == 2
        )
        page.screenshot(path=str(ARTIFACTS / "workbench-grpc-history.png"), full_page=True)
        assert page.dialogs == []
