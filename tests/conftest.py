"""Session fixtures that start real parts once: a throwaway Kafka broker on free ports."""

import contextlib
import os
import uuid
from pathlib import Path

import pytest
from django.conf import settings
from playwright.sync_api import sync_playwright

from localkafka import BrokerError, LocalBroker
from playground.processes import CHROMIUM, CHROMIUM_ARGS
from tests.kafka_helpers import create_topic

ARTIFACTS = Path(__file__).resolve().parent.parent / "test-artifacts"


@pytest.fixture(scope="session")
def django_db_modify_db_settings(django_db_modify_db_settings_parallel_suffix):
    """One test database file per pytest process, so two runs at once never share (and break) one."""
    test_settings = settings.DATABASES["default"].setdefault("TEST", {})
    if settings.DATABASES["default"]["ENGINE"].endswith("sqlite3") and test_settings.get("NAME"):
        test_settings["NAME"] = f"{test_settings['NAME']}.{os.getpid()}"
        yield
        for leftover in Path(test_settings["NAME"]).parent.glob(Path(test_settings["NAME"]).name + "*"):
            leftover.unlink()
    else:
        yield


@pytest.fixture(scope="session")
def kafka_broker():
    """A real single-node Kafka broker for the whole run. No broker is a failure, never a skip."""
    broker = LocalBroker.throwaway(prefix="playground-kafka-", log_path=ARTIFACTS / "kafka-broker.log")
    try:
        broker.start()
    except BrokerError as exc:
        pytest.fail(f"the tests need a real Kafka broker and none could be started: {exc}", pytrace=False)
    previous = settings.KAFKA_BOOTSTRAP_SERVERS
    settings.KAFKA_BOOTSTRAP_SERVERS = os.environ["KAFKA_BOOTSTRAP_SERVERS"] = broker.bootstrap_servers
    yield broker
    settings.KAFKA_BOOTSTRAP_SERVERS = previous
    broker.stop()


@pytest.fixture
def own_broker(kafka_broker, settings, request):
    """A broker of this test's own, with an `orders` topic and settings pointing at it: the test may kill it."""
    broker = LocalBroker.throwaway(prefix="playground-own-", log_path=ARTIFACTS / f"kafka-{request.node.name}.log")
    broker.start()
    settings.KAFKA_BOOTSTRAP_SERVERS = broker.bootstrap_servers
    settings.KAFKA_ORDERS_TOPIC = "orders"
    create_topic(broker.bootstrap_servers, "orders")
    yield broker
    broker.stop()


@pytest.fixture
def orders_topic(kafka_broker, settings):
    """A fresh 3-partition topic per test, so tests never read each other's records."""
    name = f"orders-test-{uuid.uuid4().hex[:12]}"
    create_topic(kafka_broker.bootstrap_servers, name)
    settings.KAFKA_ORDERS_TOPIC = name
    settings.KAFKA_BOOTSTRAP_SERVERS = kafka_broker.bootstrap_servers
    return name


@pytest.fixture(scope="session")
def browser():
    """Debian's Chromium driven by Playwright (`playwright install` cannot download browsers here)."""
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS)
        yield browser
        browser.close()


@contextlib.contextmanager
def open_dashboard(browser, base_url: str):
    """A fresh page on the dashboard that records any JavaScript dialog (an XSS would open one)."""
    context = browser.new_context(viewport={"width": 1400, "height": 900})
    page = context.new_page()
    page.dialogs = []
    page.on("dialog", lambda dialog: (page.dialogs.append(dialog.message), dialog.dismiss()))
    page.goto(base_url + "/")
    try:
        yield page
    finally:
        context.close()
