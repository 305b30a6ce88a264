"""The demo's older days written in the background: the same rows as a whole seeding, resumable, and noted."""

from __future__ import annotations

import hashlib
import threading
from datetime import UTC, datetime
from pathlib import Path

import pyarrow.parquet as pq

from services.demo import generator, history
from services.demo.generator import TABLES_WRITTEN
from services.telemetry.store import table_files

END = datetime(2026, 11, 20, 12, 0, tzinfo=UTC)
DAYS, RECENT, RATE = 4, 2, 3.0  # 4 days ending at noon: 5 UTC day spans, the newest 2 now, 3 older later


def _digest(root: Path) -> dict[str, str]:
    """Each table's files by name, with a digest of their rows (file names say the day)."""
    out = {}
    for table in TABLES_WRITTEN:
        for f in table_files(root, table):
            rows = pq.read_table(f).to_pylist()
            out[f"{table}/{f.name}"] = hashlib.sha256(repr(rows).encode()).hexdigest()
    return out


def _recent(root: Path) -> history.Pending:
    later = history.plan(root, end=END, days=DAYS, recent_days=RECENT, seed=7, rate_per_minute=RATE)
    assert later is not None
    generator.seed(root, days=DAYS, seed=7, end=END, rate_per_minute=RATE, which=slice(-RECENT, None))
    return later


def test_the_recent_days_then_the_backfill_give_the_rows_of_a_whole_seeding(tmp_path: Path) -> None:
    whole, split = tmp_path / "whole", tmp_path / "split"
    generator.seed(whole, days=DAYS, seed=7, end=END, rate_per_minute=RATE)
    later = _recent(split)
    assert (later.total, later.done) == (3, 0)
    assert {n.split("/")[1] for n in _digest(split)} == {"seed-20261119.parquet", "seed-20261120.parquet"}
    assert history.pending(split) == later  # the note the Home page reads

    assert history.backfill(split) == 3
    assert _digest(split) == _digest(whole)
    assert history.pending(split) is None  # done: the note is gone


def test_a_stopped_backfill_resumes_where_it_stopped(tmp_path: Path) -> None:
    _recent(tmp_path)
    stop = threading.Event()
    real_seed = generator.seed

    def seed_one_then_stop(*args, **kwargs):  # type: ignore[no-untyped-def]
        out = real_seed(*args, **kwargs)
        stop.set()  # as SIGTERM would, after the first older day
        return out

    generator.seed = seed_one_then_stop  # type: ignore[assignment]
    try:
        assert history.backfill(tmp_path, stop=stop) == 1
    finally:
        generator.seed = real_seed  # type: ignore[assignment]
    left = history.pending(tmp_path)
    assert left is not None and (left.done, left.total) == (1, 3)
    assert "AppRequests/seed-20261118.parquet" in _digest(tmp_path)  # newest older day first
    assert history.backfill(tmp_path) == 2 and history.pending(tmp_path) is None


def test_a_note_that_cannot_be_read_is_no_pending_history(tmp_path: Path) -> None:
    (tmp_path / history.NOTE).write_text("{not json")
    assert history.pending(tmp_path) is None and history.backfill(tmp_path) == 0
    assert history.plan(tmp_path, end=END, days=2, recent_days=5, seed=7) is None  # recent covers it all
