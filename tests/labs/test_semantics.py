"""The delivery semantics lab: its Check's reading of orders' fulfilment steps (on database rows, every case), and
the lab done for real in Chromium against a real worker: one real kill per mode, run with the commands the page
shows, the Check failing before and passing after, then Reset putting the worker's controls back."""

import subprocess

import pytest
from django.conf import settings
from playwright.sync_api import expect

from fulfilment import controls
from fulfilment.models import DeliveryMode, ProcessedEvent
from fulfilment.processing import FINISH, START
from labs import semantics
from orders import services
from tests.conftest import ARTIFACTS
from tests.labs.conftest import ROOT, check, lab_of
from tests.labs.test_labs_page import SIZES, open_labs
from tests.support.page_checks import assert_accessible, assert_no_sideways_scroll
from tests.support.waiting import wait_until

AMO, ALO, EO = DeliveryMode.values
SHOTS = ARTIFACTS / "labs"


def order_with_steps(name: str, *steps: tuple[str, str, str, bool]) -> str:
    """An order of `name` and its processed-events rows: (step, mode, member, skipped) each."""
    order = services.create_order(created_by=name, equipment=["MONITOR"], source="rest")
    for offset, (step, mode, member, skipped) in enumerate(steps):
        ProcessedEvent.objects.create(
            event_id=order.order_id,
            step=step,
            order_id=order.order_id,
            member=member,
            delivery_mode=mode,
            partition=0,
            offset=offset,
            skipped=skipped,
        )
    return str(order.order_id)


def verdicts(name: str, lost=()) -> dict[str, tuple[bool, str]]:
    found = semantics.runs(name, set(lost))
    return {mode: semantics.verdict(mode, found) for mode in DeliveryMode.values}


@pytest.mark.django_db
def test_each_mode_passes_on_the_cost_it_promises():
    name = "lab-semantics-rows"
    lost = order_with_steps(name, (START, AMO, "m1", False))
    twice = order_with_steps(name, (START, ALO, "m1", False), (START, ALO, "m2", False), (FINISH, ALO, "m2", False))
    again = order_with_steps(name, (START, EO, "m2", False), (START, EO, "m3", True), (FINISH, EO, "m3", False))
    order_with_steps(name, (START, EO, "m3", False), (FINISH, EO, "m3", False))
    seen = verdicts(name, lost=[lost])
    assert seen[AMO] == (
        True,
        f"under at-most-once order `{lost[:8]}` was lost: committed, never finished (still QUEUED)",
    )
    assert seen[ALO] == (True, f"under at-least-once order `{twice[:8]}` ran twice (its work started 2 times)")
    assert seen[EO] == (
        True,
        f"under effectively-once none of your 2 order(s) ran twice; `{again[:8]}` was delivered again and the step "
        "already done was skipped",
    )


@pytest.mark.django_db
def test_a_mode_without_a_kill_or_with_the_wrong_cost_does_not_pass():
    name = "lab-semantics-nokill"
    assert {mode: passed for mode, (passed, _) in verdicts(name).items()} == {AMO: False, ALO: False, EO: False}
    order_with_steps(name, (START, AMO, "m1", False), (FINISH, AMO, "m1", False))
    order_with_steps(name, (START, ALO, "m1", False), (FINISH, ALO, "m1", False))
    twice = order_with_steps(name, (START, EO, "m1", False), (START, EO, "m2", False), (FINISH, EO, "m2", False))
    seen = verdicts(name)
    assert seen[AMO] == (False, "under at-most-once none of your 1 order(s) was lost yet: kill a member mid-order")
    assert seen[ALO] == (False, "under at-least-once none of your 1 order(s) ran twice yet: kill a member mid-order")
    assert seen[EO] == (
        False,
        f"under effectively-once order {twice[:8]} ran twice: that is what this mode promises not to do",
    )


@pytest.mark.django_db
def test_a_redelivery_under_the_next_mode_asks_for_the_round_again_but_a_recovered_lost_order_counts():
    name = "lab-semantics-mixed"
    mixed = order_with_steps(name, (START, ALO, "m1", False), (START, EO, "m2", False), (FINISH, EO, "m2", False))
    recovered = order_with_steps(
        name, (START, AMO, "m1", False), (START, ALO, "recovery-host-1", False), (FINISH, ALO, "recovery-host-1", False)
    )
    seen = verdicts(name)
    assert seen[ALO][0] is False and f"order {mixed[:8]} was delivered again after the mode changed" in seen[ALO][1]
    assert seen[AMO] == (
        True,
        f"under at-most-once order `{recovered[:8]}` was lost: committed, never finished (driven on later by "
        "stuck-order recovery)",
    )


