"""Raw k6 points (--out json NDJSON or --out csv, plain or gzip) read by DuckDB, streamed to Parquet, summed up in SQL.

The file never enters Python: DuckDB parses it once with explicit columns, checks every line, writes the points to a
hidden Parquet file and hands the few Metric lines (type and thresholds) to a Python callback on the way; the figures
(k6's percentiles are linear interpolation, which quantile_cont reproduces) come from SQL over the Parquet file.
When DuckDB refuses a line, services.loadtests.validate finds the first bad line for the message.
"""

from __future__ import annotations

import json
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import duckdb
from duckdb import func, sqltypes

from services import uploads
from services.errors import InvalidInput
from services.loadtests import thresholds as expr
from services.loadtests import validate
from services.loadtests.schemas import CheckResult, EndpointResult, InputFile, ParsedPoints, ThresholdResult

TAGS = ("name", "method", "status", "expected_response", "scenario", "group", "check", "error_code")
BASE_QUANTILES = (0.5, 0.9, 0.95, 0.99)
_NDJSON_COLUMNS = (
    "{'type': 'VARCHAR', 'metric': 'VARCHAR', 'data': 'STRUCT(\"time\" TIMESTAMPTZ, \"value\" DOUBLE, "
    + "tags STRUCT("
    + ", ".join(f'"{t}" VARCHAR' for t in TAGS)
    + '), "name" VARCHAR, "type" VARCHAR, "contains" VARCHAR, thresholds JSON)\'}'
)
_CSV_NAMES = [
    "metric_name",
    "timestamp",
    "metric_value",
    "check",
    "error",
    "error_code",
    "expected_response",
    "group",
    "method",
    "name",
    "proto",
    "scenario",
    "service",
    "status",
    "subproto",
    "tls_version",
    "url",
    "extra_tags",
    "metadata",
]


def _q(value: str) -> str:
    return "'" + str(value).replace("'", "''") + "'"


def connect(tmp_dir: Path, *, memory_limit: str = "300MB", threads: int = 2) -> duckdb.DuckDBPyConnection:
    """A DuckDB connection that streams: bounded memory, spill folder, no insertion-order bookkeeping."""
    tmp_dir.mkdir(parents=True, exist_ok=True)
    con = duckdb.connect()
    con.execute(f"SET memory_limit={_q(memory_limit)}")
    con.execute(f"SET threads={int(threads)}")
    con.execute("SET preserve_insertion_order=false")
    con.execute(f"SET temp_directory={_q(str(tmp_dir / '.duckdb-spill'))}")
    con.execute("SET TimeZone='UTC'")
    return con


def _source_sql(f: InputFile, kind: str, max_line: int) -> str:
    path = _q(str(f.path))
    # from the content: DuckDB's compression='auto' goes by the file name, and uploads have none
    compression = "'gzip'" if uploads.is_gzip(f.path) else "'none'"
    if kind == "ndjson":
        tags = ", ".join(f'data.tags."{t}" AS "{t}"' for t in TAGS)
        return (
            f'SELECT "type" AS kind, metric, data."time" AS "time", data."value" AS "value", '
            f'{tags}, data."type" AS metric_type, data.contains AS contains, data.thresholds AS thresholds '
            f"FROM read_json({path}, format='newline_delimited', columns={_NDJSON_COLUMNS}, compression={compression}, "
            f"maximum_object_size={max_line + 2})"
        )
    columns = (
        "{" + ", ".join(f"{_q(c)}: {_q('DOUBLE' if c == 'metric_value' else 'VARCHAR')}" for c in _CSV_NAMES) + "}"
    )
    tags = ", ".join(f'NULLIF("{t}", \'\') AS "{t}"' for t in TAGS)
    return (
        "SELECT 'Point' AS kind, metric_name AS metric, "
        'coalesce(to_timestamp(TRY_CAST("timestamp" AS DOUBLE)), TRY_CAST("timestamp" AS TIMESTAMPTZ)) AS "time", '
        f'metric_value AS "value", {tags}, NULL::VARCHAR AS metric_type, NULL::VARCHAR AS contains, '
        "NULL::JSON AS thresholds "
        f"FROM read_csv({path}, header=true, auto_detect=false, delim=',', quote='\"', escape='\"', "
        f"columns={columns}, compression={compression}, strict_mode=true, null_padding=false, "
        f"max_line_size={max_line + 2})"
    )


_NOT_K6 = "a line is not a k6 Metric or Point"
_PART = (
    "CASE WHEN kind = 'Point' AND metric IS NOT NULL AND \"time\" IS NOT NULL AND \"value\" IS NOT NULL THEN 'p' "
    "WHEN kind = 'Metric' AND metric IS NOT NULL THEN 'm' ELSE 'x' END"
)


