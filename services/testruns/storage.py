"""Where a run's test results live (<SRE_TESTRUN_DIR>/run-<id>-<token>.parquet, one zstd Parquet file per run, in the
report's order) and the DuckDB queries that read them back.

A file is written under a hidden name, flushed to disk and renamed into place before the run's row is committed, so a
committed run never names a half-written file. The token makes every file's name new even when SQLite gives a rolled
back run's id to the next run, so one import's clean-up can never remove another's file. A file no committed run
names (an import that crashed before its commit, a delete that crashed after it) is never read, and goes once it is
an hour older than a newer import's file (strays): an import in flight in another process is never that old.
"""

from __future__ import annotations

import os
import re
import uuid
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import duckdb
import pyarrow as pa
import pyarrow.parquet as pq

from services.config import get_settings
from services.errors import NotFound
from services.testruns.schemas import TestResult

COLUMNS = ("test_key", "suite", "classname", "name", "outcome", "duration_s", "message", "stack")  # TestResult's
SCHEMA = pa.schema([(c, pa.float64() if c == "duration_s" else pa.string()) for c in COLUMNS])
GRACE_S = 3600.0
_NAMED = re.compile(r"run-(\d+)-[0-9a-f]+\.parquet")
_STAGED = re.compile(r"\.run-[0-9a-f]+\.parquet")


def root() -> Path:
    """The folder of the results files (SRE_TESTRUN_DIR)."""
    return get_settings().testruns.dir


def stage(folder: Path, columns: Mapping[str, Sequence[Any]]) -> Path:
    """Write the results (one list per column of COLUMNS) to a new hidden file in `folder`, flushed to disk; the
    caller renames it into place with promote() or removes it."""
    folder.mkdir(parents=True, exist_ok=True)
    staged = folder / f".run-{uuid.uuid4().hex}.parquet"
    try:
        pq.write_table(pa.Table.from_pydict(dict(columns), schema=SCHEMA), staged, compression="zstd")
        with open(staged, "rb") as fh:
            os.fsync(fh.fileno())
    except BaseException:
        staged.unlink(missing_ok=True)
        raise
    return staged


def new_name(run_id: int) -> str:
    """A never reused name for the results file of run `run_id`."""
    return f"run-{run_id}-{uuid.uuid4().hex[:16]}.parquet"


def promote(staged: Path, folder: Path, name: str) -> None:
    """Rename a staged file into place under its final name, and make the rename itself durable."""
    os.replace(staged, folder / name)
    fd = os.open(folder, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def remove(folder: Path, name: str | None) -> None:
    """Delete a results file if there is one."""
    if name:
        (folder / name).unlink(missing_ok=True)


def path_of(folder: Path, name: str | None, run_id: int) -> Path:
    """The results file of a run; NotFound when it went missing."""
    path = folder / name if name else None
    if path is None or not path.exists():
        raise NotFound(
            f"The test results of run {run_id} are missing: {path or folder} (was the SRE_TESTRUN_DIR folder moved?)."
        )
    return path


def strays(folder: Path, *, newer: Path) -> tuple[list[Path], dict[int, Path]]:
    """Files at least GRACE_S older than `newer` (a file just written, so both times come from the same clock): hidden
    staged files (never named by a run), and named files by the run id in their name (the caller keeps the ones a
    committed run names)."""
    cutoff = newer.stat().st_mtime - GRACE_S
    staged: list[Path] = []
    named: dict[int, Path] = {}
    with os.scandir(folder) as entries:
        for entry in entries:
            is_staged = _STAGED.fullmatch(entry.name)
            found = None if is_staged else _NAMED.fullmatch(entry.name)
            if not (is_staged or found) or entry.stat().st_mtime > cutoff:
                continue
            if found:
                named[int(found.group(1))] = Path(entry.path)
            else:
                staged.append(Path(entry.path))
    return staged, named


def _con() -> duckdb.DuckDBPyConnection:
    con = duckdb.connect()
    con.execute("SET threads=2")
    return con


def results(path: Path, *, outcomes: Sequence[str] | None = None) -> list[TestResult]:
    """A run's results (of the given outcomes), in the report's order."""
    where = "WHERE list_contains($outcomes, outcome)" if outcomes else ""
    params = {"path": str(path)} | ({"outcomes": list(outcomes)} if outcomes else {})
    sql = (
        f"SELECT {', '.join(COLUMNS)} FROM read_parquet($path, file_row_number = true) {where} ORDER BY file_row_number"
    )
    with _con() as con:
        return [TestResult(*row) for row in con.execute(sql, params).fetchall()]


def outcomes(paths: Mapping[int, Path], *, durations: bool = True) -> list[tuple[int, str, str, float | None]]:
    """(run id, test key, outcome, duration) of every result of the runs, reading only those columns of their files
    (and not the durations unless asked)."""
    if not paths:
        return []
    run_of = {str(p): run_id for run_id, p in paths.items()}
    duration = "duration_s" if durations else "NULL::DOUBLE"
    sql = f"SELECT filename, test_key, outcome, {duration} FROM read_parquet($paths, filename = true)"
    with _con() as con:
        rows = con.execute(sql, {"paths": list(run_of)}).fetchall()
    return [(run_of[f], k, o, d) for f, k, o, d in rows]
