"""The spool keeps what was acknowledged: a process killed after answering loses nothing, its rows are written once
by the next process, a line torn by the crash is skipped, and a replay cut short rewrites rather than duplicates."""

from __future__ import annotations

import shutil
import subprocess
import sys
import textwrap
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pyarrow.parquet as pq

from services.ingest.spool import CURRENT, Spool, drain_segment, replay_orphans
from services.telemetry.store import table_files

ROOT = Path(__file__).resolve().parents[3]
AT = datetime(2026, 12, 1, 12, 0, tzinfo=UTC)


def rows(n: int, start: int = 0) -> dict[str, list[dict[str, object]]]:
    return {"AppRequests": [{"TimeGenerated": AT + timedelta(seconds=i), "Name": "GET /api/shops", "Id": f"r{i}",
                             "Success": True, "ResultCode": "200", "DurationMs": 12.5, "ItemCount": 1}
                            for i in range(start, start + n)]}  # fmt: skip


def stored(store: Path, table: str = "AppRequests") -> list[str]:
    return sorted(i for f in table_files(store, table) for i in pq.read_table(f, columns=["Id"])["Id"].to_pylist())


def test_rows_acknowledged_by_a_process_that_was_killed_are_written_once_by_the_next(tmp_path: Path) -> None:
    spool_dir, store = tmp_path / "spool", tmp_path / "store"
    script = textwrap.dedent(f"""
        import os, sys
        sys.path.insert(0, {str(ROOT)!r})
        from tests.services.ingest.test_spool import rows
        from services.ingest.spool import Spool
        from pathlib import Path
        spool = Spool(Path({str(spool_dir)!r}), Path({str(store)!r}))
        spool.append(rows(3))
        spool.append(rows(2, start=3))
        os._exit(0)  # killed: no flush, no close, the lock dies with the process
    """)
    subprocess.run([sys.executable, "-c", script], check=True, timeout=60)
    assert stored(store) == []
    # a line the crash tore in half: never acknowledged
    with open(spool_dir / "slot-0" / CURRENT, "ab") as fh:
        fh.write(b'{"AppRequests":[{"TimeGenerated":"2026-12-01T12:00')
    assert replay_orphans(spool_dir, store) == 5
    assert stored(store) == ["r0", "r1", "r2", "r3", "r4"]
    assert replay_orphans(spool_dir, store) == 0  # replayed once
    assert stored(store) == ["r0", "r1", "r2", "r3", "r4"]


def test_a_replay_cut_short_rewrites_the_same_files(tmp_path: Path) -> None:
    spool = Spool(tmp_path / "spool", tmp_path / "store")
    spool.append(rows(4))
    spool._rotate()
    (segment,) = spool.slot.path.glob("segment-*.ndjson")
    kept = tmp_path / "copy.ndjson"
    shutil.copy(segment, kept)
    assert spool.flush() == 4
    shutil.copy(kept, segment)  # as if the process died after writing the Parquet file, before removing the segment
    drain_segment(segment, tmp_path / "store")
    assert stored(tmp_path / "store") == ["r0", "r1", "r2", "r3"]  # the same file rewritten, not a copy added
    spool.close()


def test_a_live_process_keeps_its_slot_and_a_second_process_takes_another(tmp_path: Path) -> None:
    first = Spool(tmp_path / "spool", tmp_path / "store")
    second = Spool(tmp_path / "spool", tmp_path / "store")
    assert (first.slot.path.name, second.slot.path.name) == ("slot-0", "slot-1")
    first.append(rows(2))
    assert replay_orphans(tmp_path / "spool", tmp_path / "store") == 0  # slot-0 is held: not an orphan
    first.close()
    second.close()
    assert stored(tmp_path / "store") == ["r0", "r1"]


def test_flushing_is_due_by_age_or_by_rows(tmp_path: Path) -> None:
    spool = Spool(tmp_path / "spool", tmp_path / "store")
    assert not spool.due(max_age_s=0.0, max_rows=10)  # nothing pending
    spool.append(rows(3))
    assert spool.due(max_age_s=0.0, max_rows=10)
    assert spool.due(max_age_s=3600, max_rows=3)
    assert not spool.due(max_age_s=3600, max_rows=4)
    spool.close()
