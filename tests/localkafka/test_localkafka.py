"""`python -m localkafka run` (what `make run` and `make kafka` start): it stops promptly and cleanly on SIGTERM,
and `stop-broker` / `start-broker` stop and start its broker while it keeps running."""

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

from localkafka import LocalBroker, broker_answers, fetch_jars, free_port
from tests.support.broker_runner import runner_command
from tests.support.waiting import poll_until, wait_until

ROOT = Path(__file__).resolve().parents[2]


def run_wrapper(tmp_path: Path) -> tuple[subprocess.Popen, int, Path]:
    """Start `python -m localkafka run` with its data and control file in tmp_path; wait until it answers."""
    port, control = free_port(), tmp_path / "run.json"
    process = subprocess.Popen(
        runner_command(tmp_path / "data", port, control),
        cwd=ROOT,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    # Stop waiting as soon as the wrapper exits: its output then says why.
    up = poll_until(lambda: process.poll() is not None or broker_answers(f"127.0.0.1:{port}"), timeout=90, interval=0.5)
    if not up or process.poll() is not None:
        process.kill()
        raise AssertionError(f"the broker did not come up:\n{process.communicate()[0][-3000:]}")
    # The runner writes "running" once its own readiness probe has answered, a moment after ours may have.
    wait_until(lambda: state_of(control) == "running", timeout=30, message="the control file never said running")
    return process, port, control


def test_sigterm_stops_the_broker_and_the_wrapper(tmp_path):
    process, port, control = run_wrapper(tmp_path)
    started = time.monotonic()
    process.send_signal(signal.SIGTERM)
    assert process.wait(20) == 0
    assert time.monotonic() - started < 10, "honcho kills what is still running 5 s after Ctrl-C"
    assert not broker_answers(f"127.0.0.1:{port}"), "the JVM must be gone with the wrapper"
    assert any(tmp_path.rglob("meta.properties")), "storage was formatted in the data dir"
    assert not control.exists(), "the control file goes with the wrapper"


def state_of(control: Path) -> str:
    return json.loads(control.read_text())["state"]


def test_stop_broker_and_start_broker_keep_the_wrapper_running(tmp_path):
    process, port, control = run_wrapper(tmp_path)
    env = {**os.environ, "LOCAL_KAFKA_PIDFILE": str(control)}
    try:
        assert json.loads(control.read_text()) == {
            "pid": process.pid,
            "bootstrap_servers": f"127.0.0.1:{port}",
            "state": "running",
        }
        subprocess.run([sys.executable, "-m", "localkafka", "stop-broker"], cwd=ROOT, env=env, check=True)
        wait_until(lambda: state_of(control) == "stopped", timeout=30, message="the broker was not stopped")
        assert not broker_answers(f"127.0.0.1:{port}")
        assert process.poll() is None, "the wrapper keeps running while its broker is stopped"
        subprocess.run([sys.executable, "-m", "localkafka", "start-broker"], cwd=ROOT, env=env, check=True)
        wait_until(lambda: state_of(control) == "running", timeout=90, message="the broker did not start again")
        assert broker_answers(f"127.0.0.1:{port}")
    finally:
        process.send_signal(signal.SIGTERM)
        assert process.wait(20) == 0


def test_a_cluster_id_that_looks_like_an_option_still_formats(tmp_path):
    broker = LocalBroker(data_dir=tmp_path, port=free_port(), controller_port=free_port(), cluster_id="-" + "A" * 21)
    broker.write_properties()
    broker.format_storage()
    assert "cluster.id=-AAAAAAAAAAAAAAAAAAAAA" in (tmp_path / "logs" / "meta.properties").read_text()


def test_jars_are_fetched_once():
    fetch_jars()
    started = time.monotonic()
    fetch_jars()
    assert time.monotonic() - started < 1, "a second fetch should find the cached jars and run no Maven"
