"""With REDIS_URL, two web processes share Redis as the channel layer and each serves its own browsers once, with
no record passing through Redis: each process fans its own reader's records out in memory (live.broadcast)."""

import threading
import uuid


from harness.processes import Stack
from tests.conftest import ARTIFACTS
from tests.support.http_orders import burst
from harness.topics import create_topic
from tests.support.live_socket import ResumingReader, run_in_own_loop

ORDERS = 40


def test_two_web_processes_each_deliver_every_record_once(kafka_broker, redis):
    redis_url = redis.url
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
    calls = redis.command_calls()
    assert calls, "the web processes should have connected to Redis as their channel layer"
    # channels-redis sends (group_send, send) with an EVAL script; its receive loop runs one EVAL (a clean-up) per
    # BZPOPMIN. No EVAL beyond those: no record took a Redis round trip.
    assert calls.get("eval", 0) + calls.get("evalsha", 0) <= calls.get("bzpopmin", 0), calls
