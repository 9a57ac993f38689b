"""`python -m localkafka run` (what `make run` and `make kafka` start) stops promptly and cleanly on SIGTERM."""

import signal
import subprocess
import sys
import time
from pathlib import Path

from localkafka import broker_answers, fetch_jars, free_port

ROOT = Path(__file__).resolve().parents[2]


def test_sigterm_stops_the_broker_and_the_wrapper(tmp_path):
    port = free_port()
    process = subprocess.Popen(
        [sys.executable, "-m", "localkafka", "run", "--data-dir", str(tmp_path), "--port", str(port),
         "--controller-port", str(free_port())],
        cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
    )
    deadline = time.monotonic() + 90
    while not broker_answers(f"127.0.0.1:{port}"):
        if process.poll() is not None or time.monotonic() >= deadline:
            process.kill()
            raise AssertionError(f"the broker did not come up:\n{process.communicate()[0][-3000:]}")
        time.sleep(0.5)
    started = time.monotonic()
    process.send_signal(signal.SIGTERM)
    assert process.wait(20) == 0
    assert time.monotonic() - started < 10, "honcho kills what is still running 5 s after Ctrl-C"
    assert not broker_answers(f"127.0.0.1:{port}"), "the JVM must be gone with the wrapper"
    assert any(tmp_path.rglob("meta.properties")), "storage was formatted in the data dir"


def test_jars_are_fetched_once():
    fetch_jars()
    started = time.monotonic()
    fetch_jars()
    assert time.monotonic() - started < 1, "a second fetch should find the cached jars and run no Maven"
