"""Print the orders the gRPC server holds, newest first, one line each.

python -m grpc_bridge.clients.getter [--target 127.0.0.1:50051]
"""

import argparse
import os
import sys

import grpc

from grpc_bridge.generated.v1 import orders_pb2 as pb
from grpc_bridge.generated.v1 import orders_pb2_grpc


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m grpc_bridge.clients.getter")
    parser.add_argument("--target", default=os.environ.get("GRPC_TARGET", "127.0.0.1:50051"))
    options = parser.parse_args(argv)
    with grpc.insecure_channel(options.target) as channel:
        try:
            orders = orders_pb2_grpc.OrderServiceStub(channel).Get(pb.Empty(), timeout=10).orders
        except grpc.RpcError as exc:
            print(f"{exc.code().name}: {exc.details()}", file=sys.stderr)
            return 1
    for order in orders:
        equipment = ",".join(pb.OrderMessage.Equipment.Name(item) for item in order.equipment)
        print(order.id, pb.OrderMessage.Status.Name(order.status), order.created_at, order.created_by, equipment)
    print(f"{len(orders)} orders", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
