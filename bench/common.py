"""What the benchmarks share: the 10-million-row data set and a median timer."""

from __future__ import annotations

import statistics
import time
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
END = datetime(2026, 11, 1, 12, 0, tzinfo=UTC)
DATA = ROOT / "bench" / "out" / "slo10m"


def timed(fn: Callable[[], Any], repeat: int) -> tuple[float, Any]:
    """The median wall time of `repeat` calls, and the last result."""
    times, out = [], None
    for _ in range(repeat):
        t = time.perf_counter()
        out = fn()
        times.append(time.perf_counter() - t)
    return statistics.median(times), out


def ensure_data(data: Path = DATA, rows: int = 10_000_000) -> Path:
    """The telemetry folder of the benchmark data set: 30 days ending at END, seeded once and cached."""
    from services.demo import seed

    root = data / "telemetry"
    marker = data / f"seeded-{rows}"
    if not marker.exists():
        print(f"seeding {rows:,} AppRequests rows over 30 days into {root} …", flush=True)
        seed(root, days=30, seed=7, end=END, rate_per_minute=rows / (30 * 24 * 60))
        marker.touch()
    return root
