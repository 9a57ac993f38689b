"""The Labs view in Chromium against real processes: it lists the labs; a Check shows its failing sentence, then,
after the lab's steps were run for real, its passed state; progress survives a reload; at 390 and 1440 px, light
and dark, it fits the width and axe finds nothing serious (screenshots of a passed Check in test-artifacts/labs/)."""

import pytest
from playwright.sync_api import expect

from tests.conftest import ARTIFACTS
from tests.labs.conftest import lab_of, run_step
from tests.support.page_checks import assert_accessible, assert_no_sideways_scroll

SHOTS = ARTIFACTS / "labs"
SIZES = [(390, "light"), (390, "dark"), (1440, "light"), (1440, "dark")]


def open_labs(browser, stack, width=1440, theme="light", storage=None):
    context = browser.new_context(viewport={"width": width, "height": 900}, color_scheme=theme, storage_state=storage)
    page = context.new_page()
    page.goto(stack.base_url + "/labs")
    expect(page.locator("html")).to_have_attribute("data-theme", theme)
    expect(page.locator("#labs-list article.lab")).to_have_count(8)
    return context, page


def do_the_rest_lab(stack, learner: str) -> None:
    steps = [step["command"] for step in lab_of(stack, "rest", learner)["steps"] if step["command"]]
    run_step(steps[0])
    run_step(steps[2])


def test_a_check_fails_then_passes_and_progress_survives_a_reload(browser, lab_stack):
    context, page = open_labs(browser, lab_stack)
    expect(page.locator("#view-title")).to_have_text("Labs")
    expect(page.locator("#labs-list h2")).to_have_text(
        [
            "1. REST: call the API and read a 400",
            "2. gRPC: generated code, clients, types and defaults",
            "3. Kafka basics: a topic, producers, consumers, keys",
            "4. Consumer groups: commits, lag, members, reset",
            "5. Delivery semantics: at most once, at least once, effectively once",
            "6. Durability: replication on three brokers",
            "7. Evolving an API without breaking users",
            "8. Internal against external: REST and gRPC side by side",
        ]
    )
    rest = page.locator("#lab-rest")
    learner = page.evaluate("() => JSON.parse(localStorage.getItem('labs:learner'))")
    expect(rest.locator("code.cmd").first).to_contain_text(f"lab-rest-{learner}")
    expect(page.locator("#labs-progress")).to_have_text("0 of 8 labs done in this browser.")
    rest.get_by_role("button", name="Check").click()
    expect(rest.locator(".lab-seen")).to_contain_text(f"Not yet: no order by lab-rest-{learner} has come over REST yet")
    expect(rest.locator(".lab-state")).to_have_text("not yet")

    do_the_rest_lab(lab_stack, learner)

    def passed():
        rest.get_by_role("button", name="Check").click()
        expect(rest.locator(".lab-seen")).not_to_have_text("Checking…")
        return "Passed" in rest.locator(".lab-seen").text_content()

    for _ in range(20):
        if passed():
            break
        page.wait_for_timeout(500)
    expect(rest.locator(".lab-seen")).to_contain_text(f"Passed: 1 order(s) by lab-rest-{learner} came over REST")
    expect(rest.locator(".lab-state")).to_have_text("passed")
    expect(page.locator("#labs-progress")).to_have_text("1 of 8 labs done in this browser: REST.")
    storage = context.storage_state()

    page.reload()
    expect(page.locator("#lab-rest .lab-state")).to_have_text("passed")
    expect(page.locator("#lab-rest .lab-seen")).to_contain_text("Passed: 1 order(s)")
    expect(page.locator("#labs-progress")).to_have_text("1 of 8 labs done in this browser: REST.")
    context.close()

    SHOTS.mkdir(parents=True, exist_ok=True)
    for width, theme in SIZES:
        context, page = open_labs(browser, lab_stack, width, theme, storage)
        expect(page.locator("#lab-rest .lab-state")).to_have_text("passed")
        assert_no_sideways_scroll(page, f"the Labs view at {width} px, {theme}")
        assert_accessible(page)
        page.screenshot(path=str(SHOTS / f"labs-rest-passed-{width}-{theme}.png"), full_page=True)
        context.close()


@pytest.mark.parametrize("lab", ["grpc", "kafka", "groups"])
def test_reset_starts_a_new_round_with_new_names(browser, lab_stack, lab):
    context, page = open_labs(browser, lab_stack)
    learner = page.evaluate("() => JSON.parse(localStorage.getItem('labs:learner'))")
    card = page.locator(f"#lab-{lab}")
    card.get_by_role("button", name="Reset").click()
    expect(card.locator(".lab-seen")).to_contain_text("Reset: ")
    name = {"grpc": "lab-grpc", "kafka": "lab-kafka", "groups": "lab-learners"}[lab]
    expect(page.locator(f"#lab-{lab}")).to_contain_text(f"{name}-{learner}-2")
    context.close()


def click_check_until_passed(page, lab: str) -> None:
    card = page.locator(f"#lab-{lab}")
    for _ in range(20):
        card.get_by_role("button", name="Check").click()
        expect(card.locator(".lab-seen")).not_to_have_text("Checking…")
        if card.locator(".lab-seen").text_content().startswith("Passed"):
            return
        page.wait_for_timeout(500)
    raise AssertionError(card.locator(".lab-seen").text_content())


def test_every_lab_passes_on_the_page_after_its_steps(browser, lab_stack):
    context, page = open_labs(browser, lab_stack)
    learner = page.evaluate("() => JSON.parse(localStorage.getItem('labs:learner'))")
    do_the_rest_lab(lab_stack, learner)
    grpc_steps = [step["command"] for step in lab_of(lab_stack, "grpc", learner)["steps"] if step["command"]]
    run_step(grpc_steps[1])
    for step in lab_of(lab_stack, "kafka", learner)["steps"]:
        run_step(step["command"])
    run_step(next(step["command"] for step in lab_of(lab_stack, "groups", learner)["steps"] if step["command"]))
    SHOTS.mkdir(parents=True, exist_ok=True)
    for lab in ("rest", "grpc", "kafka", "groups"):
        click_check_until_passed(page, lab)
        expect(page.locator(f"#lab-{lab} .lab-state")).to_have_text("passed")
        # The card clipped out of a full-page shot taken from the top, where the sticky header stays (an element
        # shot scrolls to the card and draws the header over it).
        page.evaluate("() => window.scrollTo(0, 0)")
        box = page.locator(f"#lab-{lab}").bounding_box()
        page.screenshot(path=str(SHOTS / f"lab-{lab}-passed.png"), full_page=True, clip=box)
    expect(page.locator("#labs-progress")).to_have_text(
        "4 of 8 labs done in this browser: REST, gRPC, Kafka basics, Consumer groups."
    )
    context.close()
