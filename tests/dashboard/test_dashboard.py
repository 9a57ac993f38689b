"""The dashboard in Chromium: place orders over REST and gRPC and watch their Kafka records arrive."""

import re

from playwright.sync_api import expect

from tests.conftest import ARTIFACTS

XSS = "<img src=x onerror=alert(1)>"


def place_order(page, created_by, equipment, transport="rest"):
    page.fill("#created-by", created_by)
    page.evaluate("() => document.querySelectorAll('#equipment-chips .chip').forEach((chip) => chip.click())")
    for item in equipment:
        page.click(f".add-equipment [data-item={item}]")
    page.check(f"input[name=transport][value={transport}]")
    page.click("#place-order")


def order_id_of_last_trip(page):
    """The id the timeline is following, read from the orders table's newest row."""
    return page.locator("#orders tr").first.get_attribute("data-order-id")


def wait_live(page):
    expect(page.locator("#ws-state")).to_have_attribute("data-state", "ok", timeout=15_000)
    expect(page.locator("#kafka-state")).to_have_attribute("data-state", "ok", timeout=15_000)


def test_rest_and_grpc_orders_arrive_in_the_feed_and_the_table(page):
    wait_live(page)
    place_order(page, "rest-user", ["KEYBOARD", "MOUSE", "MOUSE"], "rest")
    expect(page.locator("#timeline")).to_contain_text("HTTP 201")
    expect(page.locator("#timeline")).to_contain_text(re.compile(r"partition \d+, offset \d+"), timeout=15_000)
    rest_id = order_id_of_last_trip(page)
    expect(page.locator(f"#feed tr.record[data-key='{rest_id}']")).to_have_count(1)
    expect(page.locator(f"#orders tr[data-order-id='{rest_id}']")).to_contain_text("KEYBOARD, MOUSE, MOUSE")

    place_order(page, "grpc-user", ["WEBCAM"], "grpc")
    expect(page.locator("#timeline")).to_contain_text("gRPC OK")
    expect(page.locator("#timeline")).to_contain_text("shown here", timeout=15_000)
    grpc_id = order_id_of_last_trip(page)
    assert grpc_id != rest_id
    grpc_row = page.locator(f"#feed tr.record[data-key='{grpc_id}']")
    expect(grpc_row).to_contain_text("order.created")
    expect(grpc_row).to_contain_text("grpc")
    expect(page.locator(f"#orders tr[data-order-id='{grpc_id}']")).to_contain_text("grpc-user")

    page.locator(f"#feed tr.record[data-key='{grpc_id}'] button.link").click()
    expect(page.locator("#feed tr.detail:not([hidden])")).to_contain_text('"event-type": "order.created"')
    page.screenshot(path=str(ARTIFACTS / "dashboard.png"), full_page=True)


def test_a_reloaded_page_shows_the_newest_records_and_a_replay_shows_each_once(page, stack):
    wait_live(page)
    place_order(page, "before-reload", ["MONITOR"], "rest")
    expect(page.locator("#timeline")).to_contain_text("shown here", timeout=15_000)
    order_id = order_id_of_last_trip(page)

    page.goto(f"{stack.base_url}/topic")
    wait_live(page)
    expect(page.locator(f"#feed tr.record[data-key='{order_id}']")).to_have_count(1, timeout=15_000)
    page.select_option("#start-from", "beginning")
    page.click("#start")
    expect(page.locator("#kafka-state")).to_have_text("Kafka: live", timeout=15_000)
    expect(page.locator(f"#feed tr.record[data-key='{order_id}']")).to_have_count(1)


def test_invalid_input_shows_field_errors_for_both_transports(page):
    wait_live(page)
    for transport in ("rest", "grpc"):
        place_order(page, "", [], transport)
        expect(page.locator(".field-error[data-field=created_by]")).not_to_be_empty()
        expect(page.locator(".field-error[data-field=equipment]")).not_to_be_empty()
    expect(page.locator("#timeline")).to_contain_text("INVALID_ARGUMENT")


def test_order_text_is_shown_as_text_never_run(page):
    wait_live(page)
    place_order(page, XSS, ["MOUSE"], "rest")
    expect(page.locator("#timeline")).to_contain_text("shown here", timeout=15_000)
    order_id = order_id_of_last_trip(page)
    expect(page.locator(f"#orders tr[data-order-id='{order_id}']")).to_contain_text(XSS)
    page.locator(f"#feed tr.record[data-key='{order_id}'] button.link").click()
    expect(page.locator("#feed tr.detail:not([hidden])")).to_contain_text("onerror=alert(1)")
    assert page.locator("main img").count() == 0
    assert page.dialogs == []


def test_the_page_runs_under_its_content_security_policy_with_no_violation(page):
    """The policy is enforced (default-src 'self', no inline script) and the page needs nothing it forbids."""
    console = []
    page.on("console", lambda message: console.append(f"{message.type}: {message.text}"))
    page.context.add_init_script(
        "document.addEventListener('securitypolicyviolation', (e) =>"
        " console.error(`Content Security Policy violation: ${e.violatedDirective} ${e.blockedURI}`));"
    )
    response = page.reload()
    assert "default-src 'self'" in response.headers["content-security-policy"]
    wait_live(page)
    for transport in ("rest", "grpc"):
        place_order(page, f"csp-{transport}", ["MOUSE"], transport)
        expect(page.locator("#timeline")).to_contain_text("shown here", timeout=15_000)
    page.locator("#feed tr.record button.link").first.click()
    assert [line for line in console if "Content Security Policy" in line] == []

    # And the policy bites: an injected inline script does not run, and the listener above hears of it.
    page.evaluate(
        "() => { const s = document.createElement('script'); s.textContent = 'window.inlineRan = 1';"
        " document.body.append(s); }"
    )
    assert page.evaluate("() => window.inlineRan") is None
    for _ in range(50):
        if any("Content Security Policy" in line for line in console):
            break
        page.wait_for_timeout(100)
    assert any("Content Security Policy" in line for line in console), console


def test_the_header_shows_the_outbox_backlog(page):
    wait_live(page)
    expect(page.locator("#outbox-state")).to_contain_text(
        re.compile(r"Outbox: \d+ waiting.*\d+ parked"), timeout=15_000
    )
