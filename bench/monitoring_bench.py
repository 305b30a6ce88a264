"""Monitoring benchmark: what the Failures, Performance, Transactions and Application map pages query, on 10M rows.

usage: .venv/bin/python bench/monitoring_bench.py [--repeat 3] [--data bench/out/slo10m] [--rows 10000000]

Reuses the data set bench/slo_bench.py seeds (30 days, 10 million AppRequests rows; seeded the same way when
absent). For each page it times the catalogue queries the page runs on its first render (default selections),
plus the Transactions page's search for one account by custom property, through the services and the local
source with no cache, over the last 24 hours and the last 30 days before 2026-11-01 12:00 UTC. Baselines over
the same range: `AppRequests | summarize count()` through duckdb-kql, and bare DuckDB SQL computing requests and
failed requests per operation (what failures_operations computes).
Figures are medians of --repeat runs. No assertion: it prints, a reader judges.
"""

from __future__ import annotations

import argparse
import logging
import os
import statistics
import sys
import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from functools import partial
from pathlib import Path
from typing import Any

import duckdb

logging.getLogger("streamlit").setLevel(logging.ERROR)

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bench.common import ensure_data  # noqa: E402
from services.auth import Actor  # noqa: E402
from services.monitoring import appmap, failures, performance, transactions  # noqa: E402
from services.telemetry import runner  # noqa: E402
from services.telemetry.local import LocalTelemetrySource  # noqa: E402
from services.telemetry.runner import Runner  # noqa: E402
from services.telemetry.store import table_files  # noqa: E402

END = datetime(2026, 11, 1, 12, 0, tzinfo=UTC)
ACTOR = Actor("bench", "viewer")
ACCOUNT = "wichai.j97@gmail.com"  # a demo account that logs in now and then: the search reads the whole range


def failures_page(run: Runner, start: datetime, end: datetime) -> int:
    """Roles, the series and the table per operation, the breakdown and the samples (all operations)."""
    failures.roles(run, actor=ACTOR, start=start, end=end)
    ov = failures.overview(run, actor=ACTOR, start=start, end=end)
    failures.breakdown(run, actor=ACTOR, start=start, end=end)
    failures.samples(run, actor=ACTOR, start=start, end=end)
    return ov.requests


def performance_page(run: Runner, start: datetime, end: datetime) -> int:
    """Roles, the operations table, the busiest operation's distribution, dependencies and slowest-band samples."""
    failures.roles(run, actor=ACTOR, start=start, end=end)
    ops = performance.operations(run, actor=ACTOR, start=start, end=end)
    op = str(ops["Name"].iloc[0])
    dist = performance.distribution(run, actor=ACTOR, start=start, end=end, operation=op)
    performance.dependencies(run, actor=ACTOR, start=start, end=end, operation=op)
    performance.samples(run, actor=ACTOR, start=start, end=end, operation=op, bucket=int(dist["bucket"].iloc[-1]))
    return int(ops["requests"].sum())


def transactions_page(run: Runner, start: datetime, end: datetime) -> int:
    """The default search (the latest 100 requests) and the first result's end-to-end details."""
    found = transactions.search(run, actor=ACTOR, start=start, end=end, criteria=transactions.Criteria())
    first = found.iloc[0]
    tx = transactions.details(
        run,
        actor=ACTOR,
        operation_id=str(first["OperationId"]),
        start=start,
        end=end,
        at=first["TimeGenerated"].to_pydatetime(),
    )
    return len(tx.items)


def property_search(run: Runner, start: datetime, end: datetime) -> int:
    """A search for one account (a custom property): rare, so it reads the last hour, the last day, then all."""
    account = transactions.Criteria(prop_key="account", prop_value=ACCOUNT)
    return len(transactions.search(run, actor=ACTOR, start=start, end=end, criteria=account))


def app_map_page(run: Runner, start: datetime, end: datetime) -> int:
    """Role nodes and dependency edges."""
    return len(appmap.app_map(run, actor=ACTOR, start=start, end=end).edges)


PAGES: dict[str, Callable[[Runner, datetime, datetime], int]] = {
    "Failures": failures_page,
    "Performance": performance_page,
    "Transactions: latest 100 + one transaction's details": transactions_page,
    "Transactions: search by a custom property (one account)": property_search,
    "Application map": app_map_page,
}


def counting(run: Runner) -> tuple[Runner, list[str]]:
    """A runner that records the names of the queries it ran."""
    names: list[str] = []

    def wrapped(name: str, **params: Any) -> Any:
        names.append(name)
        return run(name, **params)

    return wrapped, names


def median(fn: Callable[[], object], repeat: int) -> float:
    times = []
    for _ in range(repeat):
        t = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t)
    return statistics.median(times)


def bare_sql(root: Path, start: datetime, end: datetime) -> Callable[[], object]:
    files = [str(f) for f in table_files(root, "AppRequests")]

    def go() -> object:
        con = duckdb.connect()
        out = con.execute(
            "SELECT Name, sum(ItemCount), sum(ItemCount) FILTER (WHERE NOT Success) FROM read_parquet(?) "
            "WHERE TimeGenerated > ? AND TimeGenerated <= ? GROUP BY Name",
            [files, start, end],
        ).fetchall()
        con.close()
        return out

    return go


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--rows", type=int, default=10_000_000)
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--data", type=Path, default=ROOT / "bench" / "out" / "slo10m")
    args = ap.parse_args()
    root = ensure_data(args.data, args.rows)
    source = LocalTelemetrySource(root)
    run = partial(runner.run, source)
    total = duckdb.sql(f"SELECT count(*) FROM read_parquet('{root}/AppRequests/*.parquet')").fetchall()[0][0]
    print(f"AppRequests rows: {total:,}; {os.cpu_count()} cores; duckdb {duckdb.__version__}; medians of {args.repeat}")
    for label, span in (("last 24 hours", timedelta(days=1)), ("last 30 days", timedelta(days=30))):
        start, end = END - span, END
        count_kql = "AppRequests | where TimeGenerated > {start} and TimeGenerated <= {end} | summarize count()"
        text = count_kql.format(
            start=f"datetime({start:%Y-%m-%dT%H:%M:%SZ})", end=f"datetime({end:%Y-%m-%dT%H:%M:%SZ})"
        )
        t_count = median(lambda: source.query(text, timespan=(start, end)), args.repeat)  # noqa: B023
        t_bare = median(bare_sql(root, start, end), args.repeat)
        print(f"\n{label} ({start:%Y-%m-%d %H:%M} – {end:%Y-%m-%d %H:%M} UTC)")
        print(f"  {'measure':<72}{'seconds':>9}")
        print(f"  {'baseline: AppRequests | summarize count() (duckdb-kql)':<72}{t_count:>9.3f}")
        print(f"  {'baseline: bare DuckDB SQL, requests + failed by operation':<72}{t_bare:>9.3f}")
        for page, fn in PAGES.items():
            counted, names = counting(run)
            fn(counted, start, end)
            t = median(lambda: fn(run, start, end), args.repeat)  # noqa: B023
            print(f"  {page + f' ({len(names)} queries)':<72}{t:>9.3f}   ({t / t_bare:.1f}× bare SQL)")


if __name__ == "__main__":
    main()
