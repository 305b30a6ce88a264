"""Writing the local store's files: each new file is written as a temporary and renamed into place, so readers
never see half a file; a merge (compaction) names its parts in a manifest before the merged file appears."""

from __future__ import annotations

import contextlib
import os
import time
import uuid
from collections.abc import Iterable, Iterator, Mapping
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.parquet as pq

from services.telemetry.schema import TABLES, table_schema
from services.telemetry.store import MANIFESTS, readable_files, table_dir


def to_table(table: str, rows: Iterable[Mapping[str, Any]] | Mapping[str, list[Any]]) -> pa.Table:
    """Rows (dicts) or columns (dict of lists) as an Arrow table in the table's schema; missing columns are null."""
    schema = table_schema(table)
    if isinstance(rows, Mapping):
        columns: dict[str, list[Any]] = {k: list(v) for k, v in rows.items()}
        n = len(next(iter(columns.values()))) if columns else 0
    else:
        rows = list(rows)
        n = len(rows)
        named = {k for r in rows for k in r}  # a column no row names is missing (so Type is the table's name)
        columns = {f.name: [r.get(f.name) for r in rows] for f in schema if f.name in named}
    unknown = set(columns) - set(schema.names)
    if unknown:
        raise ValueError(f"{table} has no columns {sorted(unknown)}")
    arrays = []
    for field in schema:
        values = columns.get(field.name)
        if values is None:
            values = [table if field.name == "Type" else None] * n
        arrays.append(pa.array(values, type=field.type))
    return pa.Table.from_arrays(arrays, schema=schema)


def _new_name() -> str:
    return f"{datetime.now(UTC).strftime('%Y%m%dT%H%M%S%f')}-{uuid.uuid4().hex[:8]}"


def _temporary(d: Path, name: str) -> Path:
    return d / f".{name}.{uuid.uuid4().hex[:6]}.tmp"  # not *.parquet: readers never list it


def _fsync(path: Path) -> None:
    with open(path, "rb") as fh:
        os.fsync(fh.fileno())


def write_table(root: Path, table: str, data: pa.Table, *, name: str | None = None) -> Path | None:
    """Write one new Parquet file and rename it into place, so readers never see half a file."""
    if table not in TABLES:
        raise ValueError(f"unknown telemetry table {table!r}")
    if data.num_rows == 0:
        return None
    data = data.cast(table_schema(table)) if data.schema != table_schema(table) else data
    d = table_dir(root, table)
    d.mkdir(parents=True, exist_ok=True)
    name = name or _new_name()
    final = d / f"{name}.parquet"
    tmp = _temporary(d, name)
    data = data.sort_by("TimeGenerated")
    pq.write_table(data, tmp, row_group_size=256_000, compression="zstd")
    _fsync(tmp)
    os.replace(tmp, final)
    return final


def in_schema(table: str, data: pa.Table) -> pa.Table:
    """A readable file's rows in the table's exact schema: extra columns dropped, missing ones null."""
    n = data.num_rows
    columns = []
    for f in table_schema(table):
        if f.name in data.column_names:  # a lossless conversion: readable_files checked every type
            columns.append(data.column(f.name).cast(f.type, safe=False))
        else:
            columns.append(pa.array([table] * n) if f.name == "Type" else pa.nulls(n, f.type))
    return pa.Table.from_arrays(columns, schema=table_schema(table))


ROW_GROUP_ROWS = 131_072
ROW_GROUP_BYTES = 32 << 20  # a row group is buffered in memory before it is written: exceptions' stacks are large
STALE_TEMPORARY_S = 3600  # a temporary untouched this long belongs to a writer that was killed


