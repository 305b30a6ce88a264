"""A make-series result charts as one row per bin: the arrays of each series side by side with its bins."""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from services.telemetry.local import LocalTelemetrySource
from services.telemetry.series import long_form, readable_arrays

KQL = """datatable(t:datetime, role:string)
[datetime(2026-01-01T01:10), 'api', datetime(2026-01-01T01:20), 'api', datetime(2026-01-01T03:05), 'api',
 datetime(2026-01-01T02:15), 'worker']
| make-series n = count() on t from datetime(2026-01-01T01:00) to datetime(2026-01-01T04:00) step 1h by role"""


def test_a_make_series_result_becomes_one_row_per_bin(tmp_path: Path) -> None:
    frame = LocalTelemetrySource(tmp_path).query(KQL, timespan=None).frame
    long = long_form(frame)
    assert long is not None and list(long.columns) == ["role", "n", "t"]
    rows = [(r.role, r.t.strftime("%H:%M"), r.n) for r in long.sort_values(["role", "t"]).itertuples()]
    assert rows == [("api", "01:00", 2), ("api", "02:00", 0), ("api", "03:00", 1),
                    ("worker", "01:00", 0), ("worker", "02:00", 1), ("worker", "03:00", 0)]  # fmt: skip
    assert str(long["t"].dtype) == "datetime64[us, UTC]" or str(long["t"].dtype).startswith("datetime64")


def test_figures_of_a_whole_series_are_not_drawn_per_bin(tmp_path: Path) -> None:
    stats = " | extend (lo, lo_idx, hi, hi_idx, mean, sd, var) = series_stats(n) | extend s = series_stats_dynamic(n)"
    kql = KQL + stats
    frame = LocalTelemetrySource(tmp_path).query(kql, timespan=None).frame
    assert sorted(frame.loc[frame["role"] == "api", ["lo", "hi"]].iloc[0]) == [0, 2]  # the table keeps them
    long = long_form(frame)
    assert long is not None and list(long.columns) == ["role", "n", "t"]  # the chart draws the series only


def test_arrays_as_json_text_from_azure_expand_too() -> None:
    frame = pd.DataFrame({"n": ["[1, 2]"], "t": ['["2026-01-01T00:00:00Z", "2026-01-01T01:00:00Z"]']})
    long = long_form(frame)
    assert long is not None and long["n"].tolist() == [1, 2] and long["t"].dt.hour.tolist() == [0, 1]


def test_other_results_are_left_alone() -> None:
    assert long_form(pd.DataFrame({"n": [1, 2], "t": pd.to_datetime(["2026-01-01", "2026-01-02"])})) is None
    assert long_form(pd.DataFrame({"a": ["[1, 2]"], "b": ["[1]"]})) is None  # lengths differ
    assert long_form(pd.DataFrame({"a": ["[1, 2]"], "b": ["[3, 4]"]})) is None  # no bins


def test_an_array_of_times_reads_as_iso_text(tmp_path: Path) -> None:
    frame = LocalTelemetrySource(tmp_path).query(KQL, timespan=None).frame
    shown = readable_arrays(frame)
    assert shown["t"].iloc[0] == ["2026-01-01T01:00:00Z", "2026-01-01T02:00:00Z", "2026-01-01T03:00:00Z"]
    assert list(shown["n"].iloc[0]) == list(frame["n"].iloc[0])  # numbers untouched
    plain = pd.DataFrame({"a": [1]})
    assert readable_arrays(plain) is plain
