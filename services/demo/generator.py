"""Deterministic demo telemetry for mana: `seed` writes whole days into the local store, `live` keeps appending.

    seed(root, days=30, seed=7, end=None, rate_per_minute=60.0) -> rows written per table
    live(root, interval_s=5.0, seed=None, stop=None, iterations=None, now_fn=None) -> rows written
    generate(start, end, rng=..., rate_per_minute=..., incidents=...) -> {table: pyarrow.Table}
    incident_windows(end, days) -> [(name, start, end, description)]

A day's rows depend only on the seed, that UTC day (and the part of it covered), the rate, the incidents
overlapping it and which release was live: each day draws from its own numpy stream, seeded by (seed, the
day's ordinal), never from the wall clock.
"""

from __future__ import annotations

import os
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime, timedelta
from pathlib import Path

import numpy as np

from services.demo.columns import utc
from services.demo.core import DEFAULT_SEED
from services.demo.incidents import INCIDENTS, Incident, incident_windows
from services.demo.live import live
from services.demo.population import population
from services.demo.tables import generate
from services.telemetry.store import table_dir
from services.telemetry.writer import write_table

# the tables the demo writes (page views, browser timings and SDK statistics come only from ingestion)
TABLES_WRITTEN = ("AppRequests", "AppDependencies", "AppExceptions", "AppTraces", "AppEvents", "AppMetrics",
                  "AppPerformanceCounters", "AppAvailabilityResults")  # fmt: skip

__all__ = ["DEFAULT_SEED", "INCIDENTS", "Incident", "days_of", "generate", "incident_windows", "live", "seed"]


def floor_minute(value: datetime) -> datetime:
    return value.replace(second=0, microsecond=0)


def days_of(start: datetime, end: datetime) -> list[tuple[datetime, datetime]]:
    """[start, end) cut at UTC midnights."""
    out = []
    cur = start
    while cur < end:
        midnight = datetime(cur.year, cur.month, cur.day, tzinfo=UTC) + timedelta(days=1)
        out.append((cur, min(midnight, end)))
        cur = midnight
    return out


def day_rng(seed: int, day: datetime) -> np.random.Generator:
    """The numpy stream of one UTC day of one seed."""
    return np.random.default_rng(np.random.SeedSequence([seed & 0xFFFF_FFFF_FFFF_FFFF, day.toordinal()]))


def seed(
    root: Path,
    *,
    days: int = 30,
    seed: int = DEFAULT_SEED,
    end: datetime | None = None,
    rate_per_minute: float = 60.0,
    which: slice = slice(None),
) -> dict[str, int]:
    """Write `days` of telemetry ending at `end` (default: now, UTC, floored to the minute) into the store.

    One file per table per UTC day, named seed-YYYYMMDD, so seeding a day again replaces it. The same
    arguments always give the same rows. `which` picks some of the UTC day spans (oldest first), e.g.
    slice(-2, None) for the newest two: their rows are the same as a whole seeding's. Returns the rows written per
    table.
    """
    if days <= 0:
        raise ValueError("days must be positive")
    end = utc(end) if end is not None else floor_minute(datetime.now(UTC))
    start = end - timedelta(days=days)
    incidents = incident_windows(end, days)
    pop = population(seed)

    def one_day(span: tuple[datetime, datetime]) -> dict[str, int]:
        day_start, day_end = span
        tables = generate(
            day_start,
            day_end,
            rng=day_rng(seed, day_start),
            rate_per_minute=rate_per_minute,
            incidents=incidents,
            population_=pop,
        )
        name = f"seed-{day_start:%Y%m%d}"
        counts = {}
        for table, data in tables.items():
            if data.num_rows:
                write_table(root, table, data, name=name)
            else:  # nothing that day: a file from an earlier seeding must not linger
                (table_dir(root, table) / f"{name}.parquet").unlink(missing_ok=True)
            counts[table] = data.num_rows
        return counts

    totals = dict.fromkeys(TABLES_WRITTEN, 0)
    workers = max(1, min(4, os.cpu_count() or 1))
    with ThreadPoolExecutor(max_workers=workers, thread_name_prefix="demo-seed") as pool:
        for counts in pool.map(one_day, days_of(start, end)[which]):
            for table, n in counts.items():
                totals[table] += n
    return totals
