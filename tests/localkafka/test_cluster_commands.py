"""`kill-broker` and `restart-brokers` act only on what `python -m localkafka cluster` runs: a control file whose
runner was killed before it could remove it names pids that may since belong to any other process.

The commands themselves, on a real cluster under `make cluster`, are exercised by tests/stack/test_make_cluster.py.
"""

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture
def bystander():
    process = subprocess.Popen(["sleep", "60"])
    yield process
    process.kill()
    process.wait()


def localkafka(control: Path, *args: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "localkafka", *args],
        cwd=ROOT,
        capture_output=True,
        text=True,
        env={**os.environ, "LOCAL_KAFKA_CLUSTER_FILE": str(control)},
        timeout=30,
        check=False,
    )


def stale_control_file(tmp_path: Path, pid: int) -> Path:
    control = tmp_path / "cluster.json"
    control.write_text(
        json.dumps(
            {
                "pid": pid,
                "bootstrap_servers": "127.0.0.1:1",
                "state": "running",
                "nodes": [{"node": 1, "pid": pid, "bootstrap_server": "127.0.0.1:1", "state": "running"}],
            }
        )
    )
    return control


def test_kill_broker_leaves_a_process_that_is_no_kafka_node_alone(tmp_path, bystander):
    result = localkafka(stale_control_file(tmp_path, bystander.pid), "kill-broker", "1")
    assert result.returncode == 1 and "stale" in result.stderr
    assert bystander.poll() is None


def test_restart_brokers_signals_no_process_but_the_cluster_runner(tmp_path, bystander):
    result = localkafka(stale_control_file(tmp_path, bystander.pid), "restart-brokers")
    assert result.returncode == 1 and "stale" in result.stderr
    assert bystander.poll() is None


def test_kill_broker_names_the_nodes_there_are(tmp_path, bystander):
    result = localkafka(stale_control_file(tmp_path, bystander.pid), "kill-broker", "4")
    assert result.returncode == 2 and "nodes 1" in result.stderr


def test_no_running_cluster_is_said_plainly(tmp_path):
    result = localkafka(tmp_path / "missing.json", "kill-broker", "1")
    assert result.returncode == 1 and "no running `python -m localkafka cluster`" in result.stderr
