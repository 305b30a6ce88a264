"""Where a run's raw points live (<SRE_LOADTEST_DIR>/run-<uuid>.parquet) and the SQL that reads them back."""

from __future__ import annotations

import os
import uuid
from pathlib import Path

import duckdb
import pandas as pd

from services.errors import NotFound


def new_name() -> str:
    """A fresh, never reused file name for a run's points (ids can be reused after a rollback on SQLite)."""
    return f"run-{uuid.uuid4().hex}.parquet"


def promote(staged: Path, root: Path, name: str) -> Path:
    """Rename a finished hidden file into place under its final name."""
    final = root / name
    root.mkdir(parents=True, exist_ok=True)
    with open(staged, "rb") as fh:
        os.fsync(fh.fileno())
    os.replace(staged, final)
    return final


def remove(root: Path, name: str | None) -> None:
    """Delete a run's points file if there is one."""
    if name:
        (root / name).unlink(missing_ok=True)


def points_path(root: Path, name: str | None) -> Path:
    """The points file of a run; NotFound when the run has none or it went missing."""
    if not name:
        raise NotFound("This run has no raw points (only a summary was imported); import its --out json or csv file.")
    path = Path(root) / name
    if not path.exists():
        raise NotFound(f"The raw points of this run are missing: {path} (was the load-test folder moved?).")
    return path


def _con() -> duckdb.DuckDBPyConnection:
    con = duckdb.connect()
    con.execute("SET TimeZone='UTC'")
    con.execute("SET threads=2")
    return con


def _src(path: Path) -> str:
    return "read_parquet('" + str(path).replace("'", "''") + "')"


def series(path: Path, *, bucket_s: int = 10) -> pd.DataFrame:
    """Per time bucket: requests, RPS, p95 and failures of HTTP requests, and the VUs (max of the bucket)."""
    b = int(bucket_s)
    sql = f"""
        WITH p AS (SELECT time_bucket(INTERVAL '{b} seconds', "time", TIMESTAMPTZ '1970-01-01 00:00:00+00') AS bucket,
                          metric, value FROM {_src(path)}
                   WHERE metric IN ('http_reqs', 'http_req_duration', 'http_req_failed', 'vus')),
             s AS (SELECT min("time") AS t0, max("time") AS t1 FROM {_src(path)})
        SELECT bucket,
               count(*) FILTER (WHERE metric = 'http_reqs') AS requests,
               quantile_cont(value, 0.95) FILTER (WHERE metric = 'http_req_duration') AS p95_ms,
               coalesce(sum(value) FILTER (WHERE metric = 'http_req_failed'), 0) AS failures,
               max(value) FILTER (WHERE metric = 'vus') AS vus,
               epoch(least(bucket + INTERVAL '{b} seconds', any_value(s.t1)) - greatest(bucket, any_value(s.t0)))
                   AS covered_s
        FROM p, s GROUP BY bucket ORDER BY bucket
    """
    with _con() as con:
        frame = con.execute(sql).df()
    if frame.empty:
        return pd.DataFrame(
            columns=["bucket", "elapsed_s", "requests", "rps", "p95_ms", "failures", "error_rate", "vus"]
        )
    frame["bucket"] = pd.to_datetime(frame["bucket"], utc=True)
    frame["elapsed_s"] = (frame["bucket"] - frame["bucket"].iloc[0]).dt.total_seconds()
    frame["rps"] = frame["requests"] / b
    frame["error_rate"] = (frame["failures"] / frame["requests"]).where(frame["requests"] > 0)
    frame["full"] = frame["covered_s"] >= b - 1e-6
    return frame


def latency_counts(path: Path, *, threshold_ms: float, name: str | None = None) -> tuple[int, int]:
    """(requests faster than threshold_ms, all requests) from http_req_duration points, optionally one `name`."""
    where = "metric = 'http_req_duration'" + (' AND "name" = $name' if name else "")
    params: dict[str, object] = {"thr": float(threshold_ms)} | ({"name": name} if name else {})
    with _con() as con:
        row = con.execute(
            f"SELECT count(*) FILTER (WHERE value < $thr), count(*) FROM {_src(path)} WHERE {where}", params
        ).fetchone()
    return (int(row[0]), int(row[1])) if row else (0, 0)


def failure_counts(path: Path, *, name: str | None = None) -> tuple[int, int]:
    """(failed requests, all requests) from http_req_failed points, optionally one `name`."""
    where = "metric = 'http_req_failed'" + (' AND "name" = $name' if name else "")
    with _con() as con:
        row = con.execute(
            f"SELECT coalesce(sum(value), 0), count(*) FROM {_src(path)} WHERE {where}", {"name": name} if name else {}
        ).fetchone()
    return (int(row[0]), int(row[1])) if row else (0, 0)
