"""The series functions on a make-series of the same query (series_functions.py) give the results the Kusto reference
documents, on its own examples and on series with nulls at the edges, by key."""

from __future__ import annotations

import json
from typing import Any

import pandas as pd
import pytest

from services.errors import QueryError


def values(v: Any) -> list[Any]:
    """A series as a list: an array, or JSON text when it holds nulls (make_list would drop them)."""
    return json.loads(v) if isinstance(v, str) else [x.item() if hasattr(x, "item") else x for x in v]


def array(arrays: dict[str, list[Any]], kind: str = "real", name: str = "arr") -> str:
    """The documented arrays, one per key `k`, as the make-series of the same query that makes them: one row per
    element (a null element a row with a null value), on the element's index."""
    rows = ", ".join(
        f"'{k}', {i}, {kind}(null)" if v is None else f"'{k}', {i}, {v}"
        for k, arr in arrays.items()
        for i, v in enumerate(arr)
    )
    return (
        f"datatable(k:string, i:long, x:{kind})[{rows}]\n"
        f"| make-series {name} = max(x) default = {kind}(null) on i step 1 by k\n"
    )


def by_key(rows: list[dict[str, Any]]) -> dict[str, dict[str, Any]]:
    return {r["k"]: r for r in rows}


# learn.microsoft.com/kusto/query/series-fill-const-function
def test_fill_const_as_documented(run: Any) -> None:
    arr = [111, None, 36, 41, 23, None, 16, 61, 33, None, None]
    [row] = run(array({"a": arr}) + "| project arr, fill_const1 = series_fill_const(arr, 0.0),"
                " fill_const2 = series_fill_const(arr, -1)")  # fmt: skip
    assert values(row["arr"]) == arr
    assert values(row["fill_const1"]) == [111, 0, 36, 41, 23, 0, 16, 61, 33, 0, 0]
    assert values(row["fill_const2"]) == [111, -1, 36, 41, 23, -1, 16, 61, 33, -1, -1]


# learn.microsoft.com/kusto/query/series-fill-forward-function
def test_fill_forward_as_documented(run: Any) -> None:
    arr = [None, None, 36, 41, None, None, 16, 61, 33, None, None]
    [row] = run(array({"a": arr}, "long") + "| project arr, fill_forward = series_fill_forward(arr)")
    assert values(row["fill_forward"]) == [None, None, 36, 41, 41, 41, 16, 61, 33, 33, 33]  # the leading nulls stay


# learn.microsoft.com/kusto/query/series-fill-backward-function
def test_fill_backward_as_documented(run: Any) -> None:
    arr = [111, None, 36, 41, None, None, 16, 61, 33, None, None]
    [row] = run(array({"a": arr}, "long") + "| project arr, fill_backward = series_fill_backward(arr)")
    assert values(row["fill_backward"]) == [111, 36, 36, 41, 16, 16, 16, 61, 33, None, None]  # the trailing stay


LINEAR = [None, 111, None, 36, 41, None, None, 16, 61, 33, None, None]
LINEAR_ARGS = (
    "| project k, without_args = series_fill_linear(arr), with_edges = series_fill_linear(arr, double(null), true),"
    " wo_edges = series_fill_linear(arr, double(null), false),"
    " with_const = series_fill_linear(arr, double(null), true, 3.14159)"
)


# learn.microsoft.com/kusto/query/series-fill-linear-function
def test_fill_linear_as_documented(run: Any) -> None:
    rows = by_key(run(array({"double": LINEAR, "nulls": [None] * 4}) + LINEAR_ARGS))
    filled = [111.0, 111.0, 73.5, 36.0, 41.0, 32.667, 24.333, 16.0, 61.0, 33.0, 33.0, 33.0]
    double = rows["double"]
    for column in ("without_args", "with_edges", "with_const"):
        assert values(double[column]) == pytest.approx(filled, abs=1e-3)
    assert values(double["wo_edges"])[:2] == [None, 111.0] and values(double["wo_edges"])[-2:] == [None, None]
    assert values(double["wo_edges"])[2:10] == pytest.approx(filled[2:10], abs=1e-3)
    # a series of only nulls is the constant, 0 unless given, with or without its edges
    nulls = rows["nulls"]
    assert [values(nulls[c]) for c in ("without_args", "with_edges", "wo_edges")] == [[0, 0, 0, 0]] * 3
    assert values(nulls["with_const"]) == [3.14159] * 4


