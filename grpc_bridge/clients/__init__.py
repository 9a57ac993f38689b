"""The course's gRPC clients, rewritten against our contract: `python -m grpc_bridge.clients.writer|getter`.

Built from the frozen version 1 of the contract (proto/v1, grpc_bridge/generated/v1): they are the lesson's v1
clients, and keep working against servers of any later compatible version.
"""
