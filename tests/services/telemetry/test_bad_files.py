"""One bad file in the local store never takes it down: it is left out of queries and named, the rest answers."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from services import cli
from services.auth import local_actor
from services.telemetry import runner
from services.telemetry.local import LocalTelemetrySource
from services.telemetry.schema import table_schema
from services.telemetry.store import FOOTERS, readable_files, table_files
from services.telemetry.writer import compact
from tests.telemetry_fixtures import AT, req, write

START, END = AT - timedelta(days=1), AT


def good_store(root: Path) -> None:
    """Three requests of mana in two files: one failed, durations 100, 200, 300 ms."""
    write(root, "AppRequests", [req(1, ms=100), req(2, ms=200)])
    write(root, "AppRequests", [req(3, ok=False, ms=300)])


def wrong_types(path: Path) -> None:
    """Every column of AppRequests by name, each one stored as text (TimeGenerated too)."""
    pq.write_table(pa.table({f.name: pa.array(["x"], pa.string()) for f in table_schema("AppRequests")}), path)


def health(root: Path) -> tuple[dict[str, object], tuple[str, ...], tuple[str, ...]]:
    """The service_health catalogue query through the one telemetry path: its row, skipped paths, notices."""
    res = runner.run(
        LocalTelemetrySource(root), "service_health", actor=local_actor(), start=START, end=END, service="mana"
    )
    return res.frame.iloc[0].to_dict(), tuple(f.path for f in res.skipped), res.notices


BAD_FILES = {
    "wrong types": (wrong_types, "TimeGenerated is VARCHAR, expected TIMESTAMP WITH TIME ZONE"),
    # a writer killed mid-write under the final name: the first bytes of a Parquet file and no footer
    "truncated": (lambda p: p.write_bytes(b"PAR1\x15\x04\x15\x80"), "not a readable Parquet file"),
    "zero bytes": (lambda p: p.write_bytes(b""), "an empty file (0 bytes)"),
    "missing required column": (
        lambda p: pq.write_table(pa.table({"TimeGenerated": pa.array([AT], pa.timestamp("us", tz="UTC"))}), p),
        "lacks the required columns Success, DurationMs",
    ),
}


@pytest.mark.parametrize("kind", BAD_FILES)
def test_a_bad_file_is_left_out_and_named_while_the_others_answer(tmp_path: Path, kind: str) -> None:
    good_store(tmp_path)
    make, reason = BAD_FILES[kind]
    bad = tmp_path / "AppRequests" / "bad.parquet"
    make(bad)
    row, skipped, notices = health(tmp_path)
    # the good files alone: 3 requests, 1 failed (1/3), p95 of 100, 200, 300 ms interpolated = 290 ms
    assert (row["requests"], row["failed"]) == (3, 1)
    assert row["failure_rate"] == pytest.approx(1 / 3)
    assert row["p95_ms"] == pytest.approx(290, abs=10)
    assert skipped == (str(bad),)
    assert len(notices) == 1 and str(bad) in notices[0] and reason in notices[0]
    assert "sre-backoffice telemetry check" in notices[0]


def test_a_bad_file_of_another_table_is_not_named(tmp_path: Path) -> None:
    good_store(tmp_path)
    (tmp_path / "AppTraces").mkdir()
    (tmp_path / "AppTraces" / "bad.parquet").write_bytes(b"garbage")
    row, skipped, notices = health(tmp_path)
    assert row["requests"] == 3 and skipped == () and notices == ()


def test_extra_columns_and_missing_optional_columns_keep_working(tmp_path: Path) -> None:
    good_store(tmp_path)
    # a lighter writer: nanosecond times, a narrower ItemCount, no Name/ResultCode/Type, and a column of its own
    ns = pa.timestamp("ns", tz="UTC")
    pq.write_table(
        pa.table(
            {
                "TimeGenerated": pa.array([AT - timedelta(minutes=4)], ns),
                "AppRoleName": ["mana"],
                "Success": [False],
                "DurationMs": [400.0],
                "ItemCount": pa.array([2], pa.int32()),
                "MyOwnColumn": ["kept out"],
            }
        ),
        tmp_path / "AppRequests" / "lighter.parquet",
    )
    row, skipped, notices = health(tmp_path)
    assert (row["requests"], row["failed"]) == (3 + 2, 1 + 2) and skipped == () and notices == ()
    frame = LocalTelemetrySource(tmp_path).query("AppRequests | where DurationMs == 400", timespan=(START, END)).frame
    assert list(frame.columns) == table_schema("AppRequests").names  # the table's columns, the extra one left out
    assert frame.Name.isna().all() and list(frame.Type) == ["AppRequests"]


def test_the_verdict_is_read_once_per_file_version(tmp_path: Path) -> None:
    good_store(tmp_path)
    wrong_types(tmp_path / "AppRequests" / "bad.parquet")
    FOOTERS.clear()
    health(tmp_path)
    reads = FOOTERS.misses
    assert reads == 3
    health(tmp_path)
    health(tmp_path)
    assert FOOTERS.misses == reads  # no footer read again
    assert FOOTERS.maxsize is not None  # bounded
    # the bad file rewritten in place is a new version: read again, and now it answers
    (tmp_path / "AppRequests" / "bad.parquet").unlink()
    write(tmp_path, "AppRequests", [req(5)], name="bad")
    row, skipped, _ = health(tmp_path)
    assert FOOTERS.misses == reads + 1 and row["requests"] == 4 and skipped == ()


def test_compaction_merges_the_good_files_and_leaves_the_bad_one(tmp_path: Path) -> None:
    good_store(tmp_path)
    bad = tmp_path / "AppRequests" / "bad.parquet"
    wrong_types(bad)
    merged, out = compact(tmp_path, "AppRequests")
    assert merged == 2 and out is not None
    assert sorted(f.name for f in table_files(tmp_path, "AppRequests")) == sorted([out.name, "bad.parquet"])
    assert pq.read_metadata(out).num_rows == 3 and bad.read_bytes().startswith(b"PAR1")
    good, skipped = readable_files(tmp_path, "AppRequests")
    assert list(good) == [out] and [s.path for s in skipped] == [str(bad)]
    assert health(tmp_path)[0]["requests"] == 3


def test_check_lists_every_bad_file_with_its_reason_and_fails(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    from services.config import get_settings

    good_store(tmp_path)
    wrong_types(tmp_path / "AppRequests" / "bad.parquet")
    (tmp_path / "AppTraces").mkdir()
    (tmp_path / "AppTraces" / "empty.parquet").write_bytes(b"")
    monkeypatch.setenv("SRE_TELEMETRY_DIR", str(tmp_path))
    get_settings.cache_clear()
    assert cli.main(["telemetry", "check"]) == 2
    out, err = capsys.readouterr()
    assert f"{tmp_path / 'AppRequests' / 'bad.parquet'}: TimeGenerated is VARCHAR" in out
    assert f"{tmp_path / 'AppTraces' / 'empty.parquet'}: an empty file (0 bytes)" in out
    assert "AppRequests: 2 files readable, 1 left out" in out
    assert "2 telemetry files are left out of every query" in err
    for f in (tmp_path / "AppRequests" / "bad.parquet", tmp_path / "AppTraces" / "empty.parquet"):
        f.unlink()
    assert cli.main(["telemetry", "check"]) == 0
    assert "AppRequests: 2 files readable, 0 left out" in capsys.readouterr().out
