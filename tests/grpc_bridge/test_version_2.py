"""gRPC's delivery note (version 2), and the lesson's v1 clients (generated from proto/v1) against the v2 server:
they create and list as before, and an order with a note reaches them without it."""

import json
import subprocess
import sys
from pathlib import Path

import grpc
import pytest

from grpc_bridge.generated import orders_pb2 as pb

ROOT = Path(__file__).resolve().parents[2]


def v1_client(module, *args):
    done = subprocess.run(
        [sys.executable, "-m", f"grpc_bridge.clients.{module}", *args],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    return done.stdout


def test_a_note_travels_and_a_bad_one_is_refused_with_the_field(stub):
    created = stub.Create(pb.OrderMessage(created_by="ana", equipment=[3], delivery_note="Ring twice."), timeout=5)
    assert stub.GetOrder(pb.OrderId(id=created.id), timeout=5).delivery_note == "Ring twice."
    with pytest.raises(grpc.RpcError) as refused:
        stub.Create(pb.OrderMessage(created_by="ana", equipment=[3], delivery_note="x" * 121), timeout=5)
    assert refused.value.code() == grpc.StatusCode.INVALID_ARGUMENT
    assert refused.value.details().startswith("delivery_note: Ensure this field has no more than 120 characters")


def test_the_v1_clients_work_against_the_v2_server(stub, grpc_target):
    noted = stub.Create(pb.OrderMessage(created_by="v2", equipment=[1], delivery_note="Desk 4."), timeout=5)
    written = json.loads(v1_client("writer", "--target", grpc_target, "--created-by", "v1", "MOUSE"))
    assert written["createdBy"] == "v1" and "deliveryNote" not in written
    listed = v1_client("getter", "--target", grpc_target).splitlines()
    assert [line.split()[0] for line in listed] == [written["id"], noted.id]
    assert listed[1].split()[1:] == ["QUEUED", noted.created_at, "v2", "MOUSE"]
