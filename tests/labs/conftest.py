"""A stack of real processes for the labs (web with tracing, rungrpc, the publisher) and helpers that run a lab's
steps exactly as the page shows them."""

import json
import secrets
import subprocess
import urllib.error
import urllib.request
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent.parent


@pytest.fixture(scope="module")
def lab_stack(make_module_stack, kafka_broker):
    """One stack per module: each test is a learner of its own, and a lab's names (orders, topics, groups, runs)
    carry the learner's id."""
    return make_module_stack(kafka_broker.bootstrap_servers, services=("web", "grpc", "publisher"))


@pytest.fixture
def learner() -> str:
    return secrets.token_hex(4)


def post_json(base_url: str, path: str, body) -> tuple[int, dict]:
    request = urllib.request.Request(
        base_url + path, method="POST", data=json.dumps(body).encode(), headers={"Content-Type": "application/json"}
    )
    try:
        with urllib.request.urlopen(request, timeout=30) as response:
            return response.status, json.load(response)
    except urllib.error.HTTPError as error:
        return error.code, json.load(error)


def check(stack, lab: str, learner: str) -> dict:
    status, answer = post_json(stack.base_url, f"/labs/{lab}/check", {"learner": learner})
    assert status == 200, answer
    return answer


def lab_of(stack, lab: str, learner: str) -> dict:
    return next(item for item in stack.get_json(f"/labs/?learner={learner}")["labs"] if item["id"] == lab)


def run_step(command: str, *, ok: bool = True) -> subprocess.CompletedProcess:
    """Run a step's command as a learner pastes it into a shell at the project's root."""
    done = subprocess.run(command, check=False, shell=True, cwd=ROOT, capture_output=True, text=True, timeout=60)
    if ok:
        assert done.returncode == 0, f"{command}\n{done.stdout}\n{done.stderr}"
    return done
