"""The workbench: produce a record, call any gRPC method rungrpc lists, and see one order as bytes on each wire."""
