"""Benchmarks: each script measures one path of ours against the raw floor under it, in the same run."""
