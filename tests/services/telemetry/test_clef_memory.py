"""The CLEF import of a large valid file in bounded memory, and an import that fails or is killed leaves nothing."""

from __future__ import annotations

import gzip
import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pyarrow.parquet as pq
import pytest
from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session

from services.auth import Actor
from services.config import get_settings
from services.db import session_scope
from services.errors import InvalidInput
from services.telemetry import writer
from services.telemetry.clef_import import import_files
from services.telemetry.local import LocalTelemetrySource
from services.telemetry.store import footer, table_files
from tests.hostile_uploads import ROOT, run_cli

pytestmark = pytest.mark.heavy  # processes and hundreds of MB: not in `make later`, which looks for dates

FIXTURES = Path(__file__).resolve().parents[2] / "fixtures" / "clef"
ADMIN = Actor("admin", "admin")
COMPACT = (FIXTURES / "compact.clef").read_bytes()  # 8 lines: 6 traces, 2 exceptions, 12:00:00.1234567 to 12:00:07


def _repeated(path: Path, size: int) -> int:
    """The fixture repeated to about `size` bytes, written a 16 MB block at a time; its number of copies."""
    block = COMPACT * ((16 << 20) // len(COMPACT))
    copies = size // len(block)
    with open(path, "wb") as fh:
        for _ in range(copies):
            fh.write(block)
    return copies * ((16 << 20) // len(COMPACT))


@pytest.fixture
def db(sqlite_engine: Engine) -> Iterator[Session]:
    """A session on the test's migrated database: an import writes its audit record there."""
    with session_scope(sqlite_engine) as s:
        yield s


def _rows(root: Path, table: str) -> int:
    return sum(pq.ParquetFile(f).metadata.num_rows for f in table_files(root, table))


def test_a_large_valid_file_is_imported_whole_in_bounded_memory(sqlite_engine: Engine, tmp_path: Path) -> None:
    big = tmp_path / "big.clef"
    copies = _repeated(big, 300 << 20)
    root = tmp_path / "telemetry"
    try:
        run = run_cli("import", "clef", big, env={"SRE_TELEMETRY_DIR": str(root)})
    finally:
        big.unlink()
    assert run.code == 0, run.err
    # holding every parsed event until the end, as the import once did, peaked at 1.6 GB on this file
    assert run.peak_mb < 600, f"peak {run.peak_mb:.0f} MB"
    traces, exceptions, lines = 6 * copies, 2 * copies, 8 * copies
    assert f"imported {traces:,} traces and {exceptions:,} exceptions from {lines:,} lines into" in run.out
    assert (_rows(root, "AppTraces"), _rows(root, "AppExceptions")) == (traces, exceptions)
    assert [len(table_files(root, t)) for t in ("AppTraces", "AppExceptions")] == [1, 1]  # one file per table
    assert not list(root.rglob("*.tmp"))
    first, last = datetime(2026, 11, 1, 12, 0, 0, 123456, tzinfo=UTC), datetime(2026, 11, 1, 12, 0, 7, tzinfo=UTC)
    assert footer(table_files(root, "AppTraces")[0], "AppTraces").time_range == (first, last)  # what pruning reads
    src = LocalTelemetrySource(root)
    frame = src.query("AppExceptions | summarize n = count() by ExceptionType | order by n asc", timespan=None).frame
    assert frame["n"].tolist() == [copies, copies]


def test_an_import_that_fails_on_a_later_file_leaves_no_file(
    db: Session, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(writer, "ROW_GROUP_ROWS", 1)  # every batch is written to the temporaries at once
    monkeypatch.setenv("SRE_UPLOAD_MAX_DECOMPRESSED_MB", "1")
    get_settings.cache_clear()
    bomb = tmp_path / "big.clef.gz"
    bomb.write_bytes(gzip.compress(COMPACT * 1000))  # 2.3 MB once decompressed
    with pytest.raises(InvalidInput, match="big.clef.gz: holds more than the 1 MB"):
        import_files(db, tmp_path / "t", [FIXTURES / "compact.clef", bomb], actor=ADMIN, service="mana")
    assert [p for p in (tmp_path / "t").rglob("*") if p.is_file()] == []  # neither files nor temporaries


def test_a_killed_import_leaves_no_visible_file_and_the_store_answers(db: Session, tmp_path: Path) -> None:
    root = tmp_path / "telemetry"
    import_files(db, root, [FIXTURES / "compact.clef"], actor=ADMIN, service="mana")
    db.commit()  # the child process records its own import in the same database
    before = {t: table_files(root, t) for t in ("AppTraces", "AppExceptions")}
    big = tmp_path / "big.clef"
    _repeated(big, 100 << 20)
    proc = subprocess.Popen(
        [sys.executable, "-m", "services.cli", "import", "clef", str(big)],
        env={**os.environ, "PYTHONPATH": str(ROOT), "SRE_TELEMETRY_DIR": str(root)},
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=True,  # its worker processes are killed with it
    )
    try:
        deadline = time.monotonic() + 300
        while not list(root.rglob(".*.tmp")) and proc.poll() is None and time.monotonic() < deadline:
            time.sleep(0.02)
        assert proc.poll() is None, "the import ended before it was killed"
        assert list(root.rglob(".*.tmp")), "no row group was written within 300 s"
    finally:
        os.killpg(proc.pid, signal.SIGKILL)
        proc.wait()
        big.unlink()
    assert {t: table_files(root, t) for t in before} == before  # the temporaries are never listed
    src = LocalTelemetrySource(root)
    assert src.query("AppTraces | count", timespan=None).frame.iloc[0, 0] == 6
    again = import_files(db, root, [FIXTURES / "compact.clef"], actor=ADMIN, service="mana")
    assert again.traces == 6 and src.query("AppTraces | count", timespan=None).frame.iloc[0, 0] == 12
