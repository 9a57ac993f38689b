"""The course's REST client in examples/ works against the running web process."""

import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def test_course_client_places_and_lists_an_order(stack):
    result = subprocess.run(
        [sys.executable, "examples/client.py", "--created-by", "course-client", "--equipment", "WEBCAM", "WEBCAM"],
        cwd=ROOT,
        env={**os.environ, "BASE_URL": stack.base_url},
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.startswith("201 ")
    assert any(line.endswith("QUEUED course-client WEBCAM,WEBCAM") for line in result.stdout.splitlines())
