"""Compaction of a table's small files, as the worker runs it: the files written every few seconds (ingestion, demo
traffic) merged per UTC day into files of up to TARGET_BYTES, so a query lists tens of files, not thousands, and
retention can remove a whole day by removing its files. A large file is left as it is (`telemetry compact` merges
every file of a table into one).

One maintenance operation per table at a time, across processes: `table_lock` holds an flock on the table folder's
hidden lock file while a compaction or a retention pass changes its files. A file merged away is removed by the next
pass (`remove_superseded`), never while a query that listed it may still be reading it.
"""

from __future__ import annotations

import contextlib
import fcntl
from collections import defaultdict
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date
from pathlib import Path

from services.telemetry.store import MANIFESTS, readable_files, table_dir
from services.telemetry.writer import compact

SMALL_BYTES = 8 << 20  # a file under this size is merged with the other small files of its day
TARGET_BYTES = 32 << 20  # most bytes of small files merged into one (the merge holds them in memory)
LOCK = ".maintenance.lock"
# files a writer writes again under the same name (the demo's days: seeding a day again replaces its file); merged
# away, a day written again would be there twice
REWRITTEN_BY_NAME = ("seed-",)


@contextlib.contextmanager
def table_lock(root: Path, table: str) -> Iterator[None]:
    """Hold the table's maintenance lock (waiting for another process's pass to finish)."""
    d = table_dir(root, table)
    d.mkdir(parents=True, exist_ok=True)
    with open(d / LOCK, "ab") as fh:
        fcntl.flock(fh.fileno(), fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(fh.fileno(), fcntl.LOCK_UN)


@dataclass(frozen=True)
class Compacted:
    """What one table's compaction did: small files merged into how many files."""

    files_merged: int = 0
    files_written: int = 0


def remove_superseded(root: Path, table: str) -> int:
    """Remove the files a merge or a retention rewrite replaced (call under table_lock). They are left in place, hidden
    by their manifest, until the next pass, so a query that listed them just before reads them whole. A manifest
    whose merged file is not there (a compaction killed before it appeared) is dropped and its parts stay. Which
    manifests hold is decided before anything is removed: a merged file that a later manifest replaced in turn still
    takes its own parts with it. The files removed."""
    d = table_dir(root, table)
    manifests = sorted((d / MANIFESTS).glob("*.txt")) if (d / MANIFESTS).is_dir() else []
    listed = [(m, m.read_text().split()) for m in manifests]
    holding = [names for _, names in listed if names and (d / names[0]).exists()]  # a removal manifest names itself
    removed = 0
    for names in holding:
        for part in names[1:]:
            if (d / part).exists():
                (d / part).unlink()
                removed += 1
    for m, _ in listed:
        m.unlink()
    return removed


def small_file_groups(root: Path, table: str, *, skip: frozenset[str] = frozenset()) -> list[list[Path]]:
    """The table's small readable files by the UTC day of their oldest row, cut into groups of at most TARGET_BYTES;
    only groups of two files or more. `skip` names files to leave alone (an ingest segment not yet confirmed), as are
    those named as REWRITTEN_BY_NAME."""
    days: dict[date | None, list[tuple[Path, int]]] = defaultdict(list)
    for path, ft in readable_files(root, table)[0].items():
        try:
            size = path.stat().st_size
        except FileNotFoundError:
            continue
        if size < SMALL_BYTES and path.name not in skip and not path.name.startswith(REWRITTEN_BY_NAME):
            days[ft.time_range[0].date() if ft.time_range else None].append((path, size))
    groups: list[list[Path]] = []
    for files in days.values():
        group: list[Path] = []
        total = 0
        for path, size in sorted(files):
            if group and total + size > TARGET_BYTES:
                groups.append(group)
                group, total = [], 0
            group.append(path)
            total += size
        groups.append(group)
    return [g for g in groups if len(g) >= 2]


def compact_small_files(root: Path, table: str, *, skip: frozenset[str] = frozenset()) -> Compacted:
    """Merge the table's small files per day (call under table_lock)."""
    merged = written = 0
    for group in small_file_groups(root, table, skip=skip):
        n, out = compact(root, table, files=group, keep_parts=True)  # removed by the next pass
        merged += n
        written += out is not None
    return Compacted(merged, written)
