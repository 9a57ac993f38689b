"""A real browser (Debian's Chromium via Playwright) against the real processes and the real broker."""

import uuid

import pytest

from harness.processes import Stack
from harness.topics import create_topic
from tests.conftest import ARTIFACTS, open_dashboard


@pytest.fixture(scope="module")
def stack(kafka_broker):
    topic = f"orders-browser-{uuid.uuid4().hex[:8]}"
    create_topic(kafka_broker.bootstrap_servers, topic)
    running = Stack(bootstrap_servers=kafka_broker.bootstrap_servers, topic=topic, log_dir=ARTIFACTS).start()
    yield running
    running.stop()


@pytest.fixture
def page(browser, stack):
    with open_dashboard(browser, stack.base_url) as page:
        yield page
