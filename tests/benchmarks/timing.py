"""Timing helpers for benchmarks: repeated runs, percentiles, ratios against a baseline of the same run."""

from __future__ import annotations

import re
import statistics
import time
from collections.abc import Callable
from dataclasses import dataclass


@dataclass
class Timing:
    name: str
    samples: list[float]

    @property
    def p50(self) -> float:
        return statistics.median(self.samples)

    @property
    def p95(self) -> float:
        ordered = sorted(self.samples)
        return ordered[min(len(ordered) - 1, round(0.95 * (len(ordered) - 1)))]


def measure(name: str, action: Callable[[], object], *, repeat: int = 50, warmup: int = 5) -> Timing:
    for _ in range(warmup):
        action()
    samples = []
    for _ in range(repeat):
        start = time.perf_counter()
        action()
        samples.append(time.perf_counter() - start)
    return Timing(name, samples)


def report(title: str, baseline: Timing, *others: Timing) -> str:
    lines = [f"\n== {title} ==", f"{'':<40} {'p50 ms':>9} {'p95 ms':>9} {'x baseline (p50)':>17}"]
    for timing in (baseline, *others):
        ratio = timing.p50 / baseline.p50 if baseline.p50 else float("nan")
        lines.append(f"{timing.name:<40} {timing.p50 * 1000:>9.2f} {timing.p95 * 1000:>9.2f} {ratio:>17.1f}")
    text = "\n".join(lines)
    print(text)
    _record(title, baseline, others)
    return text


def _record(title: str, baseline: Timing, others: tuple[Timing, ...]) -> None:
    """Keep the table for `make evidence`, named after its title, on the database the run used."""
    from flask import current_app, has_app_context

    from tests.tools.evidence import record

    database = (
        current_app.config["SQLALCHEMY_DATABASE_URI"].split(":", 1)[0].split("+")[0] if has_app_context() else None
    )
    rows = {
        timing.name: {
            "p50_ms": round(timing.p50 * 1000, 2),
            "p95_ms": round(timing.p95 * 1000, 2),
            "x_baseline_p50": round(timing.p50 / baseline.p50, 2) if baseline.p50 else None,
            "samples": len(timing.samples),
        }
        for timing in (baseline, *others)
    }
    name = "bench-" + re.sub(r"[^a-z0-9]+", "-", title.lower()).strip("-")[:60]
    record(name, {"title": title, "baseline": baseline.name, "timings": rows}, command="make bench", database=database)