class TableWriter:
    """One new file per table, written a row group at a time into temporaries that `commit` renames into place.

    Rows need not arrive in time order: each row group's footer statistics hold its own min and max TimeGenerated,
    which is what file pruning (the footer's time range) and DuckDB's row-group skipping read.
    """

    def __init__(self, root: Path) -> None:
        self.root = Path(root)
        self._files: dict[str, tuple[pq.ParquetWriter, Path, Path]] = {}
        self._buffers: dict[str, list[pa.Table]] = {}

    def write(self, table: str, data: pa.Table) -> None:
        """Add rows to the table's file; they are written once a row group's worth is buffered."""
        if table not in TABLES:
            raise ValueError(f"unknown telemetry table {table!r}")
        if data.num_rows == 0:
            return
        buffer = self._buffers.setdefault(table, [])
        buffer.append(data.cast(table_schema(table)) if data.schema != table_schema(table) else data)
        if sum(t.num_rows for t in buffer) >= ROW_GROUP_ROWS or sum(t.nbytes for t in buffer) >= ROW_GROUP_BYTES:
            self._flush(table)

    def _flush(self, table: str) -> None:
        buffer = self._buffers.pop(table, [])
        if not buffer:
            return
        if table not in self._files:
            d = table_dir(self.root, table)
            d.mkdir(parents=True, exist_ok=True)
            _remove_stale_temporaries(d)
            name = _new_name()
            tmp = _temporary(d, name)
            writer = pq.ParquetWriter(tmp, table_schema(table), compression="zstd")
            self._files[table] = (writer, tmp, d / f"{name}.parquet")
        self._files[table][0].write_table(pa.concat_tables(buffer), row_group_size=ROW_GROUP_ROWS)

    def commit(self) -> list[Path]:
        """Finish every file, then rename them into place one right after the other; the new files."""
        for table in list(self._buffers):
            self._flush(table)
        for writer, tmp, _ in self._files.values():
            writer.close()
            _fsync(tmp)
        out = []
        for _, tmp, final in self._files.values():  # all complete on disk before the first becomes visible
            os.replace(tmp, final)
            out.append(final)
        self._files.clear()
        return out

    def abort(self) -> None:
        """Remove the temporaries: nothing of this import becomes visible."""
        self._buffers.clear()
        for writer, tmp, _ in self._files.values():
            with contextlib.suppress(Exception):
                writer.close()
            tmp.unlink(missing_ok=True)
        self._files.clear()


@contextlib.contextmanager
def new_files(root: Path) -> Iterator[TableWriter]:
    """A TableWriter whose temporaries are removed unless it was committed (an error, or nothing to keep)."""
    writer = TableWriter(root)
    try:
        yield writer
    finally:
        writer.abort()  # after commit there is nothing left to remove


def _remove_stale_temporaries(d: Path) -> None:
    cutoff = time.time() - STALE_TEMPORARY_S
    for tmp in d.glob(".*.tmp"):
        with contextlib.suppress(FileNotFoundError):
            if tmp.stat().st_mtime < cutoff:
                tmp.unlink()


def compact(
    root: Path, table: str, *, min_files: int = 2, files: list[Path] | None = None, keep_parts: bool = False
) -> tuple[int, Path | None]:
    """Merge a table's files (every readable one, or `files`) into one: write the merged file first, then remove the
    parts it replaced (or, with `keep_parts`, leave them and their manifest, which hides them, for a later pass)."""
    if files is None:
        files = list(readable_files(root, table)[0])  # a file not in the table's schema stays where it is, unmerged
    if len(files) < min_files:
        return 0, None
    merged = pa.concat_tables([in_schema(table, pq.read_table(f)) for f in files])
    d = table_dir(root, table)
    name = f"compacted-{_new_name()}"
    # A manifest names the parts before the merged file appears, so a reader never counts a row twice.
    (d / MANIFESTS).mkdir(exist_ok=True)
    manifest = d / MANIFESTS / f"{name}.txt"
    manifest.write_text("\n".join([f"{name}.parquet", *(f.name for f in files)]))
    out = write_table(root, table, merged, name=name)
    if keep_parts:
        return len(files), out
    for f in files:
        f.unlink(missing_ok=True)
    manifest.unlink()
    return len(files), out
