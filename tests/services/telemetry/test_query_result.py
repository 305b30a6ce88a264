"""A query's rows: the local store hands them over as Arrow (or, asked for records only, as DuckDB's Python rows);
`records()` reads Python values without pandas, and the frame the pages use has the dtypes a DuckDB frame has,
whichever was read first."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from pathlib import Path

import duckdb
import pandas as pd
import pytest

from services.telemetry.local import LocalTelemetrySource
from services.telemetry.source import QueryResult
from tests.telemetry_fixtures import AT, req, write

ROOT = Path(__file__).resolve().parents[3]
MIXED = (
    "SELECT TIMESTAMPTZ '2026-11-01 10:00:00+00' AS t, INTERVAL 90 SECOND AS span, 42::HUGEINT AS big, "
    "1.5::DECIMAL(18,3) AS dec, NULL::DOUBLE AS missing, [1, 2] AS arr, 'x' AS s, true AS ok"
)


def _arrow_and_frame() -> tuple[QueryResult, pd.DataFrame]:
    con = duckdb.connect()
    con.execute("SET TimeZone = 'UTC'")
    return QueryResult("q", table=con.sql(MIXED).to_arrow_table()), con.sql(MIXED).df()


def test_the_frame_has_the_dtypes_of_a_duckdb_frame() -> None:
    result, direct = _arrow_and_frame()
    frame = result.frame
    assert list(frame.columns) == list(direct.columns)
    assert str(frame["t"].dtype) == "datetime64[us, UTC]"  # UTC-aware, as the pages expect
    assert frame["span"].iloc[0] == pd.Timedelta(seconds=90)
    assert frame["big"].iloc[0] == 42 and frame["dec"].iloc[0] == 1.5  # numbers, not Decimals
    assert pd.isna(frame["missing"].iloc[0]) and list(frame["arr"].iloc[0]) == [1, 2]
    for col in ("big", "dec", "missing", "s", "ok"):
        assert frame[col].dtype == direct[col].dtype, col


def test_records_are_python_values_before_and_after_the_frame() -> None:
    result, _ = _arrow_and_frame()
    (row,) = result.records()
    assert row["t"] == datetime(2026, 11, 1, 10, tzinfo=UTC)
    assert row["span"] == timedelta(seconds=90)
    assert row["dec"] == Decimal("1.500") and row["missing"] is None and row["ok"] is True
    _ = result.frame
    (again,) = result.records()
    assert again["t"] == row["t"] and again["s"] == "x"


def test_rows_asked_for_as_records_are_the_values_the_arrow_form_gives() -> None:
    con = duckdb.connect()
    con.execute("SET TimeZone = 'UTC'")
    rel = con.sql(MIXED)
    as_rows = QueryResult("q", rows=(rel.columns, rel.fetchall()))
    arrow, _ = _arrow_and_frame()
    assert as_rows.records() == arrow.records()
    (row,) = as_rows.records()
    assert row["t"] == datetime(2026, 11, 1, 10, tzinfo=UTC) and row["t"].utcoffset() == timedelta(0)
    assert row["span"] == timedelta(seconds=90) and row["dec"] == Decimal("1.500") and row["big"] == 42
    frame = as_rows.frame  # not what records-only callers read, but a frame all the same
    assert str(frame["t"].dtype).endswith(", UTC]") and frame["dec"].iloc[0] == 1.5


def test_the_local_store_caps_the_rows_asked_for_as_records(tmp_path: Path) -> None:
    write(tmp_path, "AppRequests", [req(m) for m in range(1, 8)])
    src = LocalTelemetrySource(tmp_path, row_cap=5)
    span = (AT - timedelta(days=1), AT)
    kql = "AppRequests | project TimeGenerated, DurationMs | order by TimeGenerated desc"
    rows = src.query(kql, timespan=span, records=True)
    assert rows.table is None and rows.truncated and rows.warning is not None
    assert rows.records() == src.query(kql, timespan=span).records()  # the same five rows, the same values


def test_a_result_holds_rows_one_way() -> None:
    with pytest.raises(TypeError):
        QueryResult("q")
    frame = pd.DataFrame({"n": [3]})
    assert QueryResult("q", frame).records() == [{"n": 3}]


def test_the_local_store_caps_the_arrow_rows(tmp_path: Path) -> None:
    write(tmp_path, "AppRequests", [req(m) for m in range(1, 8)])
    src = LocalTelemetrySource(tmp_path, row_cap=5)
    result = src.query("AppRequests | project TimeGenerated", timespan=(AT - timedelta(days=1), AT))
    assert result.truncated and len(result.records()) == 5 and len(result.frame) == 5


STATUS = """
import json, sys
from services.cli import main
main(["slo", "status", "--at", sys.argv[1], "--json"])
HEAVY = ("pandas", "pyarrow", "duckdb_kql.parser", "services.alerts.evaluation", "services.slos.schemas")
loaded = [m for m in HEAVY if m in sys.modules]
print(json.dumps(loaded))
"""


@pytest.mark.heavy  # a child process: not in `make later`, which looks for dates
def test_slo_status_imports_no_pandas_no_arrow_and_no_parser_once_translated(tmp_path: Path) -> None:
    # a whole process: what `slo status` loads is most of its time; the second process at another instant finds its
    # translations on disk, so neither the KQL parser is loaded, nor pandas or Arrow (footers and rows are read by
    # DuckDB), nor the SLO input models (nothing is written)
    write(tmp_path / "t", "AppRequests", [req(m) for m in range(1, 30)])
    env = {**os.environ, "SRE_TELEMETRY_DIR": str(tmp_path / "t"), "SRE_DATABASE_URL": f"sqlite:///{tmp_path}/s.db"}
    cli = [sys.executable, "-m", "services.cli"]
    for args in (["db", "upgrade"], ["slo", "seed"]):
        subprocess.run([*cli, *args], env=env, cwd=ROOT, check=True, capture_output=True)
    outputs = []
    for at in (AT, AT - timedelta(minutes=7, seconds=11)):
        done = subprocess.run(
            [sys.executable, "-c", STATUS, at.isoformat()], env=env, cwd=ROOT, capture_output=True, text=True
        )
        assert done.returncode == 0, done.stderr
        *status, loaded = done.stdout.strip().splitlines()
        outputs.append((json.loads("\n".join(status)), json.loads(loaded)))
    (first, loaded_first), (second, loaded_second) = outputs
    assert [s["total"] for s in first] == [29, 29]  # both team SLOs count the 29 requests of the last day
    assert [s["total"] for s in second] == [22, 22]  # 7 min 11 s earlier: the newest 7 are not yet there
    assert "duckdb_kql.parser" in loaded_first and "pandas" not in loaded_first  # it translates, caches
    assert loaded_second == []
