"""A client generated at test time from the course's exact computer_orders.proto works unchanged.

It runs in its own process, as a course client would: its messages have the same names as ours and one
process's protobuf descriptor pool cannot hold both.
"""

import json
import subprocess
import sys
from pathlib import Path

from grpc_tools import protoc

COURSE_PROTO = Path(__file__).with_name("computer_orders.proto")
CLIENT = """
import json, sys
import grpc
import computer_orders_pb2 as pb, computer_orders_pb2_grpc as pb_grpc
with grpc.insecure_channel(sys.argv[1]) as channel:
    stub = pb_grpc.OrderServiceStub(channel)
    created = stub.Create(pb.OrderMessage(created_by="course", status=pb.OrderMessage.QUEUED,
                          equipment=[pb.OrderMessage.WEBCAM, pb.OrderMessage.MONITOR]), timeout=10)
    listed = stub.Get(pb.Empty(), timeout=10)
print(json.dumps({"created": {"id": created.id, "created_by": created.created_by, "status": created.status,
                              "equipment": list(created.equipment)},
                  "listed": [[o.id, list(o.equipment)] for o in listed.orders]}))
"""


def test_course_client_creates_and_lists(tmp_path, grpc_target):
    assert (
        protoc.main(
            [
                "protoc",
                f"-I{COURSE_PROTO.parent}",
                f"--python_out={tmp_path}",
                f"--grpc_python_out={tmp_path}",
                str(COURSE_PROTO),
            ]
        )
        == 0
    )
    (tmp_path / "client.py").write_text(CLIENT)
    result = subprocess.run(
        [sys.executable, "client.py", grpc_target],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    answer = json.loads(result.stdout)
    created = answer["created"]
    assert created["id"] and created["created_by"] == "course" and created["status"] == 0
    assert created["equipment"] == [2, 3]
    assert answer["listed"] == [[created["id"], [2, 3]]]
