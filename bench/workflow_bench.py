"""Workflow benchmark: the gates of 200 features over the 6 phases on 10 million AppRequests rows, next to bare DuckDB.

usage: .venv/bin/python bench/workflow_bench.py [--features 200] [--repeat 5] [--rows 10000000]
                                               [--data bench/out/slo10m]

Reuses the data set bench/slo_bench.py seeds (30 days ending 2026-11-01 12:00 UTC, 10 million AppRequests rows;
seeded the same way when absent). A temporary SQLite database migrated to head gets the team's SLOs and alert rules
and --features features (create_feature), spread evenly over the 6 phases, naming the demo's operations and releases.
All gates are judged as of the data set's end. It prints:
  - board, cold:  gates(current_phase_only=True) for every feature, each run with a new source (a new DuckDB
                  connection), the Parquet footer cache cleared and a new database engine (the OS file cache stays
                  warm: the data set was just read)
  - board, warm:  the same call again on the same source
  - one feature:  gates() of one feature, every phase, cold and warm
  - for each: the telemetry batches it ran (one expected) and the queries in them (Evidence.queries), next to
    baselines of the same count: the same counts in hand-written DuckDB SQL over the same files, and the same
    rendered KQL texts run straight through duckdb-kql (one connection, views over every file)
  - the landing page (pages/home.py: the board, then the practice tiles) through Streamlit's AppTest with the clock
    at the data set's end, first render with every cache cleared and a warm rerun, next to the same page on a
    database with no feature (what the tiles alone cost); skipped while pages/home.py shows no board
Figures are medians of --repeat runs, wall time and CPU time of this process (all threads). No assertion: it prints,
a reader judges.
"""

from __future__ import annotations

import argparse
import logging
import os
import re
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import duckdb
import duckdb_kql
import pandas as pd

logging.getLogger("streamlit").setLevel(logging.ERROR)

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bench.common import END, ensure_data  # noqa: E402
from services.alerts.seeds import seed_team_rules  # noqa: E402
from services.auth import Actor  # noqa: E402
from services.db import get_engine, make_engine, session_scope  # noqa: E402
from services.demo.catalog import OPERATIONS, ROLE, VERSIONS, WORKER_ROLE  # noqa: E402
from services.features import service as feature_service  # noqa: E402
from services.features.phases import PHASE_KEYS  # noqa: E402
from services.features.schemas import parse_feature_input  # noqa: E402
from services.migrate import upgrade  # noqa: E402
from services.slos import service as slo_service  # noqa: E402
from services.telemetry import store  # noqa: E402
from services.telemetry.local import LocalTelemetrySource  # noqa: E402
from services.telemetry.schema import TABLES  # noqa: E402
from services.telemetry.source import QueryResult, QuerySpec, Timespan  # noqa: E402
from services.telemetry.store import table_files  # noqa: E402

ADMIN = Actor("bench", "admin")
VIEWER = Actor("bench", "viewer")
# the column whose sum says two results hold the same counts, per catalogue query
SUMMED = {"feature_operations": "requests", "feature_exceptions": "exceptions", "releases": "requests"}


@dataclass
class Recording:
    """The local source, keeping every round of queries it runs: the specs, the results and the wall time."""

    inner: LocalTelemetrySource
    kind: str = "local"
    rounds: list[tuple[list[QuerySpec], list[QueryResult], float]] = field(default_factory=list)

    def query(self, kql: str, *, timespan: Timespan | None, name: str = "query") -> QueryResult:
        """One query outside a batch: a round of its own."""
        return self.query_batch([QuerySpec(name, kql, timespan)])[0]

    def query_batch(self, specs: list[QuerySpec]) -> list[QueryResult]:
        """Run the batch on the local source and keep it."""
        t = time.perf_counter()
        out = self.inner.query_batch(specs)
        self.rounds.append((list(specs), out, time.perf_counter() - t))
        return out

    def describe(self) -> str:
        """The local source's description."""
        return self.inner.describe()


