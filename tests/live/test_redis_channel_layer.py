"""With REDIS_URL, two web processes share Redis as the channel layer and each serves its own browsers once."""

import shutil
import subprocess
import threading
import uuid

import pytest

from localkafka import free_port
from harness.processes import Stack
from tests.conftest import ARTIFACTS
from tests.support.http_orders import burst
from harness.topics import create_topic
from tests.support.live_socket import ResumingReader, run_in_own_loop

ORDERS = 40


@pytest.fixture
def redis_url():
    server = shutil.which("redis-server")
    assert server, "redis-server is needed (apt-get install redis-server; .ci/run installs it)"
    port = free_port()
    process = subprocess.Popen([server, "--port", str(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no"],
                               stdout=subprocess.DEVNULL)
    yield f"redis://127.0.0.1:{port}/0"
    stats = subprocess.run(["redis-cli", "-p", str(port), "INFO", "stats"], capture_output=True, text=True).stdout
    process.terminate()
    process.wait(10)
    served = int(next(line for line in stats.splitlines() if line.startswith("total_commands_processed:")).split(":")[1])
    assert served > ORDERS, "the web processes should have used Redis as their channel layer"


def test_two_web_processes_each_deliver_every_record_once(kafka_broker, redis_url):
    topic = f"orders-redis-{uuid.uuid4().hex[:8]}"
    create_topic(kafka_broker.bootstrap_servers, topic)
    first = Stack(bootstrap_servers=kafka_broker.bootstrap_servers, topic=topic, log_dir=ARTIFACTS / "redis",
                  services=("web", "publisher"), extra_env={"REDIS_URL": redis_url}).start()
    second = Stack(bootstrap_servers=kafka_broker.bootstrap_servers, topic=topic, log_dir=ARTIFACTS / "redis",
                   services=("web",), extra_env={"REDIS_URL": redis_url}, database=first.database)
    try:
        second.start()
        readers = [ResumingReader(first.base_url), ResumingReader(second.base_url)]
        live = threading.Barrier(3)
        ordered: set[str] = set()

        def watch(reader):
            async def scenario():
                await reader.connect("latest")
                live.wait(30)
                await reader.read_until(lambda: ordered and ordered <= {f["key"] for f in reader.records}, 60)
                await reader.read_for(1.0)
            run_in_own_loop(scenario)

        watchers = [threading.Thread(target=watch, args=(reader,)) for reader in readers]
        for watcher in watchers:
            watcher.start()
        live.wait(60)
        ordered.update(order_id for _, order_id, _ in burst(first.base_url, ORDERS, prefix="redis"))
        for watcher in watchers:
            watcher.join(90)
    finally:
        second.stop()
        first.stop()
    for reader in readers:
        assert sorted(frame["key"] for frame in reader.records) == sorted(ordered), \
            "each browser gets every record once, whichever web process it is on"
