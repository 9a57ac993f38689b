"""A real browser (Debian's Chromium via Playwright) against the real processes and the real broker."""

import shutil
import uuid

import pytest
from playwright.sync_api import sync_playwright

from tests.conftest import ARTIFACTS
from tests.kafka_helpers import create_topic
from playground.processes import Stack

CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
# Without the background-networking flags Chromium keeps dialling Google's hosts, which this machine refuses.
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync", "--disable-quic", "--no-first-run"]


@pytest.fixture(scope="module")
def stack(kafka_broker):
    topic = f"orders-browser-{uuid.uuid4().hex[:8]}"
    create_topic(kafka_broker.bootstrap_servers, topic)
    running = Stack(bootstrap_servers=kafka_broker.bootstrap_servers, topic=topic, log_dir=ARTIFACTS).start()
    yield running
    running.stop()


@pytest.fixture(scope="session")
def browser():
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS)
        yield browser
        browser.close()


@pytest.fixture
def page(browser, stack):
    context = browser.new_context(viewport={"width": 1400, "height": 900})
    page = context.new_page()
    page.dialogs = []
    page.on("dialog", lambda dialog: (page.dialogs.append(dialog.message), dialog.dismiss()))
    page.goto(stack.base_url + "/")
    yield page
    context.close()