def _run(con: duckdb.DuckDBPyConnection, f: InputFile, kind: str, sql: str) -> list[tuple[Any, ...]]:
    try:
        return con.execute(sql).fetchall()
    except duckdb.OutOfMemoryException:
        raise InvalidInput(
            f"{f.name}: the import ran out of its memory budget; nothing was imported. Try again when the server "
            "is less busy, or import with the CLI."
        ) from None
    except (duckdb.InvalidInputException, duckdb.ConversionException, duckdb.IOException) as exc:
        raise validate.explain(f, kind, exc) from None
    except duckdb.Error as exc:
        raise InvalidInput(f"{f.name}: cannot be read ({_first_line(exc)}); nothing was imported.") from None


def stage(
    con: duckdb.DuckDBPyConnection, f: InputFile, kind: str, points_file: Path, *, max_line: int
) -> dict[str, tuple[str, list[str]]]:
    """Stream every point to Parquet and collect the Metric definitions, in one pass over the file."""
    # A line that is neither a k6 Metric nor a complete Point aborts the copy through error(); validate.explain then
    # names it. The Metric lines (a handful) are kept out of the Parquet file by a filter that hands them to
    # _collect: CASE evaluates that branch only for Metric rows, so the callback costs nothing on points.
    found: list[tuple[str, str | None, str | None]] = []

    def _collect(metric: str, mtype: str | None, thr: str | None) -> bool:
        found.append((metric, mtype, thr))
        return False

    con.create_function(
        "k6_metric_line",
        _collect,
        [sqltypes.VARCHAR, sqltypes.VARCHAR, sqltypes.VARCHAR],
        sqltypes.BOOLEAN,
        null_handling=func.SPECIAL,
        side_effects=True,
    )
    src = _source_sql(f, kind, max_line)
    columns = '"time", metric, "value", ' + ", ".join(f'"{t}"' for t in TAGS)
    keep = (
        f"CASE {_PART} WHEN 'p' THEN true "
        "WHEN 'm' THEN k6_metric_line(metric, metric_type, thresholds::VARCHAR) "
        f"ELSE error('{_NOT_K6}') END"
    )
    _run(
        con,
        f,
        kind,
        f"COPY (SELECT {columns} FROM ({src}) WHERE {keep}) TO {_q(str(points_file))} "
        "(FORMAT parquet, COMPRESSION zstd, ROW_GROUP_SIZE 262144)",
    )
    defs: dict[str, tuple[str, list[str]]] = {}
    for metric, mtype, thr in found:
        listed = [str(x) for x in (json.loads(thr) if thr else []) or []]
        old = defs.get(metric, ("", []))
        defs[metric] = (mtype or old[0], list(dict.fromkeys(old[1] + listed)))
    return defs


def _first_line(exc: Exception) -> str:
    return str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__


