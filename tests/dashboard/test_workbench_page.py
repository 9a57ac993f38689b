"""The workbench on the dashboard, in Chromium: produce a record, produce it again, and run the commands the page
offers for a record exactly as copied."""

import json
import os
import subprocess

from playwright.sync_api import expect

from harness.processes import ROOT
from tests.conftest import ARTIFACTS, open_dashboard
from tests.support.http_orders import post_order


def produce_on_page(page, key: str, headers: str, value: str) -> tuple[str, str]:
    """Fill the produce form and send it; return (partition, offset) the page reports."""
    page.locator("#produce-box summary").click()
    page.fill("#produce-key", key)
    page.fill("#produce-headers", headers)
    page.fill("#produce-value", value)
    page.click("#produce")
    result = page.locator("#produce-result")
    expect(result).to_contain_text("sent to partition", timeout=10_000)
    words = result.text_content().replace(",", "").split()
    return words[3], words[5]


def test_a_record_produced_from_the_page_appears_and_can_be_produced_again(make_stack, kafka_broker, browser):
    stack = make_stack(kafka_broker.bootstrap_servers)
    with open_dashboard(browser, stack.base_url, "/topic") as page:
        expect(page.locator("#kafka-state")).to_have_attribute("data-state", "ok", timeout=15_000)
        partition, offset = produce_on_page(page, "learner-1", "team: blue\ntrace: 42", '{"hello": "kafka"}')
        row = page.locator(f'#feed tr.record[data-partition="{partition}"][data-offset="{offset}"]')
        expect(row).to_have_attribute("data-key", "learner-1", timeout=15_000)
        expect(row).to_contain_text("(text)")

        row.locator("button.link").click()
        page.locator("#feed tr.detail:not([hidden]) button.reproduce").click()
        expect(page.locator("#produce-headers")).to_have_value("team: blue\ntrace: 42")
        page.click("#produce")
        expect(page.locator("#produce-result")).to_contain_text(f"partition {partition}, offset {int(offset) + 1}")
        again = page.locator(f'#feed tr.record[data-partition="{partition}"][data-offset="{int(offset) + 1}"]')
        expect(again).to_have_attribute("data-key", "learner-1", timeout=15_000)

        page.fill("#produce-key", "")
        page.check("#produce-tombstone")
        page.click("#produce")
        expect(page.locator("#produce-error")).to_contain_text("A tombstone deletes a key")
        page.screenshot(path=str(ARTIFACTS / "workbench-produce.png"), full_page=True)


def test_the_copy_as_commands_print_exactly_that_record(make_stack, kafka_broker, browser):
    stack = make_stack(kafka_broker.bootstrap_servers)
    order_ids = [post_order(stack.base_url, f"copy-{n}")[1] for n in range(4)]
    with open_dashboard(browser, stack.base_url, "/topic") as page:
        row = page.locator(f'#feed tr.record[data-key="{order_ids[2]}"]')
        expect(row).to_have_count(1, timeout=15_000)
        row.locator("button.link").click()
        # The view's partitions refresh every two seconds; the commands must still be there after they did.
        page.wait_for_function("() => document.querySelectorAll('#topic-partitions tr').length > 0")
        page.wait_for_timeout(2500)
        detail = page.locator("#feed tr.detail:not([hidden])")
        commands = {
            name: detail.locator(f'code[data-copy="{name}"]').text_content()
            for name in ("Kafka's console consumer", "manage.py kafka_consume")
        }
        for name, command in commands.items():
            result = subprocess.run(
                ["bash", "-c", command], cwd=ROOT, capture_output=True, text=True, timeout=90, check=False
            )
            assert result.returncode == 0, (name, result.stderr[-2000:])
            lines = [line for line in result.stdout.splitlines() if line.strip()]
            assert len(lines) == 1, (name, lines)
            assert order_ids[2] in lines[0] and "event-type" in lines[0] and '"created_by":"copy-2"' in lines[0], (
                name,
                lines[0],
            )


def test_the_order_forms_call_runs_as_the_command_it_shows(make_stack, kafka_broker, browser):
    stack = make_stack(kafka_broker.bootstrap_servers, services=("web", "grpc", "publisher"))
    env = {**os.environ, "PATH": f"{ROOT / '.tools'}{os.pathsep}{os.environ['PATH']}"}  # grpcurl: `make tools`
    with open_dashboard(browser, stack.base_url) as page:
        page.click("button.add[data-item=WEBCAM]")
        for transport, answer in (("rest", "HTTP 201"), ("grpc", "gRPC OK")):
            page.fill("#created-by", f"copied-{transport}")
            page.check(f"input[name=transport][value={transport}]")
            page.click("#place-order")
            expect(page.locator('#timeline li[data-hop="response"]')).to_contain_text(answer, timeout=10_000)
            command = page.locator("#order-command").text_content()
            result = subprocess.run(
                ["bash", "-c", command], cwd=ROOT, env=env, capture_output=True, text=True, timeout=30, check=False
            )
            assert result.returncode == 0, result.stderr
            if transport == "rest":
                assert result.stdout.startswith("HTTP/1.1 201")
                created = json.loads(result.stdout.replace("\r\n", "\n").split("\n\n", 1)[1])
            else:
                created = json.loads(result.stdout)
            assert created["created_by"] == f"copied-{transport}" and created["equipment"] == ["WEBCAM"]
