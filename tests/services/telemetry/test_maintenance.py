"""The store's upkeep: small files merged per day, a killed compaction finished, the worker's audited pass on its own
thread, and `telemetry retention [--dry-run]`."""

from __future__ import annotations

import threading
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy.engine import Engine

from services import audit
from services.alerts import worker
from services.auth import Actor
from services.cli import main
from services.config import get_settings
from services.db import session_scope
from services.errors import InvalidInput
from services.telemetry import compaction
from services.telemetry.local import LocalTelemetrySource
from services.telemetry.maintenance import maintain_store
from services.telemetry.retention import parse_policy
from services.telemetry.store import MANIFESTS, table_files
from services.telemetry.writer import to_table, write_table
from tests.telemetry_fixtures import AT, req, write

ADMIN = Actor("admin", "admin")
DAY = 24 * 60


def _count(root: Path) -> int:
    return int(LocalTelemetrySource(root).query("AppRequests | count", timespan=None, name="t").frame.iloc[0, 0])


def _records(engine: Engine) -> list[audit.AuditRecord]:
    with session_scope(engine) as s:
        return list(reversed(audit.list_records(s, actor=ADMIN)))


def test_small_files_are_merged_per_day_and_a_large_unconfirmed_or_demo_day_file_is_left(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    root = tmp_path / "t"
    for m in range(5):  # five files on AT's day, three on the day before
        write(root, "AppRequests", [req(m)], name=f"today-{m}")
    for m in range(3):
        write(root, "AppRequests", [req(DAY + m)], name=f"yesterday-{m}")
    big = write(root, "AppRequests", [req(10 + m / 100) for m in range(5000)], name="big")
    write(root, "AppRequests", [req(20)], name="ingest-slot-0-segment-1")
    write(root, "AppRequests", [req(30)], name="seed-20261101")  # the demo writes its day again under this name
    assert big is not None
    monkeypatch.setattr(compaction, "SMALL_BYTES", big.stat().st_size)  # the 5,000-row file is not small
    done = compaction.compact_small_files(root, "AppRequests", skip=frozenset({"ingest-slot-0-segment-1.parquet"}))
    assert (done.files_merged, done.files_written) == (8, 2)
    names = sorted(p.name.split("-")[0] for p in table_files(root, "AppRequests"))
    assert names == ["big.parquet", "compacted", "compacted", "ingest", "seed"]
    assert _count(root) == 5 + 3 + 5000 + 1 + 1


def test_merged_files_stay_under_the_target_size(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    root = tmp_path / "t"
    sizes = [write(root, "AppRequests", [req(m)], name=f"f{m}").stat().st_size for m in range(6)]  # type: ignore[union-attr]
    monkeypatch.setattr(compaction, "TARGET_BYTES", 2 * max(sizes))  # two small files a merge
    assert compaction.compact_small_files(root, "AppRequests") == compaction.Compacted(6, 3)
    assert len(table_files(root, "AppRequests")) == 3 and _count(root) == 6


def test_superseded_files_go_on_the_next_pass_and_a_killed_compaction_leaves_its_parts(tmp_path: Path) -> None:
    root = tmp_path / "t"
    d = root / "AppRequests"
    parts = [write(root, "AppRequests", [req(m)], name=f"part{m}") for m in range(3)]
    assert compaction.compact_small_files(root, "AppRequests") == compaction.Compacted(3, 1)
    assert len(list(d.glob("part*.parquet"))) == 3 and _count(root) == 3  # still there, hidden by the manifest
    [merged] = [p for p in table_files(root, "AppRequests")]
    # the merged file superseded in turn (as a retention rewrite does), before the next pass
    (d / MANIFESTS / "retained-1.txt").write_text(f"retained-1.parquet\n{merged.name}")
    write_table(root, "AppRequests", to_table("AppRequests", [req(m) for m in range(3)]), name="retained-1")
    # a compaction killed before its merged file appeared: its parts stay
    (d / MANIFESTS / "compacted-9.txt").write_text("compacted-9.parquet\nlate.parquet")
    write(root, "AppRequests", [req(9)], name="late")
    assert _count(root) == 4
    assert compaction.remove_superseded(root, "AppRequests") == 4  # the 3 parts and the merged file they made
    assert sorted(p.name for p in d.glob("*.parquet")) == ["late.parquet", "retained-1.parquet"]
    assert not list((d / MANIFESTS).glob("*.txt")) and _count(root) == 4
    assert all(p is not None and not p.exists() for p in parts)


def test_the_maintenance_pass_merges_removes_and_audits_once(sqlite_engine: Engine, tmp_path: Path) -> None:
    root = tmp_path / "t"
    for m in range(4):
        write(root, "AppRequests", [req(m)])
    write(root, "AppTraces", [{"TimeGenerated": AT - timedelta(days=40), "Message": "old", "ItemCount": 1}])
    policy = parse_policy("AppTraces=7")
    with session_scope() as s:
        done = maintain_store(s, actor=ADMIN, root=root, policy=policy, now=AT)
    assert done.files_merged == {"AppRequests": 4}
    assert [(r.table, r.files_removed, r.rows_removed) for r in done.retention] == [("AppTraces", 1, 1)]
    [rec] = _records(sqlite_engine)
    assert (rec.action, rec.entity) == ("telemetry.maintenance", "telemetry_store")
    assert rec.after is not None and rec.after["files_merged"] == {"AppRequests": 4}
    assert rec.after["retention"]["AppTraces"]["rows_removed"] == 1
    assert len(list((root / "AppRequests").glob("*.parquet"))) == 5  # the 4 merged away stay until the next pass
    with session_scope() as s:
        again = maintain_store(s, actor=ADMIN, root=root, policy=policy, now=AT)
    assert (again.changed, again.superseded_removed) == (False, 5)  # the 4 parts and the old AppTraces file
    assert len(list((root / "AppRequests").glob("*.parquet"))) == 1 and _count(root) == 4
    assert len(_records(sqlite_engine)) == 1  # a pass that changed nothing queries read is not recorded
    with session_scope() as s, pytest.raises(Exception, match="needs the operator role; you are viewer"):
        maintain_store(s, actor=Actor("vera", "viewer"), root=root, policy=policy, now=AT)


def test_the_worker_runs_the_pass_on_its_own_thread(
    sqlite_engine: Engine, isolated_settings: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    root = isolated_settings / "telemetry"
    now = datetime.now(UTC)
    write(root, "AppRequests", [{**req(0), "TimeGenerated": now - timedelta(days=40)}])
    write(root, "AppRequests", [{**req(0), "TimeGenerated": now}])
    monkeypatch.setenv("SRE_RETENTION_DAYS", "30")
    monkeypatch.setenv("SRE_WORKER_MAINTENANCE_MIN", "0.001")  # a pass every 60 ms
    get_settings.cache_clear()
    stop = threading.Event()
    thread = worker.start_maintenance(stop)
    assert thread is not None
    deadline = time.monotonic() + 30
    while not _records(sqlite_engine) and time.monotonic() < deadline:
        time.sleep(0.05)
    stop.set()
    thread.join(10)
    [rec] = _records(sqlite_engine)
    assert (rec.actor, rec.action) == ("alert-worker", "telemetry.maintenance")
    assert _count(root) == 1


def test_the_worker_refuses_a_retention_it_cannot_read(sqlite_engine: Engine, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SRE_RETENTION_DAYS", "AppRequests=ninety")
    get_settings.cache_clear()
    with pytest.raises(InvalidInput, match=r"'ninety' \(AppRequests\) is not a whole number of days"):
        worker.run(LocalTelemetrySource(Path(".")), {}, stop=threading.Event())
    assert main(["worker"]) == 2


def test_telemetry_retention_from_the_cli(
    sqlite_engine: Engine, isolated_settings: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    root = isolated_settings / "telemetry"
    now = datetime.now(UTC)
    write(root, "AppRequests", [{**req(0), "TimeGenerated": now - timedelta(days=d)} for d in (0, 1, 40, 41)])
    assert main(["telemetry", "retention"]) == 0
    assert "SRE_RETENTION_DAYS is not set: every table keeps every row" in capsys.readouterr().out
    monkeypatch.setenv("SRE_RETENTION_DAYS", "AppRequests=30")
    get_settings.cache_clear()
    cutoff = (now - timedelta(days=30)).strftime("%Y-%m-%d")
    assert main(["telemetry", "retention", "--dry-run"]) == 0
    line = f"AppRequests: keeps rows from {cutoff} 00:00 UTC; would remove 2 rows (0 files whole, 1 rewritten)"
    assert capsys.readouterr().out.strip() == line
    assert _count(root) == 4 and _records(sqlite_engine) == []
    assert main(["--actor", "viewer", "telemetry", "retention"]) == 2
    assert "Applying telemetry retention needs the operator role; you are viewer." in capsys.readouterr().err
    assert main(["--actor", "operator", "telemetry", "retention"]) == 0
    assert capsys.readouterr().out.strip() == line.replace("would remove", "removed")
    assert _count(root) == 2
    [rec] = _records(sqlite_engine)
    assert (rec.action, rec.actor) == ("telemetry.retention", "operator")
    monkeypatch.setenv("SRE_RETENTION_DAYS", "AppRequest=30")
    get_settings.cache_clear()
    assert main(["telemetry", "retention"]) == 2
    assert "there is no table 'AppRequest'" in capsys.readouterr().err