def _peak_rps(
    con: duckdb.DuckDBPyConnection, pts: str, started: datetime | None, ended: datetime | None
) -> float | None:
    """Peak RPS as production's is defined (services.monitoring.figures): the busiest whole minute's requests / 60,
    minutes counted from the run's first point; a run shorter than a minute: its requests / its duration (≥ 1 s)."""
    if started is None or ended is None:
        return None
    span = (ended - started).total_seconds()
    if span < 60:
        n = con.execute(f"SELECT count(*) FROM {pts} WHERE metric = 'http_reqs'").fetchone()
        return float(n[0]) / max(span, 1.0) if n and n[0] else None
    row = con.execute(
        f"SELECT max(n) FROM (SELECT count(*) AS n FROM {pts} WHERE metric = 'http_reqs' "
        f'AND "time" < $last GROUP BY time_bucket(INTERVAL 60 SECOND, "time", $origin::TIMESTAMPTZ))',
        {"origin": started, "last": started + timedelta(seconds=60 * int(span // 60))},
    ).fetchone()
    return float(row[0]) / 60.0 if row and row[0] is not None else None


def summarize(
    con: duckdb.DuckDBPyConnection, kind: str, points_file: Path, defs: dict[str, tuple[str, list[str]]]
) -> ParsedPoints:
    """Compute every figure from the points file."""
    pts = f"read_parquet({_q(str(points_file))})"
    extra_q = {p for _, ts in defs.values() for e in ts if (p := expr.percentile(e)) is not None}
    quantiles = sorted(set(BASE_QUANTILES) | extra_q)
    qlist = "[" + ", ".join(repr(q) for q in quantiles) + "]"
    rows = con.execute(
        f'SELECT metric, count(*), sum(value), avg(value), min(value), max(value), arg_max(value, "time") '
        f"FROM {pts} GROUP BY metric"
    ).fetchall()
    cutoff = datetime.now(UTC) + uploads.FUTURE_GRACE
    total = con.execute(
        f'SELECT count(*), min("time"), max("time"), count(*) FILTER (WHERE "time" > $cut) FROM {pts}', {"cut": cutoff}
    ).fetchone() or (0, None, None, 0)
    started, ended = total[1], total[2]
    span = (ended - started).total_seconds() if started is not None and ended is not None else None
    metrics: dict[str, dict[str, float]] = {}
    for name, n, s, avg, lo, hi, last in rows:
        mtype = defs.get(name, ("", []))[0] or _builtin_type(name)
        v: dict[str, float] = {"count": float(s if mtype == "counter" else n), "avg": avg, "min": lo, "max": hi}
        if mtype in ("trend", ""):
            # one metric at a time: a percentile holds its metric's values in memory, never the whole file's
            qs = con.execute(f"SELECT quantile_cont(value, {qlist}) FROM {pts} WHERE metric = $m", {"m": name})
            v.update({f"p({q * 100:g})": x for q, x in zip(quantiles, (qs.fetchone() or [[]])[0], strict=True)})
            v["med"] = v["p(50)"]
        if mtype == "rate":
            v["rate"] = avg
            v["passes"], v["fails"] = float(s), float(n - s)
        elif mtype == "gauge":
            v["value"] = last
        elif span:
            v["rate"] = s / span
        metrics[name] = v
    found = [
        ThresholdResult(m, e, *expr.judge(e, metrics.get(m, {})), source="computed")
        for m, (_, ts) in sorted(defs.items())
        for e in ts
    ]
    checks = [
        CheckResult(str(c), int(p), int(n - p))
        for c, p, n in con.execute(
            f"SELECT \"check\", sum(value), count(*) FROM {pts} WHERE metric = 'checks' GROUP BY 1 ORDER BY 1"
        ).fetchall()
    ]
    endpoints = [
        EndpointResult(str(name), int(n), int(fails or 0), (fails or 0) / n if n else 0.0, avg, p95)
        for name, n, avg, p95, fails in con.execute(
            f"""
            WITH d AS (SELECT coalesce("name", '') AS name, count(*) AS n, avg(value) AS avg,
                              quantile_cont(value, 0.95) AS p95 FROM {pts}
                       WHERE metric = 'http_req_duration' GROUP BY 1),
                 f AS (SELECT coalesce("name", '') AS name, sum(value) AS fails FROM {pts}
                       WHERE metric = 'http_req_failed' GROUP BY 1)
            SELECT d.name, d.n, d.avg, d.p95, f.fails FROM d LEFT JOIN f USING (name) ORDER BY d.n DESC, d.name
            """
        ).fetchall()
    ]
    peak = _peak_rps(con, pts, started, ended)
    return ParsedPoints(
        kind=kind,
        staged=points_file,
        points=int(total[0]),
        metrics=metrics,
        metric_types={m: t for m, (t, _) in defs.items()},
        thresholds=found,
        checks=checks,
        endpoints=endpoints,
        started_at=started,
        ended_at=ended,
        peak_rps=peak,
        future_points=int(total[3]),
    )


def parse_points(f: InputFile, kind: str, work_dir: Path, *, memory_limit: str = "300MB") -> ParsedPoints:
    """Import one NDJSON or CSV file into a hidden Parquet file under `work_dir`; the caller renames or removes it."""
    limits = uploads.UploadLimits.from_settings()
    uploads.check(f.path, name=f.name, limits=limits)  # DuckDB reads gzip unbounded; one streaming look first
    work_dir.mkdir(parents=True, exist_ok=True)
    con = connect(work_dir, memory_limit=memory_limit)
    points_file = work_dir / f".points-{uuid.uuid4().hex}.parquet"
    try:
        defs = stage(con, f, kind, points_file, max_line=limits.max_line)
        parsed = summarize(con, kind, points_file, defs)
        if parsed.points == 0:
            raise InvalidInput(f"{f.name}: k6 output without any points (did the test run?); nothing was imported.")
    except BaseException:
        points_file.unlink(missing_ok=True)
        raise
    finally:
        con.close()
    return parsed


_BUILTIN: dict[str, str] = {
    "http_reqs": "counter",
    "iterations": "counter",
    "data_sent": "counter",
    "data_received": "counter",
    "http_req_failed": "rate",
    "checks": "rate",
    "vus": "gauge",
    "vus_max": "gauge",
}


def _builtin_type(name: str) -> str:
    return _BUILTIN.get(name, "trend" if name.startswith(("http_req_", "iteration_duration")) else "")
