"""The course's gRPC clients, rewritten against our contract: `python -m grpc_bridge.clients.writer|getter`."""
