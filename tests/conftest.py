"""Fixtures shared by every test folder, and the level markers.

Where a new test goes: in the folder of the component it tests (tests/orders for the domain, tests/rest_api,
tests/grpc_bridge, tests/live, tests/topic_search, tests/outbox, tests/fulfilment for the worker, tests/messaging,
tests/dashboard for the page and its endpoints (gateway, workbench, fulfilment panel), tests/metrics for the charts'
sampler and series, tests/playground, tests/localkafka, tests/localpg, tests/bench); tests/contract for what must
hold across transports, tests/stack for the whole set of processes. Helpers shared by several folders go in
tests/support (the process runner used by benchmarks too is harness/).

Levels are markers, so `pytest -m "not kafka"` runs the fast part without a broker:
- kafka: needs the real broker (set here on every test that uses `kafka_broker`, directly or through a fixture);
- browser: drives Debian's Chromium (set on every test that uses `browser`);
- slow: starts the playground's real processes (set on every test that uses `stack`, `make_stack` or
  `make_module_stack`);
- faults: kills or cuts parts on purpose (set by the test module);
- database: touches the database, in this process (the django_db marker or a db fixture) or through real processes
  started by `make_stack` (which then get a fresh database of their own on the same server);
- database_incidental: a database test whose subject is Kafka, a socket or a stream (set by the test module).

`make test` runs the suite on SQLite, then the `database` tests that drive no browser and are not
`database_incidental` again on a throwaway PostgreSQL (`python -m localpg exec pytest --database-tests-on=postgresql`,
which is `make test-postgres`).
"""

import contextlib
import functools
import os
import uuid
from pathlib import Path

import grpc
import pytest
from django.conf import settings
from django.db import connection
from playwright.sync_api import sync_playwright

from grpc_bridge.generated import orders_pb2_grpc
from grpc_bridge.server import build_server
from harness.chromium import CHROMIUM, CHROMIUM_ARGS
from harness.processes import Stack, migrate
from harness.topics import create_topic
from localkafka import BrokerError, LocalBroker
from localpg import create_database

ARTIFACTS = Path(__file__).resolve().parent.parent / "test-artifacts"
LEVEL_OF_FIXTURE = {
    "kafka_broker": "kafka",
    "browser": "browser",
    "stack": "slow",
    "make_stack": "slow",
    "make_module_stack": "slow",
}
# pytest-django's database fixtures (a test may ask for one without the django_db marker), and the stacks that follow
# the test database's server. Stacks built by hand keep their own SQLite file, so they are not database tests.
DATABASE_FIXTURES = {
    "db",
    "transactional_db",
    "django_db_reset_sequences",
    "django_db_serialized_rollback",
    "live_server",
    "make_stack",
    "make_module_stack",
    "stack_database_url",
}


def pytest_addoption(parser):
    parser.addoption(
        "--database-tests-on",
        metavar="VENDOR",
        choices=["sqlite", "postgresql"],
        help="run only the tests marked `database` and not `browser`, and fail unless the database is VENDOR's",
    )


def pytest_configure(config):
    vendor = config.getoption("database_tests_on")
    if vendor and connection.vendor != vendor:
        raise pytest.UsageError(
            f"--database-tests-on={vendor}, but DATABASE_URL names a {connection.vendor} "
            "database: run `make test-postgres` (python -m localpg exec pytest ...)"
        )


def pytest_collection_modifyitems(config, items):
    for item in items:
        for fixture, level in LEVEL_OF_FIXTURE.items():
            if fixture in item.fixturenames:
                item.add_marker(level)
        if item.get_closest_marker("django_db") or DATABASE_FIXTURES.intersection(item.fixturenames):
            item.add_marker("database")
    if config.getoption("database_tests_on"):
        kept = [item for item in items if again_on_another_database(item)]
        config.hook.pytest_deselected(items=[item for item in items if item not in kept])
        items[:] = kept


def again_on_another_database(item) -> bool:
    """A test the database pass runs again: one that touches the database, unless it drives the browser or is marked
    `database_incidental`. The page reads the same endpoints and sockets whatever the database, and those are checked
    on it by the other tests; so are the orders a relay or a Watch test writes only to have records to read. Both
    ran on the first pass."""
    return (
        bool(item.get_closest_marker("database"))
        and not item.get_closest_marker("browser")
        and not item.get_closest_marker("database_incidental")
    )


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
def open_dashboard(browser, base_url: str, view: str = "/"):
    """A fresh page on one of the dashboard's views (its URL path) that records any JavaScript dialog (an XSS would
    open one)."""
    context = browser.new_context(viewport={"width": 1400, "height": 900})
    page = context.new_page()
    page.dialogs = []
    page.on("dialog", lambda dialog: (page.dialogs.append(dialog.message), dialog.dismiss()))
    page.goto(base_url + view)
    try:
        yield page
    finally:
        context.close()


@pytest.fixture(scope="session")
def stack_database_url():
    """A new database for one Stack on the test database's server when that is PostgreSQL, already migrated (a copy
    of a template migrated once per run); None (the Stack's own SQLite file) otherwise. A URL names the server, so
    each call creates another database."""

    def new_database() -> str | None:
        if connection.vendor != "postgresql":
            return None
        server = os.environ["DATABASE_URL"]
        return create_database(server, f"stack_{uuid.uuid4().hex[:12]}", template=migrated_template(server))

    return new_database


@functools.cache
def migrated_template(server_url: str) -> str:
    """The name of a database on the server with every migration applied: what each stack's database copies."""
    name = f"stack_template_{uuid.uuid4().hex[:12]}"
    migrate({**os.environ, "DATABASE_URL": create_database(server_url, name)})
    return name


@contextlib.contextmanager
def stack_factory(new_database):
    """Start Stacks on a broker of the caller's choosing, each with a database of its own on the test database's
    kind (SQLite or PostgreSQL); stop them (and whatever is left) on leaving."""
    started = []

    def make(bootstrap_servers: str, services=("web", "publisher"), create=True, **extra_env) -> Stack:
        topic = f"orders-stack-{uuid.uuid4().hex[:8]}"
        if create:
            create_topic(bootstrap_servers, topic)
        stack = Stack(
            bootstrap_servers=bootstrap_servers,
            topic=topic,
            log_dir=ARTIFACTS / "stacks",
            services=services,
            extra_env=extra_env,
            database_url=(database_url := new_database()),
            migrated=database_url is not None,
        )
        started.append(stack)
        return stack.start()

    try:
        yield make
    finally:
        for stack in started:
            stack.stop()


@pytest.fixture
def make_stack(stack_database_url):
    """A Stack of the test's own (stack_factory), stopped after it."""
    with stack_factory(stack_database_url) as make:
        yield make


@pytest.fixture(scope="module")
def make_module_stack(stack_database_url):
    """A Stack the tests of one module share, stopped after the last: for tests that cannot disturb each other
    (each its own learner, topic or group). Starting one costs ~5 s."""
    with stack_factory(stack_database_url) as make:
        yield make


@pytest.fixture
def grpc_target(transactional_db):
    """A real gRPC server on a free port in this process; its pool threads use their own DB connections, so the
    test data must be committed."""
    running = build_server("127.0.0.1:0", max_workers=4, max_message_bytes=64 * 1024)
    yield f"127.0.0.1:{running.port}"
    running.stop(grace=1).wait(5)


@pytest.fixture
def channel(grpc_target):
    with grpc.insecure_channel(grpc_target) as channel:
        grpc.channel_ready_future(channel).result(timeout=5)
        yield channel


@pytest.fixture
def stub(channel):
    return orders_pb2_grpc.OrderServiceStub(channel)