def test_fill_linear_of_a_long_series_truncates_as_documented(run: Any) -> None:
    [row] = run(array({"int": LINEAR}, "long") + LINEAR_ARGS)
    for column in ("without_args", "with_edges"):
        assert values(row[column]) == [111, 111, 73, 36, 41, 32, 24, 16, 61, 33, 33, 33]
    assert values(row["wo_edges"]) == [None, 111, 73, 36, 41, 32, 24, 16, 61, 33, None, None]
    # (the page's with_const for this row, [111,111,74,38,41,...], is not a linear interpolation; not checked)


STATS_X = [23, 46, 23, 87, 4, 8, 3, 75, 2, 56, 13, 75, 32, 16, 29]


# learn.microsoft.com/kusto/query/series-stats-function
def test_stats_as_documented(run: Any) -> None:
    [row] = run(array({"a": STATS_X}, "long", "x") + "| project series_stats(x)")
    assert row == {
        "series_stats_x_min": 2,
        "series_stats_x_min_idx": 8,
        "series_stats_x_max": 87,
        "series_stats_x_max_idx": 3,
        "series_stats_x_avg": 32.8,
        "series_stats_x_stdev": pytest.approx(28.5036338535483),
        "series_stats_x_variance": pytest.approx(812.457142857143),
    }
    # named columns; fewer names keep only the first statistics
    [named] = run(array({"a": STATS_X}, "long", "x") + "| extend (mn, mn_idx, mx) = series_stats(x) | project-away x")
    assert {c: named[c] for c in ("mn", "mn_idx", "mx")} == {"mn": 2, "mn_idx": 8, "mx": 87}
    assert list(named) == ["k", "i", "mn", "mn_idx", "mx"]


# learn.microsoft.com/kusto/query/series-stats-dynamic-function
def test_stats_dynamic_as_documented(run: Any) -> None:
    [row] = run(array({"a": STATS_X}, "long", "x") + "| project stats = series_stats_dynamic(x)")
    stats = json.loads(row["stats"])
    assert stats == {
        "min": 2.0,
        "min_idx": 8,
        "max": 87.0,
        "max_idx": 3,
        "avg": 32.8,
        "stdev": pytest.approx(28.503633853548269),
        "variance": pytest.approx(812.45714285714291),
        "sum": 492.0,
        "len": 15,
    }


# requests of three roles over 01:00..06:00, nulls at the edges: `api` has no request at 01:00, 03:00, 04:00 and
# 06:00; `worker` only at 02:00 and 03:00 (two: the min is at two bins); `idle` has requests without a duration
ROWS = """let R = datatable(t:datetime, role:string, ms:real)
[
  datetime(2026-01-01T02:10), 'api', 10,
  datetime(2026-01-01T05:20), 'api', 40,
  datetime(2026-01-01T02:15), 'worker', 7,
  datetime(2026-01-01T03:45), 'worker', 7,
  datetime(2026-01-01T04:00), 'idle', real(null),
];
R | make-series n = max(ms) default = double(null) on t from datetime(2026-01-01T01:00) to datetime(2026-01-01T07:00)
    step 1h by role
"""


def test_fills_by_key_with_nulls_at_the_edges(run: Any) -> None:
    tail = "| extend f = series_fill_forward(n), b = series_fill_backward(n), l = series_fill_linear(n),"
    rows = by_key_role(run(ROWS + tail + " e = series_fill_linear(n, double(null), false)"))
    api, worker, idle = rows["api"], rows["worker"], rows["idle"]
    assert list(api) == ["role", "n", "t", "f", "b", "l", "e"]
    assert values(api["n"]) == [None, 10.0, None, None, 40.0, None]
    assert values(api["f"]) == [None, 10.0, 10.0, 10.0, 40.0, 40.0]
    assert values(api["b"]) == [10.0, 10.0, 40.0, 40.0, 40.0, None]
    assert values(api["l"]) == [10.0, 10.0, 20.0, 30.0, 40.0, 40.0]
    assert values(api["e"]) == [None, 10.0, 20.0, 30.0, 40.0, None]
    assert values(worker["l"]) == [7.0] * 6 and values(worker["f"]) == [None, 7.0, 7.0, 7.0, 7.0, 7.0]
    assert values(idle["l"]) == [0] * 6 and values(idle["f"]) == [None] * 6  # only nulls: the constant, 0


