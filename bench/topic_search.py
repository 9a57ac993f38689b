"""The topic search's scan rate against a raw kafka-python consumer reading the same records, in one run.

    .venv/bin/python -m bench.topic_search [--records 100000] [--planted 50] [--value-bytes 100] [--rounds 3]

Starts a throwaway broker, puts `--records` records on a fresh 3-partition topic (keys and values of about
`--value-bytes`, `--planted` of them carrying a needle in their value), then, `--rounds` times in turn:

- the search (topic_search.scan.Scan, as /ws/search/ runs it, its frames drained on an event loop) for the needle
  in the value over the whole topic: its records scanned per second, by its own clock (from before its consumer
  connects to its done frame), and per second of this process's CPU time (the broker is another process);
- a raw kafka-python consumer (no group, assign, seek to the beginning, poll until every record came; nothing done
  per record) timed the same way, once with the search's fetch options and once with kafka-python's defaults.

CPU time is the steadier figure on a shared machine: the wall clock also counts whatever else the cores ran.

Prints each one's median and best round, and the ratio search / raw per round and its median (target: at least
0.8): a round's readers run back to back, so a load that shifts between rounds moves them alike. The search must
find exactly the planted records, or the run fails.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import random
import statistics
import time
import uuid

NEEDLE = b"needle-bench"


def fill(bootstrap: str, topic: str, records: int, planted: set[int], value_bytes: int) -> None:
    from kafka import KafkaProducer

    producer = KafkaProducer(bootstrap_servers=bootstrap, acks=1, linger_ms=50, batch_size=512 * 1024)
    pad = b"x" * max(0, value_bytes - 30)
    for i in range(records):
        value = b"value-" + str(i).encode() + b"-" + (NEEDLE if i in planted else b"plain") + pad
        producer.send(topic, key=f"key-{i}".encode(), value=value, partition=i % 3)
    producer.flush(120)
    producer.close()


def raw_rate(bootstrap: str, topic: str, records: int, options: dict) -> tuple[float, float]:
    """Records per second (wall clock, and per second of this process's CPU) of a bare consumer reading every
    record of the topic from its beginning."""
    from kafka import KafkaConsumer, TopicPartition

    started, cpu = time.monotonic(), time.process_time()
    consumer = KafkaConsumer(bootstrap_servers=bootstrap, group_id=None, enable_auto_commit=False, **options)
    try:
        tps = [TopicPartition(topic, p) for p in sorted(consumer.partitions_for_topic(topic))]
        consumer.assign(tps)
        consumer.seek_to_beginning(*tps)
        seen = 0
        while seen < records:
            seen += sum(len(batch) for batch in consumer.poll(timeout_ms=200).values())
        return seen / (time.monotonic() - started), seen / (time.process_time() - cpu)
    finally:
        consumer.close()


def search_rate(bootstrap: str, topic: str, records: int, planted: int) -> tuple[float, float]:
    import json

    from topic_search import criteria, slots
    from topic_search.handoff import Handoff
    from topic_search.scan import END, Scan

    async def run() -> dict:
        handoff = Handoff(asyncio.get_running_loop())
        chosen = criteria.parse({"topic": topic, "value": NEEDLE.decode()})
        assert slots.take()
        Scan(chosen, handoff, bootstrap=bootstrap).start()
        matches = 0
        while True:
            await handoff.ready.wait()
            for text in handoff.take():
                frame = json.loads(text)
                matches += frame["type"] == "match"
                if frame["type"] in ("done", "error"):
                    assert frame.get("reason") == END and frame["scanned_records"] == records, frame
                    assert matches == planted, f"found {matches} of {planted} planted records"
                    return frame

    cpu = time.process_time()
    done = asyncio.run(run())
    return done["scanned_records"] / (done["elapsed_ms"] / 1000), done["scanned_records"] / (time.process_time() - cpu)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--records", type=int, default=100_000)
    parser.add_argument("--planted", type=int, default=50)
    parser.add_argument("--value-bytes", type=int, default=100)
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args()
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "bench.settings")
    import django

    django.setup()
    from bench.broker import throwaway_broker
    from harness.topics import create_topic
    from topic_search.scan import CONSUMER_OPTIONS

    with throwaway_broker() as broker:
        bootstrap, topic = broker.bootstrap_servers, f"bench-search-{uuid.uuid4().hex[:8]}"
        create_topic(bootstrap, topic)
        from django.conf import settings

        settings.KAFKA_BOOTSTRAP_SERVERS = bootstrap
        planted = set(random.Random(1).sample(range(args.records), args.planted))
        started = time.monotonic()
        fill(bootstrap, topic, args.records, planted, args.value_bytes)
        print(f"produced {args.records} records in {time.monotonic() - started:.1f} s")
        runs: dict[str, list[tuple[float, float]]] = {"search": [], "raw, same fetch options": [], "raw, defaults": []}
        readers = {
            "search": lambda: search_rate(bootstrap, topic, args.records, len(planted)),
            "raw, same fetch options": lambda: raw_rate(bootstrap, topic, args.records, CONSUMER_OPTIONS),
            "raw, defaults": lambda: raw_rate(bootstrap, topic, args.records, {}),
        }
        for round_number in range(args.rounds):
            # Every other round in reverse: neither reader always comes first.
            for name in list(readers)[:: 1 if round_number % 2 == 0 else -1]:
                runs[name].append(readers[name]())
    load = " / ".join(f"{value:.2f}" for value in os.getloadavg())
    print(
        f"\nTopic search scan rate  (cores: {os.cpu_count()}, load: {load}, records: {args.records}, "
        f"rounds: {args.rounds}, each round runs all three in turn, every other in reverse)"
    )
    for clock, column in (("wall clock", 0), ("per CPU second of this process", 1)):
        print(f"\nrecords/s, {clock}")
        rates = {name: [run[column] for run in values] for name, values in runs.items()}
        for name, values in rates.items():
            print(
                f"  {name:<26} median {statistics.median(values):>9,.0f}, best {max(values):>9,.0f}"
                f"   (rounds: {', '.join(f'{v:,.0f}' for v in values)})"
            )
        # Each round's search beside that round's raw reads: a load that shifts between rounds moves both alike.
        for baseline in ("raw, same fetch options", "raw, defaults"):
            paired = [ours / raw for ours, raw in zip(rates["search"], rates[baseline], strict=True)]
            print(
                f"  ratio search / {baseline:<23} median {statistics.median(paired):.2f}"
                f"   (rounds: {', '.join(f'{r:.2f}' for r in paired)})"
            )


if __name__ == "__main__":
    main()