@pytest.mark.django_db
def test_reset_puts_the_controls_back_to_what_make_run_starts_with_and_keeps_the_orders():
    order_with_steps("lab-semantics-reset1", (START, AMO, "m1", False))
    controls.update(delivery_mode=AMO, members=2, step_delay_ms=3000, paused=True)
    controls.request_kill()
    done = semantics.reset("reset1")
    control = controls.current()
    assert (control.delivery_mode, control.members, control.step_delay_ms, control.paused) == (
        EO,
        1,
        settings.FULFILMENT_STEP_DELAY_MS,
        False,
    )
    assert control.kill_requested_at is None
    assert done["undone"] == [
        "delivery_mode at-most-once",
        "members 2",
        "step_delay_ms 3000",
        "paused True",
        "the kill still waiting for a member",
    ]
    assert "1 order(s) by `lab-semantics-reset1` stay as history" in done["seen"]


@pytest.fixture
def worker_stack(make_stack, kafka_broker):
    return make_stack(
        kafka_broker.bootstrap_servers, services=("web", "publisher", "worker"), FULFILMENT_FAILURE_RATE="0"
    )


def run_round(stack, command: str, mode: str) -> str:
    """Run one mode's command as a learner pastes it; wait until the kill landed on its order and the group is
    whole again, with nothing left to read; return the order id."""
    subprocess.run(command, shell=True, cwd=ROOT, env=stack.env(), check=True, capture_output=True, timeout=60)
    killed = wait_until(
        lambda: (kill := stack.fulfilment()["control"]["last_kill"]).get("delivery_mode") == mode and kill,
        timeout=60,
        message=lambda: f"{mode}: no kill landed: {stack.fulfilment()['control']}",
    )

    def settled():
        state = stack.fulfilment()
        group = next((g for g in state["topic"]["groups"] if g["group_id"] == state["group_id"]), {})
        done = stack.statuses().get(killed["order_id"]) == ("PROCESSING" if mode == AMO else "COMPLETED")
        return done and len(state["members"]) == 1 and group.get("lag") == 0

    wait_until(settled, timeout=60, message=lambda: f"{mode}: the group did not settle: {stack.fulfilment()}")
    return killed["order_id"]


def test_the_lab_done_for_real_passes_in_the_page_and_reset_restores_the_worker(browser, worker_stack):
    context, page = open_labs(browser, worker_stack)
    card = page.locator("#lab-semantics")
    learner = page.evaluate("() => JSON.parse(localStorage.getItem('labs:learner'))")
    name = f"lab-semantics-{learner}"
    card.get_by_role("button", name="Check").click()
    expect(card.locator(".lab-seen")).to_contain_text(f"Not yet: no order by {name} yet: place one as the steps say.")

    setup, *rounds = [
        step["command"] for step in lab_of(worker_stack, "semantics", learner)["steps"] if step["command"]
    ]
    subprocess.run(setup, shell=True, cwd=ROOT, env=worker_stack.env(), check=True, capture_output=True, timeout=60)
    killed = {
        mode: run_round(worker_stack, command, mode) for mode, command in zip(DeliveryMode.values, rounds, strict=True)
    }

    seen = check(worker_stack, "semantics", learner)
    assert seen["passed"], seen
    assert f"under at-most-once order `{killed[AMO][:8]}` was lost" in seen["seen"]
    assert f"under at-least-once order `{killed[ALO][:8]}` ran twice" in seen["seen"]
    assert f"under effectively-once none of your 1 order(s) ran twice; `{killed[EO][:8]}` was delivered" in seen["seen"]
    card.get_by_role("button", name="Check").click()
    expect(card.locator(".lab-state")).to_have_text("passed", timeout=15_000)
    expect(card.locator(".lab-seen")).to_contain_text(f"Passed: under at-most-once order {killed[AMO][:8]} was lost")
    storage = context.storage_state()
    context.close()

    SHOTS.mkdir(parents=True, exist_ok=True)
    for width, theme in SIZES:
        context, page = open_labs(browser, worker_stack, width, theme, storage)
        card = page.locator("#lab-semantics")
        expect(card.locator(".lab-state")).to_have_text("passed")
        assert_no_sideways_scroll(page, f"the Labs view at {width} px, {theme}")
        assert_accessible(page)
        page.screenshot(path=str(SHOTS / f"labs-semantics-passed-{width}-{theme}.png"), full_page=True)
        context.close()

    context, page = open_labs(browser, worker_stack)
    page.locator("#lab-semantics").get_by_role("button", name="Reset").click()
    expect(page.locator("#lab-semantics .lab-seen")).to_contain_text("Reset: the worker is back to effectively-once")
    control = worker_stack.fulfilment()["control"]
    assert (control["delivery_mode"], control["members"], control["step_delay_ms"]) == (EO, 1, 1000)
    context.close()