def feature_inputs(n: int) -> list[dict[str, Any]]:
    """N features on the demo's operations and releases: mostly the web API (1–3 operations each), every tenth the
    settlement job; three in four declare that the service-wide SLOs cover them."""
    web = [op.name for op in OPERATIONS if op.role == ROLE]
    jobs = [op.name for op in OPERATIONS if op.role == WORKER_ROLE]
    out: list[dict[str, Any]] = []
    for i in range(n):
        job = i % 10 == 9
        ops = jobs if job else [web[(i + j) % len(web)] for j in range(1 + i % 3)]
        out.append(
            {
                "title": f"bench feature {i + 1}",
                "service": WORKER_ROLE if job else ROLE,
                "owner": f"dev{i % 7}",
                "operations": ops,
                "service_slos_cover": i % 4 != 3,
                "release": VERSIONS[i % len(VERSIONS)],
                "entry": "feature",
            }
        )
    return out


def build_database(url: str, n: int) -> list[int]:
    """Migrate, seed the team's SLOs and rules, create the features and set their phases; the feature ids."""
    upgrade(url)
    ids = []
    engine = make_engine(url)  # its own: the process-wide engine is for the database the settings name
    with session_scope(engine) as s:
        slo_service.seed_team_targets(s, actor=ADMIN)
        seed_team_rules(s, actor=ADMIN)
        for i, data in enumerate(feature_inputs(n)):
            f = feature_service.create_feature(s, actor=ADMIN, data=parse_feature_input(data))
            f.phase = PHASE_KEYS[i % len(PHASE_KEYS)]  # a bench may place it directly
            s.flush()
            ids.append(f.id)
    engine.dispose()
    return ids


def fresh_source(root: Path) -> Recording:
    """A source as a new process has it: a new DuckDB connection, no footer cached, a new database engine."""
    store.FOOTERS.clear()
    get_engine.cache_clear()
    return Recording(LocalTelemetrySource(root))


@dataclass
class Timing:
    """Medians of one gates() call: wall seconds, CPU seconds (all threads; steadier on a shared machine), seconds in
    telemetry rounds; the rounds and queries of a call."""

    wall: float
    cpu: float
    telemetry: float
    rounds: int
    queries: int
    source: Recording


def time_gates(root: Path, repeat: int, *, fresh: bool, source: Recording | None = None, **kwargs: Any) -> Timing:
    """gates() `repeat` times, each with a fresh source (cold) or all on one source (warm, given or made once)."""
    walls, cpus, tele, rounds, queries = [], [], [], [], []
    src = source or fresh_source(root)
    for _ in range(repeat):
        t, c = time.perf_counter(), time.process_time()
        if fresh:
            src = fresh_source(root)
        before = len(src.rounds)
        with session_scope() as s:
            _, ev = feature_service.gates(s, actor=VIEWER, source=src, at=END, **kwargs)
        walls.append(time.perf_counter() - t)
        cpus.append(time.process_time() - c)
        mine = src.rounds[before:]
        tele.append(sum(r[2] for r in mine))
        rounds.append(len(mine))
        queries.append(ev.queries)
    assert len(set(rounds)) == 1 and len(set(queries)) == 1, (rounds, queries)
    return Timing(
        statistics.median(walls), statistics.median(cpus), statistics.median(tele), rounds[0], queries[0], src
    )


def cpu_timed(fn: Callable[[], Any], repeat: int) -> tuple[float, float, Any]:
    """Median wall seconds and median CPU seconds of `repeat` calls, and the last result."""
    walls, cpus, out = [], [], None
    for _ in range(repeat):
        t, c = time.perf_counter(), time.process_time()
        out = fn()
        walls.append(time.perf_counter() - t)
        cpus.append(time.process_time() - c)
    return statistics.median(walls), statistics.median(cpus), out


def _quoted(text: str) -> list[str]:
    return [re.sub(r"\\(.)", r"\1", s) for s in re.findall(r'"((?:[^"\\]|\\.)*)"', text)]