def by_key_role(rows: list[dict[str, Any]]) -> dict[str, dict[str, Any]]:
    return {r["role"]: r for r in rows}


def test_stats_by_key_ignore_the_nulls_only_when_told(run: Any) -> None:
    kql = ROWS + "| extend (mn, mn_idx, mx, mx_idx, av, sd, var) = series_stats(n, true), s = series_stats_dynamic(n)"
    rows = by_key_role(run(kql))
    api = rows["api"]
    assert (api["mn"], api["mn_idx"], api["mx"], api["mx_idx"], api["av"]) == (10.0, 1, 40.0, 4, 25.0)
    assert api["sd"] == pytest.approx(21.2132034) and api["var"] == pytest.approx(450.0)  # sample, of 10 and 40
    worker = rows["worker"]
    assert (worker["mn_idx"], worker["mx_idx"], worker["sd"]) == (1, 1, 0.0)  # the first position of the min
    idle = rows["idle"]
    assert pd.isna(idle["mn"]) and pd.isna(idle["mn_idx"])  # no value: null
    # ignore_nonfinite false (the default): a series with a null has null statistics
    stats = json.loads(api["s"])
    assert stats["len"] == 6 and {k: v for k, v in stats.items() if k != "len"} == dict.fromkeys(
        ["min", "min_idx", "max", "max_idx", "avg", "stdev", "variance", "sum"]
    )


def test_a_chain_of_extends_and_a_series_without_keys(run: Any) -> None:
    kql = ROWS.replace("    step 1h by role", "    step 1h") + (
        "| extend n = series_fill_forward(n) | extend n = series_fill_backward(n) | extend s = series_stats_dynamic(n)"
    )
    [row] = run(kql)
    assert list(row) == ["n", "t", "s"]
    # the largest of every role per bin: 01:00 none, 02:00 10, 03:00 7, 04:00 null, 05:00 40, 06:00 none
    assert values(row["n"]) == [10.0, 10.0, 7.0, 7.0, 40.0, 40.0]
    assert json.loads(row["s"])["sum"] == pytest.approx(114.0)


def test_fill_const_after_a_count_with_null_default(run: Any) -> None:
    kql = ROWS.replace("n = max(ms)", "n = count()") + "| extend n = series_fill_const(n, 0) | project role, n"
    rows = by_key_role(run(kql))
    assert values(rows["api"]["n"]) == [0, 1, 0, 0, 1, 0] and values(rows["worker"]["n"]) == [0, 1, 1, 0, 0, 0]


def test_a_placeholder_other_than_null(run: Any) -> None:
    kql = ROWS.replace("n = max(ms) default = double(null)", "n = count() default = 0")
    rows = by_key_role(run(kql + "| extend f = series_fill_forward(n, 0), l = series_fill_linear(n, 0, false)"))
    assert values(rows["api"]["f"]) == [0, 1, 1, 1, 1, 1]  # the leading 0 stays
    assert values(rows["api"]["l"]) == [0, 1, 1, 1, 1, 0]  # between 1 and 1; the edges stay


def test_a_null_default_keeps_its_nulls(run: Any) -> None:
    rows = by_key_role(run(ROWS))
    assert values(rows["api"]["n"]) == [None, 10.0, None, None, 40.0, None] and len(rows["api"]["t"]) == 6


@pytest.mark.parametrize(
    ("tail", "says"),
    [
        ("| extend a = series_decompose_anomalies(n)", "series_decompose_anomalies() (line 11, column 14)"),
        ("| extend a = series_stats_dynamic(series_fill_const(n, 0))", "not inside another expression"),
        ("| extend a = series_fill_const(n, 0), b = 1", "put the series functions in an `extend` of their own"),
        ("| extend a = series_fill_forward(role)", "apply it to a series of the make-series (here n)"),
        ("| extend x = series_stats(n)", "name its columns in parentheses"),
    ],
)
def test_forms_that_cannot_run_say_which_does(run: Any, tail: str, says: str) -> None:
    with pytest.raises(QueryError) as info:
        run(ROWS + tail)
    assert says in str(info.value) and "cannot run on the local engine in this form" in str(info.value)


def test_a_series_function_away_from_a_make_series_says_where_it_runs(run: Any) -> None:
    with pytest.raises(QueryError) as info:
        run("print x = dynamic([1, null, 3]) | extend y = series_fill_linear(x)")
    assert "series_fill_linear()" in str(info.value) and "right after it in the same query" in str(info.value)
