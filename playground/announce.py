"""`make run`'s banner: wait until the servers answer, then print where everything is."""

import os
import signal
import sys
import time
import urllib.error
import urllib.request

WEB = os.environ.get("PLAYGROUND_WEB_ADDR", "127.0.0.1:8000")
GRPC = os.environ.get("PLAYGROUND_GRPC_ADDR", "127.0.0.1:50051")


def wait_for(url: str, timeout: float = 180.0) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            with urllib.request.urlopen(url, timeout=2):
                return True
        except urllib.error.HTTPError:
            return True
        except OSError:
            time.sleep(0.5)
    return False


def main() -> int:
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))
    base = f"http://{WEB}"
    if not wait_for(f"{base}/health"):
        print(f"The web server did not answer on {base} — see the web process's log above.", flush=True)
    else:
        print("\n".join([
            "",
            "  Message Passing Playground is up:",
            f"    dashboard      {base}/",
            f"    REST API       {base}/api/orders/computers",
            f"    OpenAPI docs   {base}/api/docs/",
            f"    health         {base}/health",
            f"    gRPC           {GRPC}  (grpcurl -plaintext {GRPC} list)",
            f"    Kafka          {os.environ.get('KAFKA_BOOTSTRAP_SERVERS', '127.0.0.1:9092')} topic "
            f"{os.environ.get('KAFKA_ORDERS_TOPIC', 'orders')}",
            f"    worker         consumer group {os.environ.get('FULFILMENT_GROUP', 'fulfilment')}"
            "  (python manage.py fulfilment status)",
            "  Ctrl-C stops everything.",
            "",
        ]), flush=True)
    try:
        while True:
            signal.pause()
    except KeyboardInterrupt:
        return 0


if __name__ == "__main__":
    sys.exit(main())
