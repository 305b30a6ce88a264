"""A query's limits: one that would return 10 million rows is cut at the row cap with a notice, one that runs past
SRE_QUERY_TIMEOUT_S is stopped with a message saying how to narrow it, locally as on Azure."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import duckdb
import pytest
from pytest_httpserver import HTTPServer

from services.config import Settings, TelemetrySettings
from services.errors import QueryError
from services.telemetry.factory import build_source
from services.telemetry.local import LocalTelemetrySource
from services.telemetry.store import table_dir
from tests.azure_fake import HOUR, QUERY_PATH, make_source

# 100,000 x 100,000 = 10^10 joined rows: minutes of work for DuckDB, so only the deadline can end it in time
SLOW = (
    "range x from 1 to 100000 step 1 | extend k = 1"
    " | join kind=inner (range y from 1 to 100000 step 1 | extend k = 1) on k | count"
)


PEAK_RSS = """
import resource, sys
from pathlib import Path
from services.telemetry.local import LocalTelemetrySource
from services.telemetry.store import table_dir
result = LocalTelemetrySource(Path(sys.argv[1]), row_cap=1000).query(sys.argv[2], timespan=None, name="everything")
print(len(result.frame), result.truncated, result.warning, sep="|")
print(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss // 1024)
"""


def _run(root: Path, kql: str) -> tuple[str, int]:
    done = subprocess.run(
        [sys.executable, "-c", PEAK_RSS, str(root), kql], capture_output=True, text=True, check=True, timeout=300
    )
    shown, peak = done.stdout.strip().splitlines()
    return shown, int(peak)


@pytest.mark.heavy
def test_ten_million_stored_rows_stop_at_the_row_cap_with_the_notice(tmp_path: Path) -> None:
    # 10 million traces in one Parquet file of an older layout (two columns; the rest read as null), written by
    # DuckDB in a stream so this process stays small
    path = table_dir(tmp_path, "AppTraces") / "ten-million.parquet"
    path.parent.mkdir(parents=True)
    duckdb.sql(
        "COPY (SELECT TIMESTAMPTZ '2026-01-01 00:00:00+00' + to_milliseconds(range) AS TimeGenerated, "
        f"'trace ' || range AS Message FROM range(10000000)) TO '{path}' (FORMAT parquet)"
    )
    shown, peak = _run(tmp_path, "AppTraces")
    assert shown == "1000|True|Only the first 1,000 rows are shown; narrow the query."
    # the same process reading five rows: the cut happens inside DuckDB, so 10 million rows cost little more
    # (as a DataFrame of every column they would be gigabytes)
    _, baseline = _run(tmp_path, "AppTraces | take 5")
    assert peak - baseline < 200, (peak, baseline)


def test_a_query_past_the_timeout_is_stopped_and_the_connection_stays_usable(tmp_path: Path) -> None:
    source = LocalTelemetrySource(tmp_path, timeout_s=1)
    with pytest.raises(QueryError) as info:
        source.query(SLOW, timespan=None, name="cross join")
    message = str(info.value)
    assert message.startswith("cross join: the query ran past 1 s and was stopped (SRE_QUERY_TIMEOUT_S).")
    assert "shorter time range" in message and "`where` filters first" in message and "`summarize`" in message
    # the same thread's connection answers the next query, and a quick query is not stopped
    assert source.query("range x from 1 to 5 step 1 | count", timespan=None).frame.iloc[0, 0] == 5


def test_the_timeout_setting_reaches_the_local_source(tmp_path: Path) -> None:
    settings = Settings(telemetry=TelemetrySettings(_env_file=None, dir=tmp_path, query_timeout_s=7))  # type: ignore[call-arg]
    source = build_source(settings)
    assert isinstance(source, LocalTelemetrySource) and source.timeout_s == 7
    assert TelemetrySettings(_env_file=None).query_timeout_s == 30  # type: ignore[call-arg]


def test_azure_gateway_timeout_gives_the_same_message(server: HTTPServer, ca_pem: str) -> None:
    # what Log Analytics answers when a query outlasts its server timeout (the SDKs' troubleshooting guides)
    body = {
        "error": {
            "code": "GatewayTimeout",
            "message": "Gateway timeout",
            "innererror": {"code": "GatewayTimeout", "message": "Unable to unzip response"},
        }
    }
    server.expect_request(QUERY_PATH, method="POST").respond_with_json(body, status=504)
    source = make_source(server, ca_pem, server_timeout_s=30)
    with pytest.raises(QueryError) as info:
        source.query("AppRequests | summarize count() by bin(TimeGenerated, 1m)", timespan=HOUR, name="busy")
    assert str(info.value).startswith("busy: the query ran past 30 s and was stopped (SRE_QUERY_TIMEOUT_S).")
    [(request, _)] = server.log
    assert request.headers["Prefer"] == "wait=30"  # the server is told the same limit


def test_a_query_past_the_memory_limit_is_stopped_with_a_message(tmp_path: Path) -> None:
    source = LocalTelemetrySource(tmp_path, memory_mb=64)
    big = (
        'range x from 1 to 1000000 step 1 | extend s = strcat("x", tostring(x), "yyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyy")'
        " | summarize make_list(s) by k = x % 10"
    )
    with pytest.raises(QueryError) as info:
        source.query(big, timespan=None, name="lists")
    assert str(info.value).startswith("lists: the query needs more memory than the local engine has")
    assert source.query("range x from 1 to 5 step 1 | count", timespan=None).frame.iloc[0, 0] == 5  # still usable
    settings = Settings(telemetry=TelemetrySettings(_env_file=None, dir=tmp_path, query_memory_mb=300))  # type: ignore[call-arg]
    built = build_source(settings)
    assert isinstance(built, LocalTelemetrySource) and built.memory_mb == 300


def test_a_range_too_large_to_build_is_refused_before_it_runs(tmp_path: Path) -> None:
    source = LocalTelemetrySource(tmp_path)
    with pytest.raises(QueryError) as info:  # 100 million rows would take about 7 GB and a minute
        source.query("let n = 100000000;\nrange x from 1 to n step 1 | count", timespan=None, name="typo")
    assert str(info.value).startswith("typo: range (line 2, column 1) cannot run on the local engine in this form: it "
                                      "would make 100,000,000 rows")  # fmt: skip
    assert source.query("range x from 1 to 1048576 step 1 | count", timespan=None).frame.iloc[0, 0] == 1048576


def test_a_text_too_long_to_parse_in_time_is_refused_at_once(tmp_path: Path) -> None:
    source = LocalTelemetrySource(tmp_path)
    long = "print x = 1\n" + "| extend y = 'padding padding padding padding padding padding padding padding'\n" * 1400
    with pytest.raises(QueryError) as info:
        source.query(long, timespan=None, name="pasted")
    assert str(info.value).startswith(f"pasted: the query is {len(long):,} characters; the local engine takes up to "
                                      "100,000.")  # fmt: skip
