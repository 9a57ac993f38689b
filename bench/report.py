"""Shared benchmark helpers: latency percentiles and the table every script prints."""

from __future__ import annotations

import os
import statistics
from dataclasses import dataclass


def percentile(samples: list[float], fraction: float) -> float:
    ordered = sorted(samples)
    return ordered[min(len(ordered) - 1, round(fraction * (len(ordered) - 1)))]


@dataclass
class Figure:
    """Throughput and latency of one measured path (latencies in milliseconds)."""

    name: str
    per_second: float
    latencies_ms: list[float]

    @property
    def p50(self) -> float:
        return statistics.median(self.latencies_ms)

    @property
    def p99(self) -> float:
        return percentile(self.latencies_ms, 0.99)


def print_table(title: str, ours: Figure, baseline: Figure, unit: str = "req/s") -> None:
    # The load average says how much else ran on the machine: other work shares the cores with both paths.
    load = " / ".join(f"{value:.2f}" for value in os.getloadavg())
    print(
        f"\n{title}  (cores: {os.cpu_count()}, load: {load}, "
        f"samples: {len(ours.latencies_ms)} / {len(baseline.latencies_ms)})"
    )
    print(f"{'path':<44} {unit:>10} {'p50 ms':>9} {'p99 ms':>9}")
    for figure in (ours, baseline):
        print(f"{figure.name:<44} {figure.per_second:>10.1f} {figure.p50:>9.2f} {figure.p99:>9.2f}")
    print(
        f"{'ratio ours / baseline':<44} {ours.per_second / baseline.per_second:>10.2f}"
        f" {ours.p50 / baseline.p50:>9.2f} {ours.p99 / baseline.p99:>9.2f}"
    )
