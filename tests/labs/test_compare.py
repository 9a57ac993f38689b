"""The internal-against-external lab: its comparison run for real against a stack's web and rungrpc processes with the
command the page shows (bytes counted on the wire, reads timed), its Check failing before and passing after in
Chromium, and Reset deleting the run; the command's bad input."""

import subprocess

import pytest
from django.core.management import CommandError, call_command
from playwright.sync_api import expect

from labs import compare
from labs.models import TransportRun
from tests.conftest import ARTIFACTS
from tests.labs.conftest import ROOT, check, lab_of, post_json
from tests.labs.test_labs_page import SIZES, open_labs
from tests.support.page_checks import assert_accessible, assert_no_sideways_scroll

SHOTS = ARTIFACTS / "labs"


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("arguments", "message"),
    [
        (["--learner", "NOT-AN-ID"], "--learner: Give the learner id"),
        (["--learner", "abcdef12", "--calls", "0"], "--calls: use 1 to 1000."),
        (["--learner", "abcdef12", "--calls", "1001"], "--calls: use 1 to 1000."),
    ],
)
def test_the_command_refuses_bad_input_and_records_nothing(arguments, message):
    with pytest.raises(CommandError, match=message):
        call_command("lab_compare", *arguments)
    assert not TransportRun.objects.exists()


def side(p50: float, server_cpu: float | None) -> dict:
    return {
        "create_body": [94, 199],
        "create_wire": [313, 683],
        "read_body": [0, 199],
        "read_wire": [203, 580],
        "p50_ms": p50,
        "p99_ms": p50 * 4,
        "calls_per_second": 1000 / p50,
        "client_cpu_ms": 0.5,
        "server_cpu_ms": server_cpu,
        "server_pid": 1 if server_cpu else None,
    }


@pytest.mark.django_db
def test_the_check_reads_the_learners_newest_run_and_reset_deletes_the_runs():
    assert compare.check("abcdef12")["seen"] == "no comparison run of yours yet: run the first step's command."
    older = {"order_id": "0" * 36, "calls": 10, "rest": side(9, 1), "grpc": side(9, 1)}
    compare.record("abcdef12", older)
    compare.record(
        "abcdef12", {"order_id": "12345678" + "0" * 28, "calls": 200, "rest": side(2.5, 3), "grpc": side(1, None)}
    )
    seen = compare.check("abcdef12")
    assert seen["passed"]
    assert seen["seen"].startswith(
        "your run of 200 reads each (order `12345678`): p50 2.5 ms over REST against 1 ms over gRPC, p99 10 against 4"
    )
    table = {row[0]: row[1:] for row in seen["details"]["table"]}
    assert table["200 reads: p50, ms"] == ["2.5", "1"]
    assert table["CPU per read, server, ms"] == ["3", "–"], "a server that is not a process here shows no figure"
    assert not compare.check("other123")["passed"]
    assert compare.reset("abcdef12")["undone"] == ["2 comparison run(s)"]
    assert not compare.check("abcdef12")["passed"]


def test_the_comparison_run_for_real_fills_the_table_and_passes_the_check_in_the_page(browser, lab_stack):
    context, page = open_labs(browser, lab_stack)
    card = page.locator("#lab-compare")
    learner = page.evaluate("() => JSON.parse(localStorage.getItem('labs:learner'))")
    card.get_by_role("button", name="Check").click()
    expect(card.locator(".lab-seen")).to_contain_text("Not yet: no comparison run of yours yet")

    run = next(step["command"] for step in lab_of(lab_stack, "compare", learner)["steps"] if step["command"])
    assert f"--calls {compare.DEFAULT_CALLS}" in run and lab_stack.grpc_target in run
    printed = subprocess.run(
        run, shell=True, cwd=ROOT, env=lab_stack.env(), check=True, capture_output=True, text=True, timeout=120
    ).stdout
    assert "200 reads: p50, ms" in printed and "Recorded for the Check" in printed

    figures = check(lab_stack, "compare", learner)["details"]["figures"]
    rest, grpc = figures["rest"], figures["grpc"]
    assert rest["create_body"][0] > grpc["create_body"][0], "the same order is larger as JSON than as protobuf"
    for side in (rest, grpc):
        assert side["create_wire"][0] > side["create_body"][0], "headers and framing travel besides the body"
        assert side["read_wire"][1] > side["read_body"][1]
        assert 0 < side["p50_ms"] <= side["p99_ms"] and side["calls_per_second"] > 0
        assert side["server_pid"] and side["server_cpu_ms"] > 0 and side["client_cpu_ms"] > 0
    assert rest["server_pid"] != grpc["server_pid"], "REST is timed on the web process, gRPC on rungrpc"
    statuses, listed = post_json(lab_stack.base_url, "/labs/compare/check", {"learner": learner})
    assert statuses == 200 and listed["passed"]

    card.get_by_role("button", name="Check").click()
    expect(card.locator(".lab-state")).to_have_text("passed")
    expect(card.locator(".lab-seen")).to_contain_text(
        f"Passed: your run of 200 reads each (order {figures['order_id'][:8]})"
    )
    storage = context.storage_state()
    context.close()

    SHOTS.mkdir(parents=True, exist_ok=True)
    for width, theme in SIZES:
        context, page = open_labs(browser, lab_stack, width, theme, storage)
        expect(page.locator("#lab-compare .lab-state")).to_have_text("passed")
        expect(page.locator("#lab-compare table.lab-compare tbody tr")).to_have_count(13)
        expect(page.locator("#lab-compare table.lab-compare")).to_contain_text(f"{rest['p50_ms']:g}")
        assert_no_sideways_scroll(page, f"the Labs view with lab 8's table at {width} px, {theme}")
        assert_accessible(page)
        page.screenshot(path=str(SHOTS / f"labs-compare-passed-{width}-{theme}.png"), full_page=True)
        context.close()

    status, reset = post_json(lab_stack.base_url, "/labs/compare/reset", {"learner": learner})
    assert status == 200 and reset["undone"] == ["1 comparison run(s)"], reset
    assert not check(lab_stack, "compare", learner)["passed"]
