"""The committed generated modules are exactly what `make proto` produces from proto/."""

from grpc_bridge import codegen


def test_generated_modules_are_fresh(tmp_path):
    fresh = codegen.generate(tmp_path)
    assert fresh, "codegen produced nothing"
    for path in fresh:
        committed = codegen.ROOT / path.relative_to(tmp_path)
        assert committed.read_bytes() == path.read_bytes(), f"{committed} is stale: run `make proto`"
