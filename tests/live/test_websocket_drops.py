"""A websocket client is cut off 20 times during a stream and resumes each time: no record missed, none twice."""

import random
import threading
import time

import pytest
from kafka import KafkaProducer

from harness.topics import end_offsets
from tests.support.live_socket import ResumingReader, run_in_own_loop

pytestmark = [pytest.mark.faults, pytest.mark.database_incidental]

RECORDS = 1500
RATE_PER_SECOND = 250
DROPS = 20


def produce_steadily(bootstrap_servers, topic, stop):
    producer = KafkaProducer(bootstrap_servers=bootstrap_servers, linger_ms=2)
    for index in range(RECORDS):
        if stop.is_set():
            break
        producer.send(topic, key=f"k{index % 17}".encode(), value=f"record {index}".encode())
        time.sleep(1 / RATE_PER_SECOND)
    producer.flush()
    producer.close()


def test_twenty_drops_lose_nothing_and_repeat_nothing(make_stack, kafka_broker):
    stack = make_stack(kafka_broker.bootstrap_servers, services=("web",))
    reader = ResumingReader(stack.base_url)
    stop = threading.Event()
    streaming_at_drop = []
    producer = threading.Thread(target=produce_steadily, args=(kafka_broker.bootstrap_servers, stack.topic, stop))

    async def scenario():
        await reader.connect("beginning")
        producer.start()
        for _ in range(DROPS):
            await reader.read_for(random.uniform(0.05, 0.25))
            streaming_at_drop.append(producer.is_alive())
            reader.drop()
            await reader.connect()
        producer.join(60)
        await reader.read_until_count(RECORDS, timeout=30)
        await reader.read_for(1.0)
        await reader.close()

    try:
        run_in_own_loop(scenario)
    finally:
        stop.set()
    assert sum(streaming_at_drop) >= DROPS - 2, "the drops should fall while records are being produced"
    seen = reader.offsets_seen()
    expected = [
        (p, o) for p, end in end_offsets(kafka_broker.bootstrap_servers, stack.topic).items() for o in range(end)
    ]
    assert len(expected) == RECORDS
    assert len(seen) == len(set(seen)), "a record arrived twice"
    assert sorted(seen) == sorted(expected), "a record was missed"