def bare_sql(spec: QuerySpec) -> tuple[str, str, list[object]] | None:
    """The table, SQL and parameters computing what the rendered catalogue query computes (None: not one of the
    feature queries, so it is run as KQL only)."""
    kind = spec.name.split("[", 1)[0]
    role = re.search(r'AppRoleName == "((?:[^"\\]|\\.)*)"', spec.text)
    names = re.search(r"(?:Name|OperationName) in \((.*?)\)(?: and|\n|$)", spec.text)
    if spec.timespan is None or role is None:
        return None
    start, end = spec.timespan
    where = "TimeGenerated > ? AND TimeGenerated <= ? AND AppRoleName = ?"
    params: list[object] = [start, end, _quoted(role.group(0))[0]]
    ops = _quoted(names.group(1)) if names else []
    if kind == "feature_operations":
        sql = (
            "SELECT Name, sum(ItemCount) AS requests, sum(ItemCount) FILTER (WHERE NOT Success) AS failed, "
            f"max(TimeGenerated) AS last_seen FROM {{files}} WHERE {where} AND list_contains(?, Name) GROUP BY Name"
        )
        return "AppRequests", sql, [*params, ops]
    if kind == "feature_exceptions":
        sql = (
            "SELECT OperationName, ExceptionType, sum(ItemCount) AS exceptions, min(TimeGenerated) AS first_seen, "
            f"max(TimeGenerated) AS last_seen FROM {{files}} WHERE {where} AND list_contains(?, OperationName) "
            "AND HandledAt = 'Unhandled' GROUP BY OperationName, ExceptionType"
        )
        return "AppExceptions", sql, [*params, ops]
    if kind == "releases":
        sql = (
            "SELECT AppVersion, min(TimeGenerated) AS first_seen, max(TimeGenerated) AS last_seen, "
            f"sum(ItemCount) AS requests FROM {{files}} WHERE {where} GROUP BY AppVersion ORDER BY first_seen"
        )
        return "AppRequests", sql, params
    if kind == "feature_requests_hourly":
        threshold = re.search(r"DurationMs < ([0-9.eE+-]+)", spec.text)
        offset = (end - datetime(1970, 1, 1, tzinfo=UTC)) % timedelta(hours=1) + timedelta(microseconds=1)
        sql = (
            "SELECT Name, AppVersion, time_bucket(INTERVAL 1 hour, TimeGenerated - ?) AS bucket, "
            "sum(ItemCount) AS total, sum(ItemCount) FILTER (WHERE Success) AS good_availability, "
            "sum(ItemCount) FILTER (WHERE DurationMs < ?) AS good_latency, min(TimeGenerated) AS first_seen, "
            f"max(TimeGenerated) AS last_seen FROM {{files}} WHERE {where} AND list_contains(?, Name) "
            "GROUP BY Name, AppVersion, bucket"
        )
        return "AppRequests", sql, [offset, float(threshold.group(1)) if threshold else 0.0, *params, ops]
    if kind == "feature_sli_hourly":
        threshold = re.search(r"DurationMs < ([0-9.eE+-]+)", spec.text)
        sql = (
            "SELECT Name, time_bucket(INTERVAL 1 hour, TimeGenerated) AS hour, sum(ItemCount) AS total, "
            "sum(ItemCount) FILTER (WHERE Success) AS good_availability, "
            "sum(ItemCount) FILTER (WHERE DurationMs < ?) AS good_latency "
            f"FROM {{files}} WHERE {where} AND list_contains(?, Name) GROUP BY Name, hour"
        )
        return "AppRequests", sql, [float(threshold.group(1)) if threshold else 0.0, *params, ops]
    return None


def bare_duckdb(root: Path, specs: list[QuerySpec], con: duckdb.DuckDBPyConnection) -> list[pd.DataFrame]:
    """The same counts in plain DuckDB SQL over the same files (KQL through duckdb-kql where no SQL is written)."""
    out = []
    for spec in specs:
        plan = bare_sql(spec)
        if plan is None:
            out.append(duckdb_kql.kql(con, spec.text, query_now=spec.timespan[1] if spec.timespan else None).df())
            continue
        table, sql, params = plan
        files = ", ".join("'" + str(f).replace("'", "''") + "'" for f in table_files(root, table))
        out.append(con.execute(sql.format(files=f"read_parquet([{files}], union_by_name=true)"), params).df())
    return out


