"""The benchmark scripts load as a user runs them: no Django settings in the environment until they set them."""

import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
SCRIPTS = [
    "rest_create",
    "grpc_create",
    "grpc_streams_held",
    "outbox_publish",
    "relay_latency",
    "fanout",
    "order_to_screen",
    "click_to_record",
    "worker_throughput",
    "feed_main_thread",
    "wakeup_flood",
    "oversized_upload",
    "judging",
    "tracing_cost",
    "topics_browse",
    "topic_search",
    "map_fps",
    "classroom_soak",
]


@pytest.mark.parametrize("script", SCRIPTS)
def test_script_starts_and_explains_itself(script):
    env = {name: value for name, value in os.environ.items() if name != "DJANGO_SETTINGS_MODULE"}
    result = subprocess.run(
        [sys.executable, "-m", f"bench.{script}", "--help"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.startswith("usage:")
