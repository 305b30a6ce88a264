"""The constructs duckdb-kql lacks, run through constructs.py, give the results the Kusto reference documents."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pandas as pd
import pytest

from services.errors import QueryError
from services.telemetry import constructs
from services.telemetry.local import LocalTelemetrySource
from services.telemetry.translation import SCHEMA

# the make-series reference's own example ("make-series operator", learn.microsoft.com/kusto/query/
# make-series-operator), with its documented result
DOC_DATA = """let data=datatable(timestamp:datetime, metric: real)
[
  datetime(2016-12-31T06:00), 50,
  datetime(2017-01-01), 4,
  datetime(2017-01-02), 3,
  datetime(2017-01-03), 4,
  datetime(2017-01-03T03:00), 6,
  datetime(2017-01-05), 8,
  datetime(2017-01-05T13:40), 13,
  datetime(2017-01-06), 4,
  datetime(2017-01-07), 3,
  datetime(2017-01-08), 8,
  datetime(2017-01-08), 8,
  datetime(2017-01-08), 8,
  datetime(2017-01-09), 2,
  datetime(2017-01-09T12:00), 11,
  datetime(2017-01-10T05:00), 5,
];
let interval = 1d;
let stime = datetime(2017-01-01);
let etime = datetime(2017-01-10);
"""
# requests of two roles; `api` has no request at 02:00
ROWS = """let R = datatable(t:datetime, role:string, name:string, ms:real)
[
  datetime(2026-01-01T01:10), 'api', 'GET /a', 10,
  datetime(2026-01-01T01:20), 'api', 'GET /a', 20,
  datetime(2026-01-01T01:30), 'api', 'GET /b', 30,
  datetime(2026-01-01T03:05), 'api', 'GET /c', 40,
  datetime(2026-01-01T02:15), 'worker', 'job', 100,
  datetime(2026-01-01T02:45), 'worker', 'job', 300,
  datetime(2026-01-01T02:50), 'worker', 'sweep', 50,
];
"""


def _times(values: Any) -> list[str]:
    return [pd.Timestamp(v).strftime("%m-%d %H:%M") for v in values]


def test_make_series_gives_the_documented_result(run: Any) -> None:
    [row] = run(DOC_DATA + "data\n| make-series avg(metric) on timestamp from stime to etime step interval")
    assert list(row) == ["avg_metric", "timestamp"]
    assert list(row["avg_metric"]) == [4.0, 3.0, 5.0, 0.0, 10.5, 4.0, 3.0, 8.0, 6.5]  # 01-04 has no data: default 0
    assert _times(row["timestamp"]) == [f"01-{d:02} 00:00" for d in range(1, 10)]


def test_make_series_by_group_with_a_default_and_per_series_bounds(run: Any) -> None:
    rows = run(ROWS + "R | make-series n = count() default = -1, avg(ms) on t step 1h by role | order by role asc")
    api, worker = rows
    assert list(api) == ["role", "n", "avg_ms", "t"]
    # no `from`/`to`: each series runs from its own first bin with data to its last
    assert api["role"] == "api" and _times(api["t"]) == ["01-01 01:00", "01-01 02:00", "01-01 03:00"]
    assert list(api["n"]) == [3, -1, 1] and list(api["avg_ms"]) == [20.0, 0.0, 40.0]
    assert _times(worker["t"]) == ["01-01 02:00"] and list(worker["n"]) == [3] and list(worker["avg_ms"]) == [150.0]


def test_make_series_from_a_start_that_is_not_on_a_bin_boundary(run: Any) -> None:
    kql = ROWS + "R | make-series count() on t from datetime(2026-01-01T01:15) to datetime(2026-01-01T03:15) step 1h"
    [row] = run(kql)
    # bins begin at `from` itself: the 01:10 request is before it, 03:05 falls in [02:15, 03:15)
    assert _times(row["t"]) == ["01-01 01:15", "01-01 02:15"] and list(row["count_"]) == [2, 4]


def test_make_series_in_range_bins_by_bin_and_includes_stop(run: Any) -> None:
    kql = ROWS + "R | make-series count() on t in range(datetime(2026-01-01T01:15), datetime(2026-01-01T03:00), 1h)"
    [row] = run(kql)
    # bins by bin(): the first (01:00) begins before start and holds the 01:10 request; 03:00, the stop, is a bin
    assert _times(row["t"]) == ["01-01 01:00", "01-01 02:00", "01-01 03:00"] and list(row["count_"]) == [3, 3, 1]


def test_make_series_with_a_named_countif(run: Any) -> None:
    # the engine's grammar reads `F = countif(...)` as a parameter; the Failure Insights workbook writes it so
    [row] = run(ROWS + "R | make-series F = countif(role == 'api') default = 0 on t step 1h")
    assert list(row) == ["F", "t"] and list(row["F"]) == [3, 0, 1]


def test_a_range_of_timespans(run: Any) -> None:
    rows = run("let grain = 5m; range i from 0m to 20m - grain step grain")
    assert [r["i"] for r in rows] == [pd.Timedelta(minutes=m) for m in (0, 5, 10, 15)]
    [row] = run("print w = toscalar(range i from 0m to 40m step 20m | summarize make_list(i))")
    assert [pd.Timedelta(v) for v in row["w"]] == [pd.Timedelta(minutes=m) for m in (0, 20, 40)]
    # a range of datetimes steps by a timespan too, and stays one
    assert len(run("range t from datetime(2026-01-01) to datetime(2026-01-01T02:00) step 1h")) == 3


def test_percentiles_name_their_columns_as_kusto_does(run: Any) -> None:
    [row] = run(ROWS + "R | summarize percentiles(ms, 50, 99.5)")
    [plain] = run(ROWS + "R | summarize a = percentile(ms, 50), b = percentile(ms, 99.5)")
    assert row == {"percentile_ms_50": plain["a"], "percentile_ms_99_5": plain["b"]}
    [named] = run(ROWS + "R | summarize (p50, p95) = percentiles(ms, 50, 95) by role | where role == 'worker'")
    assert named == {"role": "worker", "p50": 100.0, "p95": 300.0}


def test_percentiles_array_is_one_array_column(run: Any) -> None:
    [row] = run(ROWS + "R | where role == 'worker' | summarize percentiles_array(ms, 50, 95)")
    [listed] = run(ROWS + "R | where role == 'worker' | summarize percentiles_array(ms, dynamic([50, 95]))")
    assert list(row) == ["percentiles_ms"] and json.loads(row["percentiles_ms"]) == [100, 300]
    assert listed == row


def test_the_legacy_names_are_the_current_functions(run: Any) -> None:
    [old] = run(ROWS + "R | where role == 'worker' | summarize makeset(name), makelist(ms, 2)")
    [new] = run(ROWS + "R | where role == 'worker' | summarize make_set(name), make_list(ms, 2)")
    assert str(old) == str(new)
    assert run(ROWS + "R | where notempty(name) and notnull(ms) | count") == [{"Count": 7}]


def test_top_nested_one_and_two_levels(run: Any) -> None:
    assert run(ROWS + "R | top-nested 1 of role by count()") == [{"role": "api", "aggregated_role": 4}]
    rows = run(ROWS + "R | top-nested 2 of role by n = count(), top-nested 1 of name by sum(ms)")
    assert rows == [
        {"role": "api", "n": 4, "name": "GET /c", "aggregated_name": 40.0},  # /c 40 beats /a 30 and /b 30
        {"role": "worker", "n": 3, "name": "job", "aggregated_name": 400.0},
    ]
    ascending = run(ROWS + "R | top-nested 1 of role by n = count() asc, top-nested 1 of name by sum(ms) asc")
    assert ascending == [{"role": "worker", "n": 3, "name": "sweep", "aggregated_name": 50.0}]


def test_take_with_a_computed_count(run: Any) -> None:
    assert len(run(ROWS + "let n = 2; R | take n * 2")) == 4
    assert len(run(ROWS + "R | limit 10 / 5")) == 2


def test_repeat_as_documented(run: Any) -> None:
    [row] = run('print a = repeat(1, 3), b = repeat("asd", 3), c = repeat(7, 0), d = repeat(2.5, -1)')
    assert {k: json.loads(v) for k, v in row.items()} == {"a": [1, 1, 1], "b": ["asd"] * 3, "c": [], "d": []}


def test_repeat_of_a_column_or_with_a_count_per_row(run: Any) -> None:
    rows = run(ROWS + "R | where role == 'worker' | project a = repeat(name, 2), b = repeat('x', toint(ms / 100))")
    assert [(json.loads(r["a"]), json.loads(r["b"])) for r in rows] == [
        (["job", "job"], ["x"]), (["job", "job"], ["x", "x", "x"]), (["sweep", "sweep"], [])]  # fmt: skip
    # a text with the characters JSON and KQL quote, and a value that is itself an array
    [row] = run(
        """print a = repeat("a,'b\\"[", 2), b = repeat(dynamic([1, 2]), 2), c = repeat(datetime(2026-01-01), 1)"""
    )
    assert json.loads(row["a"]) == ["a,'b\"["] * 2 and json.loads(row["b"]) == [[1, 2], [1, 2]]
    assert json.loads(row["c"]) == ["2026-01-01T00:00:00.0000000Z"]


def test_columnifexists_takes_the_column_or_the_default(run: Any) -> None:
    rows = run(ROWS + "R | extend x = 1 | project a = columnifexists('ms', 0.0), b = columnifexists('Foo', 'none'),"
               " c = columnifexists('x', 0) | take 1")  # fmt: skip
    assert rows == [{"a": 10.0, "b": "none", "c": 1}]
    # the call's own assignment does not make the column exist (a workbook's `extend success = columnifexists(...)`)
    [own] = run(ROWS + "R | extend success = columnifexists('success', true) | project success | take 1")
    assert own == {"success": True}


def test_timespan_divided_by_a_number(run: Any) -> None:
    [row] = run("let w = 10m; print a = 1h / 2, b = w / 4, c = 1h / 1m, d = 7 / 2")
    assert row == {"a": pd.Timedelta(minutes=30), "b": pd.Timedelta(seconds=150), "c": 60.0, "d": 3}


def test_bin_with_a_step_from_toscalar(run: Any) -> None:
    step = run(ROWS + "let s = toscalar(print 1h); R | summarize count() by bin(t, s) | order by t asc")
    literal = run(ROWS + "R | summarize count() by bin(t, 1h) | order by t asc")
    assert step == literal and [r["count_"] for r in step] == [3, 3, 1]


def test_an_error_after_a_rewrite_is_placed_in_the_text_the_user_wrote(run: Any) -> None:
    with pytest.raises(QueryError) as info:
        run("print x = 1\n| summarize makelist(x), percentiles(x, 50, 95)\n| where Foo > 1")
    assert info.value.line == 3 and info.value.column == 9 and "Foo" in str(info.value)


def test_forms_that_cannot_run_say_why_and_where(run: Any) -> None:
    with pytest.raises(QueryError) as info:
        run(ROWS + "R | top-nested 2 of role with others = 0 by count()")
    assert str(info.value) == (
        "q: top-nested (line 11, column 5) cannot run on the local engine in this form: leave out `with others`; "
        "count the rest with a separate summarize."
    )
    with pytest.raises(QueryError) as info:
        run(ROWS + "R | take toscalar(AppRequests | count)")  # a count from the store changes as rows arrive
    assert "take/limit with a count that is not a number literal (line 11, column 10)" in str(info.value)
    assert len(run(ROWS + "R | take toscalar(R | count) - 2")) == 5  # from the query's own datatable: fixed


def test_a_query_without_them_is_given_to_the_engine_unchanged() -> None:
    kql = "AppRequests | where TimeGenerated > ago(1h) | summarize percentile(DurationMs, 95) by bin(TimeGenerated, 5m)"
    assert not constructs.rewrite(kql, SCHEMA).changed


def test_series_start_on_the_query_clock(tmp_path: Path) -> None:
    # `from ago(3h) to now()`: three bins ending at the query's end, whichever day the suite runs
    now = datetime(2026, 1, 1, 4, 0, tzinfo=UTC)
    source = LocalTelemetrySource(tmp_path)
    kql = ROWS + "R | make-series count() on t from ago(3h) to now() step 1h"
    frame = source.query(kql, timespan=(now - timedelta(days=1), now))  # the range's end is the query clock
    [row] = frame.frame.to_dict("records")
    assert _times(row["t"]) == ["01-01 01:00", "01-01 02:00", "01-01 03:00"] and list(row["count_"]) == [3, 3, 1]
