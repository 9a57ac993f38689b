"""The floor for gRPC Create: a bare grpcio server for the same proto that stores nothing."""

import sys
import uuid
from concurrent import futures

import grpc

from grpc_bridge.generated import orders_pb2_grpc


class BareServicer(orders_pb2_grpc.OrderServiceServicer):
    def Create(self, request, context):
        request.id = str(uuid.uuid4())
        return request


def main() -> None:
    server = grpc.server(futures.ThreadPoolExecutor(max_workers=10))
    orders_pb2_grpc.add_OrderServiceServicer_to_server(BareServicer(), server)
    server.add_insecure_port(sys.argv[1])
    server.start()
    print("ready", flush=True)
    server.wait_for_termination()


if __name__ == "__main__":
    main()
