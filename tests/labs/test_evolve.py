"""Lab 7, evolving an API, in Chromium against real processes (web, rungrpc, the publisher, the broker): its Check
fails on the page before the steps; the steps run as the page shows them — v2 orders over REST and gRPC, the v1
gRPC clients, the v1 REST client and the v1 event consumer against the v2 servers, buf refusing the two breaking
edits and passing the real v2 — and the Check passes (screenshot in test-artifacts/labs/); Reset deletes the v1
consumer's group and the scratch copy."""

from pathlib import Path

from playwright.sync_api import expect

from tests.conftest import ARTIFACTS
from tests.labs.conftest import check, lab_of, run_step
from tests.support.page_checks import assert_accessible, assert_no_sideways_scroll
from tests.support.waiting import poll_until

SHOTS = ARTIFACTS / "labs"


def click_check(page, card) -> str:
    card.get_by_role("button", name="Check").click()
    expect(card.locator(".lab-seen")).not_to_have_text("Checking…")
    return card.locator(".lab-seen").text_content()


def v2_events_published(stack, learner) -> bool:
    found = check(stack, "evolve", learner)["details"]["orders"]
    v2 = [order for order in found if order["schema_version"] == "2"]
    return len(v2) == 2 and all(order["position"] for order in v2)


def test_the_evolve_lab_fails_then_passes_on_the_page_and_reset_cleans_up(browser, lab_stack):
    context = browser.new_context(viewport={"width": 1440, "height": 900}, color_scheme="light")
    page = context.new_page()
    page.goto(lab_stack.base_url + "/labs")
    card = page.locator("#lab-evolve")
    expect(card.locator("h2")).to_have_text("7. Evolving an API without breaking users")
    learner = page.evaluate("() => JSON.parse(localStorage.getItem('labs:learner'))")
    name, group = f"lab-evolve-{learner}", f"lab-evolve-v1-{learner}"
    assert click_check(page, card).startswith(f"Not yet: {name}: 0 v2 order(s)")
    expect(card.locator(".lab-state")).to_have_text("not yet")

    steps = [step["command"] for step in lab_of(lab_stack, "evolve", learner)["steps"] if step["command"]]
    rest_v2, grpc_v2, writer, getter, rest_v1, consumer, renumbered, retyped, real = steps
    assert '"delivery_note":"Leave it at reception, desk 4."' in run_step(rest_v2).stdout.replace(": ", ":")
    noted = run_step(grpc_v2).stdout
    assert '"delivery_note": "Ring twice."' in noted
    written = run_step(writer).stdout
    assert f'"createdBy": "{name}"' in written and "delivery" not in written.lower()
    assert run_step(rest_v1).stdout.startswith("201 ")
    listed = run_step(getter).stdout
    assert listed.count(name) == 4 and "delivery" not in listed.lower(), "the v1 getter lists v2 orders, no note"
    assert poll_until(lambda: v2_events_published(lab_stack, learner), timeout=20)
    read = run_step(consumer)
    assert read.stdout.count("schema-version 2: order.created") == 2
    assert read.stdout.count("(skipped what v1 does not know: delivery_note)") == 2
    assert read.stdout.count("schema-version 1: order.created") == 2
    for step, message in (
        (renumbered, 'Previously present field "5" with name "equipment" on message "OrderMessage" was deleted.'),
        (retyped, 'Field "4" with name "created_at" on message "OrderMessage" changed type from "string" to "int64".'),
    ):
        refused = run_step(step, ok=False)
        assert refused.returncode != 0 and message in refused.stdout, refused.stdout + refused.stderr
    run_step(real)

    seen = click_check(page, card)
    assert seen.startswith(
        f"Passed: {name}: 2 v2 order(s) with a delivery note and schema-version 2 (REST 1, gRPC 1), 2 v1 order(s) "
        f"(REST 1, gRPC 1); the v1 consumer group {group} read past all 2 of your v2 event(s)."
    )
    expect(card.locator(".lab-state")).to_have_text("passed")
    SHOTS.mkdir(parents=True, exist_ok=True)
    page.evaluate("() => window.scrollTo(0, 0)")
    page.screenshot(path=str(SHOTS / "lab-evolve-passed.png"), full_page=True, clip=card.bounding_box())
    storage = context.storage_state()
    context.close()

    narrow = browser.new_context(
        viewport={"width": 390, "height": 900}, color_scheme="dark", storage_state=storage
    ).new_page()
    narrow.goto(lab_stack.base_url + "/labs")
    expect(narrow.locator("#lab-evolve .lab-state")).to_have_text("passed")
    assert_no_sideways_scroll(narrow, "the Labs view at 390 px, dark")
    assert_accessible(narrow)
    narrow.evaluate("() => window.scrollTo(0, 0)")
    box = narrow.locator("#lab-evolve").bounding_box()
    narrow.screenshot(path=str(SHOTS / "lab-evolve-passed-390-dark.png"), full_page=True, clip=box)

    narrow.locator("#lab-evolve").get_by_role("button", name="Reset").click()
    expect(narrow.locator("#lab-evolve .lab-seen")).to_contain_text(f"deleted group {group} and /tmp/lab-evolve-")
    assert not Path(f"/tmp/lab-evolve-{learner}").exists()
    expect(narrow.locator("#lab-evolve")).to_contain_text(f"lab-evolve-{learner}-2")
    narrow.context.close()
