"""The course's REST client: place a computer order, then list all orders. Run with the playground up:

.venv/bin/python examples/client.py --created-by ana --equipment KEYBOARD MOUSE MOUSE
"""

import argparse
import json
import os

import requests

BASE_URL = os.environ.get("BASE_URL", "http://127.0.0.1:8000")


def place(session: requests.Session, base_url: str, created_by: str, equipment: list[str]) -> requests.Response:
    """POST one order (the course's call; labs/transports.py times and weighs the same one)."""
    return session.post(
        f"{base_url}/api/orders/computers", timeout=10, json={"created_by": created_by, "equipment": equipment}
    )


def fetch(session: requests.Session, base_url: str, order_id: str) -> requests.Response:
    """GET one order by its id."""
    return session.get(f"{base_url}/api/orders/computers/{order_id}", timeout=10)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--created-by", default="course-client")
    parser.add_argument("--equipment", nargs="+", default=["KEYBOARD", "MOUSE"])
    options = parser.parse_args()

    created = place(requests.Session(), BASE_URL, options.created_by, options.equipment)
    print(created.status_code, json.dumps(created.json(), indent=2))

    listed = requests.get(f"{BASE_URL}/api/orders/computers", timeout=10)
    for order in listed.json()["computer_orders"]:
        print(order["order_id"], order["status"], order["created_by"], ",".join(order["equipment"]))


if __name__ == "__main__":
    main()
