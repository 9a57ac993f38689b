"""Fault tests run the real processes (playground.processes.Stack) and kill parts of them on purpose."""

import uuid

import pytest

from playground.processes import Stack
from tests.conftest import ARTIFACTS
from tests.kafka_helpers import create_topic


@pytest.fixture
def make_stack():
    """Start a Stack on a broker of the test's choosing; stop it (and whatever is left) afterwards."""
    started = []

    def make(bootstrap_servers: str, services=("web", "publisher"), create=True, **extra_env) -> Stack:
        topic = f"orders-fault-{uuid.uuid4().hex[:8]}"
        if create:
            create_topic(bootstrap_servers, topic)
        stack = Stack(bootstrap_servers=bootstrap_servers, topic=topic, log_dir=ARTIFACTS / "faults",
                      services=services, extra_env=extra_env)
        started.append(stack)
        return stack.start()

    yield make
    for stack in started:
        stack.stop()
