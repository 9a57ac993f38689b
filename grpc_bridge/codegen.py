"""Generate the Python gRPC modules from proto/ (`make proto`); the freshness test calls it too."""

import sys
from pathlib import Path

from grpc_tools import protoc

ROOT = Path(__file__).resolve().parent.parent
PROTO_DIR = ROOT / "proto"
PACKAGE_DIR = "grpc_bridge/generated"


def generate(output_root: Path = ROOT) -> list[Path]:
    """Write grpc_bridge/generated/*_pb2*.py under `output_root`.

    Mapping the include path onto the package makes the generated code import its siblings as
    `grpc_bridge.generated.orders_pb2`, which works from anywhere; with a plain `-Iproto` the generated
    `orders_pb2_grpc` would `import orders_pb2` as a top-level module and fail outside `proto`'s folder.
    """
    (output_root / PACKAGE_DIR).mkdir(parents=True, exist_ok=True)
    protos = sorted(PROTO_DIR.glob("*.proto"))
    for proto in protos:
        args = [
            "grpc_tools.protoc",
            f"-I{PACKAGE_DIR}={PROTO_DIR}",
            f"--python_out={output_root}",
            f"--grpc_python_out={output_root}",
            f"--pyi_out={output_root}",
            str(proto),
        ]
        if protoc.main(args) != 0:
            raise SystemExit(f"protoc failed for {proto}")
    return sorted((output_root / PACKAGE_DIR).glob("*_pb2*.py*"))


if __name__ == "__main__":
    for path in generate():
        print(path.relative_to(ROOT), file=sys.stderr)
