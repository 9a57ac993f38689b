"""`buf breaking` (make check) against the committed v1 contract: the real proto/orders.proto passes; a copy with a
renumbered or a retyped field is refused with buf's own message. buf is built by `make tools`."""

import subprocess
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
BUF = ROOT / ".tools" / "buf"
V1 = "proto/v1/orders.proto"


def buf_breaking(proto: Path | str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [str(BUF), "breaking", str(proto), "--against", V1],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


def test_the_real_v2_passes_against_v1():
    done = buf_breaking("proto/orders.proto")
    assert done.returncode == 0, done.stdout + done.stderr


@pytest.mark.parametrize(
    ("edit", "message"),
    [
        (
            ("repeated Equipment equipment = 5;", "repeated Equipment equipment = 9;"),
            'Previously present field "5" with name "equipment" on message "OrderMessage" was deleted.',
        ),
        (
            ("string created_at = 4;", "int64 created_at = 4;"),
            'Field "4" with name "created_at" on message "OrderMessage" changed type from "string" to "int64".',
        ),
    ],
    ids=["renumbered", "retyped"],
)
def test_a_breaking_edit_is_refused_with_bufs_message(tmp_path, edit, message):
    source = (ROOT / "proto" / "orders.proto").read_text()
    assert source.count(edit[0]) == 1
    copy = tmp_path / "orders.proto"
    copy.write_text(source.replace(*edit))
    done = buf_breaking(copy)
    assert done.returncode != 0
    assert message in done.stdout, done.stdout + done.stderr