def kql_connection(root: Path) -> duckdb.DuckDBPyConnection:
    """duckdb-kql with one view per table over every file of the store, made once."""
    con = duckdb_kql.connect()
    con.execute("SET TimeZone='UTC'")
    for table in TABLES:
        files = table_files(root, table)
        if files:
            paths = ", ".join("'" + str(f).replace("'", "''") + "'" for f in files)
            con.execute(
                f'CREATE OR REPLACE VIEW "{table}" AS SELECT * FROM read_parquet([{paths}], union_by_name=true)'
            )
    return con


def bare_kql(specs: list[QuerySpec], con: duckdb.DuckDBPyConnection) -> list[pd.DataFrame]:
    """The batch's rendered KQL texts run straight through duckdb-kql, one after the other."""
    return [duckdb_kql.kql(con, s.text, query_now=s.timespan[1] if s.timespan else None).df() for s in specs]


def checksum(name: str, frame: pd.DataFrame) -> int:
    """The result's count total (requests, exceptions or all requests of the hourly SLI rows)."""
    col = SUMMED.get(name.split("[", 1)[0], "total")
    return int(frame[col].sum()) if not frame.empty and col in frame else len(frame)


def same_counts(specs: list[QuerySpec], ours: list[QueryResult], bare: list[pd.DataFrame]) -> str:
    got = [checksum(s.name, r.frame) for s, r in zip(specs, ours, strict=True)]
    want = [checksum(s.name, f) for s, f in zip(specs, bare, strict=True)]
    return "counts equal" if got == want else f"counts DIFFERENT: {got} vs {want}"


def board_page(db_url: str, root: Path, repeat: int) -> tuple[float, float, int] | str:
    """The app's landing page (pages/home.py, through the app/main.py router) in AppTest with the clock at the data
    set's end: the first render with every cache cleared (median of up to 3), a warm rerun (median of `repeat`), and
    how many feature cards the board shows."""
    if "workflow_board" not in (ROOT / "pages" / "home.py").read_text(encoding="utf-8"):
        return "not measured: pages/home.py does not show the workflow board yet"
    import streamlit as st
    import time_machine
    from streamlit.testing.v1 import AppTest

    from services.config import get_settings

    os.environ.update(SRE_TELEMETRY_DIR=str(root), SRE_DATABASE_URL=db_url)
    get_settings.cache_clear()
    firsts, warms = [], []
    with time_machine.travel(END, tick=True):
        for _ in range(max(1, min(repeat, 3))):
            fresh_source(root)
            st.cache_data.clear()
            st.cache_resource.clear()
            at = AppTest.from_file(str(ROOT / "app" / "main.py"), default_timeout=180)
            t = time.perf_counter()
            at.run()
            firsts.append(time.perf_counter() - t)
            if at.exception:
                return f"not measured: the page raised {at.exception[0].message}"
        for _ in range(repeat):
            t = time.perf_counter()
            at.run()
            warms.append(time.perf_counter() - t)
    cards = sum(1 for m in at.markdown if m.value.startswith("**") and "bench feature" in m.value)
    return statistics.median(firsts), statistics.median(warms), cards


