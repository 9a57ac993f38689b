"""`make run`'s (and `make cluster`'s) banner: wait until the servers answer, then print where everything is.

PLAYGROUND_WEB_ADDR and PLAYGROUND_GRPC_ADDR may each name several processes, comma-separated (`make cluster`).
"""

import json
import os
import signal
import sys
import time
import urllib.error
import urllib.request

WEBS = [addr.strip() for addr in os.environ.get("PLAYGROUND_WEB_ADDR", "127.0.0.1:8000").split(",") if addr.strip()]
GRPCS = [addr.strip() for addr in os.environ.get("PLAYGROUND_GRPC_ADDR", "127.0.0.1:50051").split(",") if addr.strip()]


def wait_for(url: str, timeout: float = 180.0, ready=lambda body: True) -> bool:
    """Until `url` answers (any HTTP status) and, when it answers 200 with JSON, `ready(body)` holds."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            with urllib.request.urlopen(url, timeout=2) as response:
                if ready(json.load(response)):
                    return True
        except urllib.error.HTTPError:
            return True
        except (OSError, ValueError):
            pass
        time.sleep(0.5)
    return False


def kafka_reachable(health) -> bool:
    return isinstance(health, dict) and bool((health.get("kafka") or {}).get("reachable"))


def main() -> int:
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))
    down = [web for web in WEBS if not wait_for(f"http://{web}/health")]
    if down:
        print(f"The web server did not answer on {', '.join(down)} — see the web process's log above.", flush=True)
    else:
        # The brokers may take longer than the web processes (three JVMs under `make cluster`): "up" includes Kafka.
        kafka_ok = all(wait_for(f"http://{web}/health", ready=kafka_reachable) for web in WEBS)
        print("\n".join(banner(kafka_ok)), flush=True)
    try:
        while True:
            signal.pause()
    except KeyboardInterrupt:
        return 0


def banner(kafka_ok: bool = True) -> list[str]:
    lines = ["", "  Message Passing Playground is up:"]
    for number, web in enumerate(WEBS, 1):
        base, name = f"http://{web}", "" if len(WEBS) == 1 else f" {number}"
        lines += [
            f"    dashboard{name:<6}{base}/",
            f"    REST API{name:<7}{base}/api/orders/computers",
        ]
        if len(WEBS) == 1:
            lines += [f"    OpenAPI docs   {base}/api/docs/", f"    health         {base}/health"]
    for number, grpc in enumerate(GRPCS, 1):
        name = "" if len(GRPCS) == 1 else f" {number}"
        lines.append(f"    gRPC{name:<11}{grpc}  (grpcurl -plaintext {grpc} list)")
    servers = os.environ.get("KAFKA_BOOTSTRAP_SERVERS", "127.0.0.1:9092")
    lines += [
        f"    Kafka          {servers} topic {os.environ.get('KAFKA_ORDERS_TOPIC', 'orders')}",
        f"    worker         consumer group {os.environ.get('FULFILMENT_GROUP', 'fulfilment')}"
        "  (python manage.py fulfilment status)",
    ]
    if not kafka_ok:
        lines.append("    (Kafka is not reachable yet: orders wait in the outbox; see the broker's log above)")
    if "," in servers:
        lines.append("    crash a broker python -m localkafka kill-broker 1   (restart-brokers starts it again)")
    lines += ["  Ctrl-C stops everything.", ""]
    return lines


if __name__ == "__main__":
    sys.exit(main())
