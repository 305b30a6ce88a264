"""Retention of the local store: SRE_RETENTION_DAYS read or refused with one message, old files removed whole, a file
that straddles the cutoff rewritten without losing a kept row, while queries read and new files arrive."""

from __future__ import annotations

import threading
from datetime import UTC, datetime
from pathlib import Path

import pytest

from services.errors import InvalidInput
from services.telemetry import compaction
from services.telemetry.local import LocalTelemetrySource
from services.telemetry.retention import RetentionPolicy, apply_table, parse_policy
from services.telemetry.schema import TABLES
from services.telemetry.store import table_files
from tests.telemetry_fixtures import AT, req, write

DAY = 24 * 60  # minutes
CUTOFF = datetime(2026, 10, 2, tzinfo=UTC)  # AT is 2026-11-01 12:00; 30 days before that day's midnight


def test_one_number_is_every_table() -> None:
    policy = parse_policy(" 30 ")
    assert policy.days == dict.fromkeys(TABLES, 30)
    assert policy.cutoff("AppTraces", AT) == CUTOFF


def test_per_table_days_with_a_default_for_the_others() -> None:
    policy = parse_policy("AppTraces=7, AppRequests=90,*=30")
    assert (policy.days["AppTraces"], policy.days["AppRequests"], policy.days["AppEvents"]) == (7, 90, 30)
    assert policy.cutoff("AppTraces", AT) == datetime(2026, 10, 25, tzinfo=UTC)
    only = parse_policy("AppTraces=7")
    assert only.days == {"AppTraces": 7} and only.cutoff("AppRequests", AT) is None  # the others keep every row
    assert parse_policy("").days == {} and parse_policy("").describe() == "every table keeps every row"


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("AppTrace=7", "SRE_RETENTION_DAYS='AppTrace=7': there is no table 'AppTrace'; the tables are AppRequests"),
        ("thirty", "'thirty' (every table) is not a whole number of days; write `30` for every table"),
        ("0", "0 days (every table) is out of range; give 1 to 36,500 days"),
        ("AppTraces=7,AppTraces=8", "AppTraces is named twice"),
        ("AppTraces:7,*=30", "'AppTraces:7' is not Table=days"),
        ("AppTraces=7.5", "'7.5' (AppTraces) is not a whole number of days"),
    ],
)
def test_a_setting_that_cannot_be_read_is_refused_with_what_to_write(text: str, message: str) -> None:
    with pytest.raises(InvalidInput) as exc:
        parse_policy(text)
    assert message in str(exc.value)


def _count(root: Path, kql: str = "AppRequests") -> int:
    frame = LocalTelemetrySource(root).query(kql + " | count", timespan=None, name="t").frame
    return int(frame.iloc[0, 0])


def _store(root: Path) -> dict[str, Path]:
    """Three files: all older than CUTOFF (31-40 days before AT), straddling it (25-35 days), all newer (0-9 days)."""
    spans = {"old": range(31, 41), "straddling": range(25, 36), "new": range(10)}
    return {
        name: write(root, "AppRequests", [req(d * DAY + 1, op=f"{name}-{d}") for d in days], name=name)
        for name, days in spans.items()
    }


def test_old_files_go_whole_and_a_straddling_file_keeps_exactly_its_newer_rows(tmp_path: Path) -> None:
    root = tmp_path / "t"
    files = _store(root)
    new_stat = files["new"].stat()
    # rows before 2026-10-02 00:00: days 31..40 of "old" (10), days 31..35 of "straddling" (5); day 30 is
    # 2026-10-02 11:59, kept
    dry = apply_table(root, "AppRequests", CUTOFF, dry_run=True)
    assert (dry.files_removed, dry.files_rewritten, dry.rows_removed) == (1, 1, 15)
    assert _count(root) == 31  # a dry run changes nothing

    done = apply_table(root, "AppRequests", CUTOFF)
    assert (done.files_removed, done.files_rewritten, done.rows_removed) == (1, 1, 15)
    names = sorted(p.name for p in table_files(root, "AppRequests"))
    assert names[0] == "new.parquet" and names[1].startswith("retained-") and len(names) == 2
    assert files["straddling"].exists() and files["old"].exists()  # hidden by their manifests until the next pass
    kept = LocalTelemetrySource(root).query("AppRequests | project OperationId", timespan=None, name="t").frame
    assert sorted(kept.OperationId) == sorted(
        [f"straddling-{d}" for d in range(25, 31)] + [f"new-{d}" for d in range(10)]
    )
    assert files["new"].stat().st_mtime_ns == new_stat.st_mtime_ns  # untouched
    assert not list((root / "AppRequests").glob(".*.tmp"))  # no temporary left behind
    again = apply_table(root, "AppRequests", CUTOFF)
    assert not again.changed  # the cutoff moves once a day: the next pass has nothing to do


def test_queries_and_new_files_during_retention_see_every_kept_row(tmp_path: Path) -> None:
    root = tmp_path / "t"
    # 12 straddling files, each with 3 rows to keep (25-27 days old) and 2 to remove (35-36 days old), and 6 old ones
    for i in range(12):
        write(root, "AppRequests", [req(d * DAY + i + 1) for d in (25, 26, 27, 35, 36)], name=f"f{i:02d}")
    for i in range(6):
        write(root, "AppRequests", [req(d * DAY + i + 1) for d in (33, 34)], name=f"old{i}")
    kept_range = f"AppRequests | where TimeGenerated >= datetime({CUTOFF:%Y-%m-%d})"
    seen: list[int] = []
    errors: list[BaseException] = []
    first, stop = threading.Event(), threading.Event()

    def reader() -> None:  # its own source and DuckDB connection, as another process has
        source = LocalTelemetrySource(root)
        try:
            while True:
                last = stop.is_set()  # set before this query started: it sees every file
                seen.append(int(source.query(kept_range + " | count", timespan=None, name="r").frame.iloc[0, 0]))
                first.set()
                if last:
                    return
        except BaseException as exc:  # reported by the test below
            errors.append(exc)
            first.set()

    def flusher() -> None:  # the ingest flusher writing new files meanwhile
        for i in range(10):
            write(root, "AppRequests", [req(1 + i)], name=f"ingest-{i:02d}")

    threads = [threading.Thread(target=reader), threading.Thread(target=flusher)]
    threads[0].start()
    assert first.wait(60)
    threads[1].start()
    done = apply_table(root, "AppRequests", CUTOFF)
    threads[1].join(60)
    stop.set()
    threads[0].join(60)
    assert not errors
    assert (done.files_rewritten, done.files_removed, done.rows_removed) == (12, 6, 24 + 12)
    # every count: the 36 kept rows of the rewritten files, plus the new files written so far (0 to 10)
    assert all(36 <= n <= 46 for n in seen), seen
    assert seen[-1] == 46 and _count(root) == 46
    assert compaction.remove_superseded(root, "AppRequests") == 18  # the next pass: the 12 rewritten, the 6 old
    assert _count(root) == 46 and len(table_files(root, "AppRequests")) == 12 + 10


def test_a_table_without_retention_keeps_every_row() -> None:
    assert RetentionPolicy({"AppTraces": 7}).cutoff("AppRequests", AT) is None
