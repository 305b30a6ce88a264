"""The local store: literals that cannot change a query, syntax errors with line and column, atomic files,
corrupt files named, compaction that never double-counts."""

from __future__ import annotations

import multiprocessing as mp
from datetime import timedelta
from pathlib import Path

import pytest

from services.errors import InvalidInput, QueryError
from services.telemetry import catalogue
from services.telemetry.kql import literal
from services.telemetry.local import LocalTelemetrySource
from services.telemetry.store import table_files
from services.telemetry.writer import compact, to_table, write_table
from tests.telemetry_fixtures import AT, req, write

SPAN = (AT - timedelta(days=1), AT)
HOSTILE = [
    'mana" or 1==1 or "',
    'mana" | take 0 | union AppRequests | where "1"=="1',
    "mana'; drop table AppRequests; --",
    "mana\\",
    'mana\\" or true or "',
    "mana\n| where true",
    "mana | summarize count()",
    "ม้านะ",
]


@pytest.fixture
def source(tmp_path: Path) -> LocalTelemetrySource:
    root = tmp_path / "t"
    write(root, "AppRequests", [req(m) for m in range(1, 8)] + [req(3, role=h) for h in HOSTILE[-1:]])
    return LocalTelemetrySource(root)


@pytest.mark.parametrize("value", HOSTILE)
def test_user_values_cannot_change_a_query(source: LocalTelemetrySource, value: str) -> None:
    text = catalogue.render("service_health", start=SPAN[0], end=SPAN[1], service=value)
    requests = source.query(text, timespan=SPAN).frame.requests.iloc[0]
    # only the exact role name matches: the Thai one has its row, every other value none
    assert requests == (1 if value == "ม้านะ" else 0)
    plain = catalogue.render("service_health", start=SPAN[0], end=SPAN[1], service="mana")
    assert source.query(plain, timespan=SPAN).frame.requests.iloc[0] == 7


def test_literals() -> None:
    assert literal('a"b\\c\nd') == '"a\\"b\\\\c\\nd"'
    assert literal(True) == "true" and literal(5) == "long(5)" and literal(1.5) == "real(1.5)"
    assert literal(AT) == "datetime(2026-11-01T12:00:00.000000Z)"
    assert literal(timedelta(minutes=5)) == "time(0.00:05:00.000000)"
    with pytest.raises(InvalidInput, match="control characters"):
        literal("a\x00b")
    with pytest.raises(InvalidInput, match="time zone"):
        literal(AT.replace(tzinfo=None))


def test_a_syntax_error_names_line_and_column(source: LocalTelemetrySource) -> None:
    with pytest.raises(QueryError, match=r"line 2, column 1") as exc:
        source.query("AppRequests\n| wherex Success == false", timespan=SPAN, name="my query")
    assert exc.value.line == 2 and exc.value.column == 1
    assert "my query" in str(exc.value)


def test_unsupported_kql_gets_a_hint(source: LocalTelemetrySource) -> None:
    with pytest.raises(QueryError, match=r"partition \(line 1, column 15\) .* `summarize arg_max\("):
        source.query("AppRequests | partition hint.strategy=native by Name (top 1 by DurationMs)", timespan=SPAN)


def test_unknown_table_is_a_clear_error(source: LocalTelemetrySource) -> None:
    with pytest.raises(QueryError, match="AppNope"):
        source.query("AppNope | take 1", timespan=SPAN)


def test_tables_without_files_are_empty_not_errors(source: LocalTelemetrySource) -> None:
    assert source.query("AppTraces | summarize n = count()", timespan=SPAN).frame.n.iloc[0] == 0


def test_the_timespan_restricts_every_table(source: LocalTelemetrySource) -> None:
    short = (AT - timedelta(minutes=3, seconds=30), AT)
    assert source.query("AppRequests | summarize n = count()", timespan=short).frame.n.iloc[0] == 4


def test_row_cap_cuts_with_a_notice(tmp_path: Path) -> None:
    root = tmp_path / "t"
    write(root, "AppRequests", [req(m) for m in range(20)])
    res = LocalTelemetrySource(root, row_cap=5).query("AppRequests", timespan=SPAN)
    assert len(res.frame) == 5 and res.truncated and "first 5 rows" in (res.warning or "")


