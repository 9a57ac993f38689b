"""The course-style writer and getter, run as the commands a user types."""

import json
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def run(module, *args):
    return subprocess.run(
        [sys.executable, "-m", f"grpc_bridge.clients.{module}", *args],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


def test_writer_creates_with_chosen_equipment_and_getter_lists_it(grpc_target):
    written = run("writer", "--target", grpc_target, "--created-by", "cli", "MONITOR", "MONITOR", "MOUSE")
    assert written.returncode == 0, written.stderr
    order = json.loads(written.stdout)
    assert order["equipment"] == ["MONITOR", "MONITOR", "MOUSE"] and order["status"] == "QUEUED"
    listed = run("getter", "--target", grpc_target)
    assert listed.returncode == 0, listed.stderr
    assert listed.stdout.split() == [order["id"], "QUEUED", order["createdAt"], "cli", "MONITOR,MONITOR,MOUSE"]


def test_writer_reports_the_servers_refusal(grpc_target):
    written = run("writer", "--target", grpc_target, "--created-by", "", "MOUSE")
    assert written.returncode == 1
    assert written.stderr.startswith("INVALID_ARGUMENT: created_by")
