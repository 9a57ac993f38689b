"""Create one order over gRPC with the equipment you name, and print what the server stored.

python -m grpc_bridge.clients.writer --created-by ana KEYBOARD MOUSE MOUSE
"""

import argparse
import os
import sys

import grpc
from google.protobuf import json_format

from grpc_bridge.generated.v1 import orders_pb2 as pb
from grpc_bridge.generated.v1 import orders_pb2_grpc

EQUIPMENT = pb.OrderMessage.Equipment


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m grpc_bridge.clients.writer")
    parser.add_argument("equipment", nargs="+", choices=EQUIPMENT.keys())
    parser.add_argument("--created-by", default=os.environ.get("USER", "writer"))
    parser.add_argument("--target", default=os.environ.get("GRPC_TARGET", "127.0.0.1:50051"))
    options = parser.parse_args(argv)
    request = pb.OrderMessage(
        created_by=options.created_by, equipment=[EQUIPMENT.Value(name) for name in options.equipment]
    )
    with grpc.insecure_channel(options.target) as channel:
        try:
            order = orders_pb2_grpc.OrderServiceStub(channel).Create(request, timeout=10)
        except grpc.RpcError as exc:
            print(f"{exc.code().name}: {exc.details()}", file=sys.stderr)
            return 1
    print(json_format.MessageToJson(order, always_print_fields_with_no_presence=True))
    return 0


if __name__ == "__main__":
    sys.exit(main())
