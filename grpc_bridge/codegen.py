"""Generate the Python gRPC modules from proto/ (`make proto`); the freshness test calls it too."""

import sys
from pathlib import Path

from grpc_tools import protoc

ROOT = Path(__file__).resolve().parent.parent
PROTO_DIR = ROOT / "proto"
PACKAGE_DIR = "grpc_bridge/generated"
# Each contract version and the package its modules go to: the servers use the newest; the lesson's v1 clients
# (grpc_bridge/clients) the frozen v1, so they stay what a client built before version 2 is.
VERSIONS = ((PROTO_DIR, PACKAGE_DIR), (PROTO_DIR / "v1", f"{PACKAGE_DIR}/v1"))


def generate(output_root: Path = ROOT) -> list[Path]:
    """Write grpc_bridge/generated/*_pb2*.py and grpc_bridge/generated/v1/*_pb2*.py under `output_root`.

    Mapping the include path onto the package makes the generated code import its siblings as
    `grpc_bridge.generated.orders_pb2`, which works from anywhere; with a plain `-Iproto` the generated
    `orders_pb2_grpc` would `import orders_pb2` as a top-level module and fail outside `proto`'s folder.
    The two versions define the same messages, so one process imports one of them, never both.
    """
    written = []
    for proto_dir, package_dir in VERSIONS:
        (output_root / package_dir).mkdir(parents=True, exist_ok=True)
        for proto in sorted(proto_dir.glob("*.proto")):
            args = [
                "grpc_tools.protoc",
                f"-I{package_dir}={proto_dir}",
                f"--python_out={output_root}",
                f"--grpc_python_out={output_root}",
                f"--pyi_out={output_root}",
                str(proto),
            ]
            if protoc.main(args) != 0:
                raise SystemExit(f"protoc failed for {proto}")
        written += sorted((output_root / package_dir).glob("*_pb2*.py*"))
    return written


if __name__ == "__main__":
    for path in generate():
        print(path.relative_to(ROOT), file=sys.stderr)