def row(label: str, wall: float, cpu: float | None = None, note: str = "") -> None:
    cpu_text = f"{cpu:>9.3f}" if cpu is not None else " " * 9
    print(f"{label:<66}{wall:>9.3f}{cpu_text}   {note}".rstrip())


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--features", type=int, default=200)
    ap.add_argument("--repeat", type=int, default=5)
    ap.add_argument("--rows", type=int, default=10_000_000)
    ap.add_argument("--data", type=Path, default=ROOT / "bench" / "out" / "slo10m")
    args = ap.parse_args()
    root = ensure_data(args.data, args.rows)
    counted = duckdb.execute(f"SELECT count(*) FROM read_parquet('{root}/AppRequests/*.parquet')").fetchone()
    total = counted[0] if counted else 0
    with tempfile.TemporaryDirectory(prefix="workflow-bench-") as tmp:
        url = f"sqlite:///{Path(tmp) / 'state.db'}"
        os.environ.update(SRE_TELEMETRY_DIR=str(root), SRE_DATABASE_URL=url)
        from services.config import get_settings

        get_settings.cache_clear()
        t = time.perf_counter()
        ids = build_database(url, args.features)
        t_setup = time.perf_counter() - t
        empty = f"sqlite:///{Path(tmp) / 'empty.db'}"  # the same SLOs and rules, no feature: the page's baseline
        build_database(empty, 0)
        print(
            f"AppRequests rows: {total:,}; {len(ids)} features over 6 phases (set up in {t_setup:.1f}s); "
            f"{os.cpu_count()} cores; duckdb {duckdb.__version__}; medians of {args.repeat}; "
            f"as of {END:%Y-%m-%d %H:%M} UTC"
        )
        report(root, ids, args.repeat, url, empty)


def report(root: Path, ids: list[int], repeat: int, url: str, empty: str) -> None:
    """Time the board and one feature, each with its baselines, and print the table."""
    con = kql_connection(root)
    three = next(i for i, f in enumerate(feature_inputs(len(ids))) if len(f["operations"]) == 3)
    print()
    print(f"{'measure':<66}{'wall s':>9}{'CPU s':>9}")
    for label, kwargs in (
        (f"board: {len(ids)} features, current phase only", {"current_phase_only": True}),
        (f"one feature (#{ids[three]}, 3 operations), every phase", {"feature_ids": [ids[three]]}),
    ):
        cold = time_gates(root, repeat, fresh=True, **kwargs)
        warm = time_gates(root, repeat, fresh=False, source=cold.source, **kwargs)
        specs, results, _ = warm.source.rounds[-1]
        sql = duckdb.connect()
        sql.execute("SET TimeZone='UTC'")
        t_sql, c_sql, bare = cpu_timed(lambda: bare_duckdb(root, specs, sql), repeat)  # noqa: B023
        t_kql, c_kql, _ = cpu_timed(lambda: bare_kql(specs, con), repeat)  # noqa: B023
        n = len(specs)
        print(f"{label}: {warm.rounds} telemetry round(s) a call, Evidence.queries {warm.queries}")
        row(f"  baseline: bare DuckDB SQL, the same {n} counts", t_sql, c_sql, same_counts(specs, results, bare))
        row(f"  baseline: the same {n} KQL texts straight through duckdb-kql", t_kql, c_kql)
        for what, t in (("cold (new source, footers uncached, new engine)", cold), ("warm (same source)", warm)):
            row(
                f"  gates(), {what}",
                t.wall,
                t.cpu,
                f"({t.wall / t_sql:.1f}x bare SQL; telemetry {t.telemetry:.3f}, the rest {t.wall - t.telemetry:.3f})",
            )
        print("    each query of the last warm call:")
        for s, r in zip(specs, results, strict=True):
            print(f"    {s.name:<62}{r.elapsed_s:>9.3f}   ({len(r.frame):,} rows)")
    page = board_page(url, root, repeat)
    if isinstance(page, str):
        print(f"board page (AppTest): {page}")
        return
    bare_page = board_page(empty, root, repeat)
    assert not isinstance(bare_page, str), bare_page
    print(f"board page (the landing page through app/main.py, AppTest): {page[2]} feature cards shown")
    row("  baseline: no feature (the practice tiles only), first render", bare_page[0])
    row("  baseline: no feature, warm rerun", bare_page[1])
    row(f"  first render, every cache cleared, {len(ids)} features", page[0])
    row(f"  rerun with warm caches, {len(ids)} features", page[1])


if __name__ == "__main__":
    main()