def test_a_corrupt_file_is_named_and_the_rest_is_intact(tmp_path: Path) -> None:
    root = tmp_path / "t"
    write(root, "AppRequests", [req(1)])
    bad = root / "AppRequests" / "broken.parquet"
    bad.write_bytes(b"PAR1 this is not parquet")
    src = LocalTelemetrySource(root)
    res = src.query("AppRequests | summarize n = count()", timespan=SPAN)
    assert res.frame.n.iloc[0] == 1 and [f.path for f in res.skipped] == [str(bad)]
    assert "not a readable Parquet file" in res.skipped[0].reason
    bad.rename(tmp_path / "moved.parquet")
    res = src.query("AppRequests | summarize n = count()", timespan=SPAN)
    assert res.frame.n.iloc[0] == 1 and res.skipped == ()


def _hammer_writer(root: str, n: int) -> None:
    for i in range(n):
        write_table(Path(root), "AppRequests", to_table("AppRequests", [req(1 + i % 50) for _ in range(200)]))


def test_readers_never_see_half_a_file_while_another_process_writes(tmp_path: Path) -> None:
    root = tmp_path / "t"
    write(root, "AppRequests", [req(1)])
    proc = mp.get_context("spawn").Process(target=_hammer_writer, args=(str(root), 40))
    proc.start()
    src = LocalTelemetrySource(root)
    counts = []
    while proc.is_alive():
        counts.append(int(src.query("AppRequests | summarize n = count()", timespan=SPAN).frame.n.iloc[0]))
    proc.join()
    assert proc.exitcode == 0
    assert all((c - 1) % 200 == 0 for c in counts)  # whole files only
    assert counts == sorted(counts)
    assert src.query("AppRequests | summarize n = count()", timespan=SPAN).frame.n.iloc[0] == 1 + 40 * 200


def test_compaction_merges_files_and_keeps_every_row(tmp_path: Path) -> None:
    root = tmp_path / "t"
    for m in range(5):
        write(root, "AppRequests", [req(m + 1), req(m + 1.5)])
    src = LocalTelemetrySource(root)
    merged, _ = compact(root, "AppRequests")
    assert merged == 5 and len(table_files(root, "AppRequests")) == 1
    assert src.query("AppRequests | summarize n = count()", timespan=SPAN).frame.n.iloc[0] == 10


def test_a_half_done_compaction_never_double_counts(tmp_path: Path) -> None:
    root = tmp_path / "t"
    parts = [write(root, "AppRequests", [req(m + 1)]) for m in range(3)]
    # simulate a compaction stopped after the merged file is in place but before the parts were removed
    d = root / "AppRequests"
    (d / "_compaction").mkdir()
    (d / "_compaction" / "merged.txt").write_text("\n".join(["merged.parquet", *(p.name for p in parts if p)]))
    write(root, "AppRequests", [req(1), req(2), req(3)], name="merged")
    src = LocalTelemetrySource(root)
    assert src.query("AppRequests | summarize n = count()", timespan=SPAN).frame.n.iloc[0] == 3


def test_only_files_whose_time_range_overlaps_are_read(tmp_path: Path) -> None:
    from services.telemetry.store import files_overlapping

    root = tmp_path / "t"
    old = write(root, "AppRequests", [req(60 * 48), req(60 * 47)])  # two days ago
    new = write(root, "AppRequests", [req(5), req(1)])
    assert files_overlapping(root, "AppRequests", *SPAN) == [new]
    assert files_overlapping(root, "AppRequests", AT - timedelta(days=3), AT) == sorted([old, new])
    src = LocalTelemetrySource(root)
    assert src.query("AppRequests | summarize n = count()", timespan=SPAN).frame.n.iloc[0] == 2
    assert src.query("AppRequests | summarize n = count()", timespan=None).frame.n.iloc[0] == 4


def test_join_and_union_work_on_the_local_store(tmp_path: Path) -> None:
    root = tmp_path / "t"
    write(root, "AppRequests", [req(1, op="op-1", name="GET /a"), req(2, op="op-2", name="GET /b")])
    write(
        root,
        "AppDependencies",
        [
            {
                "TimeGenerated": AT - timedelta(minutes=1),
                "OperationId": "op-1",
                "Target": "api.dopa.go.th",
                "ItemCount": 1,
            }
        ],
    )
    src = LocalTelemetrySource(root)
    joined = src.query(
        "AppRequests | join kind=inner (AppDependencies) on OperationId | project Name, Target", timespan=SPAN
    ).frame
    assert list(zip(joined.Name, joined.Target, strict=True)) == [("GET /a", "api.dopa.go.th")]
    both = src.query("union AppRequests, AppDependencies | summarize n = count()", timespan=SPAN).frame
    assert both.n.iloc[0] == 3
