"""Importing CLEF into the local store: parsed a batch of lines at a time into Arrow tables, streamed into one new
file per table per import, which appear only when the whole import succeeded."""

from __future__ import annotations

import gc
import gzip
import io
import multiprocessing
import os
import zlib
from collections import deque
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import Future, ProcessPoolExecutor
from dataclasses import dataclass, field
from datetime import UTC, datetime
from itertools import islice
from pathlib import Path
from typing import IO

import pyarrow as pa
import pyarrow.compute as pc
from sqlalchemy.orm import Session

from services import audit, uploads
from services.auth import Actor, require
from services.errors import InvalidInput
from services.telemetry.clef import MAX_REPORTED, SDK, ClefBatch, Refused, parse_lines
from services.telemetry.schema import TS, arrow_type, table_schema
from services.telemetry.writer import TableWriter, new_files


def _times(values: list[str]) -> pa.Array:
    """ISO-8601 texts (each already checked by fromisoformat) as UTC microseconds, converted in one go."""
    try:
        ns = pa.array(values, pa.string()).cast(pa.timestamp("ns", tz="UTC"))
        return ns.cast(arrow_type(TS), safe=False)  # .NET writes 7 fractional digits: keep microseconds
    except (pa.ArrowInvalid, pa.ArrowNotImplementedError):  # a form Arrow does not read: one by one
        return pa.array([_utc(datetime.fromisoformat(v)) for v in values], arrow_type(TS))


def _utc(value: datetime) -> datetime:
    return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


def to_tables(batch: ClefBatch) -> dict[str, pa.Table]:
    """The parsed events as AppTraces and AppExceptions tables (one pyarrow conversion per column)."""
    out = {}
    for table, cols in (("AppTraces", batch.traces), ("AppExceptions", batch.exceptions)):
        n = len(cols.get("TimeGenerated", []))
        if not n:
            continue
        schema = table_schema(table)
        arrays = []
        for f in schema:
            if f.name == "TimeGenerated":
                arrays.append(_times(cols["TimeGenerated"]))
            elif f.name in cols and f.name not in ("ItemCount", "SDKVersion"):
                arrays.append(pa.array(cols[f.name], f.type))
            else:
                value = {"ItemCount": 1, "SDKVersion": SDK, "Type": table}.get(f.name)
                arrays.append(pa.nulls(n, f.type) if value is None else pa.repeat(pa.scalar(value, f.type), n))
        out[table] = pa.Table.from_arrays(arrays, schema=schema)
    return out


@dataclass(frozen=True)
class ImportReport:
    """What an import stored and what it refused."""

    traces: int
    exceptions: int
    lines: int
    bad_count: int
    bad: list[tuple[str, str]]
    files: list[Path]
    future: int = 0
    future_latest: datetime | None = None

    def summary(self) -> str:
        """One line for the CLI and the page."""
        text = f"imported {self.traces:,} traces and {self.exceptions:,} exceptions from {self.lines:,} lines"
        text += f"; {self.bad_count:,} line(s) were not valid CLEF and were skipped" if self.bad_count else ""
        note = uploads.future_note(self.future, self.future_latest, what="events")
        return text + (f"; {note}" if note else "")


BATCH_LINES = 16_384  # lines parsed into column lists and converted to Arrow at a time (about 5 MB of text)
PARALLEL_MIN_BYTES = 32 << 20  # about 100,000 events: smaller files parse faster than worker processes start
PART_BYTES = 8 << 20  # a worker's share at a time: its Arrow tables (about 16 MB) travel back whole
MAX_WORKERS = 8


@dataclass
class _Imported:
    """The counts of an import; its tables go to `writer` as they come (in a worker, kept to be sent back)."""

    writer: TableWriter | None = None
    cutoff: datetime | None = None  # later events are counted as dated in the future
    tables: dict[str, list[pa.Table]] = field(default_factory=dict)
    rows: dict[str, int] = field(default_factory=dict)
    lines: int = 0
    bad_count: int = 0
    bad: list[tuple[str, str]] = field(default_factory=list)
    future: int = 0
    future_latest: datetime | None = None

    def add(self, batch: ClefBatch) -> None:
        for table, data in to_tables(batch).items():
            self.store(table, data)
        self.lines += batch.lines
        self.refuse(batch.bad, batch.bad_count)

    def store(self, table: str, data: pa.Table) -> None:
        if self.writer is None:
            self.tables.setdefault(table, []).append(data)
            return
        self.rows[table] = self.rows.get(table, 0) + data.num_rows
        if self.cutoff is not None:
            ahead = pc.filter(
                data["TimeGenerated"], pc.greater(data["TimeGenerated"], pa.scalar(self.cutoff, arrow_type(TS)))
            )
            if len(ahead):  # stored as they are; named in the message so a wrong clock is noticed
                self.future += len(ahead)
                latest = pc.max(ahead).as_py()
                self.future_latest = latest if self.future_latest is None else max(self.future_latest, latest)
        self.writer.write(table, data)

    def refuse(self, bad: list[tuple[str, str]], count: int) -> None:
        self.bad_count += count
        self.bad.extend(bad[: max(0, MAX_REPORTED - len(self.bad))])

    def merge(self, other: _Imported) -> None:
        for table, parts in other.tables.items():
            for data in parts:
                self.store(table, data)
        self.lines += other.lines
        self.refuse(other.bad, other.bad_count)


def _numbered(stream: IO[bytes], limits: uploads.UploadLimits, bom: bool) -> Iterator[bytes | str]:
    """The lines of a stream within the line limit; a longer one is replaced by a Refused text saying so."""
    too_long = Refused(f"longer than the {limits.max_line >> 10:,} KB limit (SRE_UPLOAD_MAX_LINE_KB); skipped")
    for i, line in enumerate(uploads.lines(stream, max_line=limits.max_line)):
        if line is None:
            yield too_long
        else:
            yield line.removeprefix(b"\xef\xbb\xbf") if bom and i == 0 else line


def _parse_stream(
    name: str, stream: IO[bytes], *, service: str, into: _Imported, first_line: int = 1, bom: bool = True
) -> None:
    """Parse one file in batches of lines, so memory is reused instead of growing with the file.

    Each line is decoded on its own: a line that is not UTF-8 is skipped with its number, the rest is kept.
    """
    limits = uploads.UploadLimits.from_settings()
    text = _numbered(uploads.capped(stream, name=name, limits=limits), limits, bom)
    line = first_line
    try:
        while chunk := list(islice(text, BATCH_LINES)):
            into.add(parse_lines(chunk, service=service, source=name, first_line=line))
            line += len(chunk)
    except (EOFError, zlib.error, gzip.BadGzipFile) as exc:
        raise uploads.corrupt(name, exc) from None


def _parse_part(path: str, start: int, end: int, first_line: int, service: str) -> _Imported:
    """Parse the lines in bytes [start, end) of a file (whole lines; `first_line` numbers the first)."""
    gc.disable()
    into = _Imported()
    with uploads.byte_range(Path(path), start, end) as data:
        _parse_stream(path, data, service=service, into=into, first_line=first_line, bom=start == 0)
    return into


def _parts(path: Path, size: int) -> list[tuple[int, int, int]]:
    """(start, end, first line) of byte ranges of about `size` bytes, each ending after a newline; one pass
    counts the newlines, read a block at a time (a line of any length never is in memory whole)."""
    parts, start, first, newlines, pos = [], 0, 1, 0, 0
    with open(path, "rb") as fh:
        while block := fh.read(uploads.BLOCK * 8):
            offset = 0
            while start + size - pos < len(block):
                nl = block.find(b"\n", max(offset, start + size - pos))
                if nl < 0:
                    break
                newlines += block.count(b"\n", offset, nl + 1)
                parts.append((start, pos + nl + 1, first))
                start, first, offset = pos + nl + 1, newlines + 1, nl + 1
            newlines += block.count(b"\n", offset)
            pos += len(block)
    if pos > start:
        parts.append((start, pos, first))
    return parts


def _parse_file(path: Path, *, service: str, into: _Imported) -> None:
    """One process for a small file; for a large one, worker processes too, each on ranges of lines."""
    try:
        size = path.stat().st_size
        workers = min(os.cpu_count() or 1, MAX_WORKERS)
        if size < PARALLEL_MIN_BYTES or workers < 2 or uploads.is_gzip(path):
            with open(path, "rb") as fh:
                _parse_stream(str(path), fh, service=service, into=into)
            return
        limits = uploads.UploadLimits.from_settings()
        if size > limits.max_bytes:  # the parts are read apart: the file's own size is checked here
            raise limits.too_big(str(path))
        parts = _parts(path, max(1, min(PART_BYTES, size // (workers * 2))))
    except OSError as exc:
        raise InvalidInput(f"Cannot read {path}: {exc.strerror or exc}.") from None
    if len(parts) < 2:
        with open(path, "rb") as fh:
            _parse_stream(str(path), fh, service=service, into=into)
        return
    # spawn, not fork: the caller may be a multi-threaded server
    with ProcessPoolExecutor(max_workers=workers - 1, mp_context=multiprocessing.get_context("spawn")) as pool:
        _parse_parts(pool, str(path), parts, service=service, into=into, ahead=workers)


def _parse_parts(
    pool: ProcessPoolExecutor,
    path: str,
    parts: list[tuple[int, int, int]],
    *,
    service: str,
    into: _Imported,
    ahead: int,
) -> None:
    """Hand the parts to the workers, at most `ahead` at a time, and store the results in the file's order.

    This process parses a part itself whenever the next result is not ready (while the workers start, say), so
    memory holds at most `ahead` parts' tables plus one.
    """
    todo = iter(parts)
    pending: deque[Future[_Imported] | _Imported] = deque()
    for part in islice(todo, ahead):
        pending.append(pool.submit(_parse_part, path, *part, service))
    while pending:
        head = pending[0]
        local = any(isinstance(p, _Imported) for p in pending)
        if isinstance(head, Future) and not head.done() and not local and (nxt := next(todo, None)) is not None:
            pending.append(_parse_part(path, *nxt, service))
            continue
        pending.popleft()
        into.merge(head.result() if isinstance(head, Future) else head)
        if (nxt := next(todo, None)) is not None:
            pending.append(pool.submit(_parse_part, path, *nxt, service))


def _import(session: Session, root: Path, fill: Callable[[_Imported], None], *, actor: Actor) -> ImportReport:
    require(actor, "telemetry.import")
    gc_on = gc.isenabled()
    gc.disable()  # millions of short-lived dicts: the cyclic collector only slows a bulk parse down
    try:
        with new_files(root) as writer:  # the files appear only when the whole import succeeded
            into = _Imported(writer=writer, cutoff=datetime.now(UTC) + uploads.FUTURE_GRACE)
            fill(into)
            if not into.rows:
                shown = "; ".join(f"{w}: {why}" for w, why in into.bad[:5])
                raise InvalidInput(
                    "Nothing was imported: no line is a Serilog compact JSON (CLEF) event such as "
                    '{"@t":"2026-11-01T12:00:00Z","@mt":"Hello {Name}","Name":"x"}'
                    + (f". First problems: {shown}" if shown else "; the file is empty")
                    + "."
                )
            files = writer.commit()  # one file per table per import
    finally:
        if gc_on:
            gc.enable()
    report = ImportReport(
        traces=into.rows.get("AppTraces", 0),
        exceptions=into.rows.get("AppExceptions", 0),
        lines=into.lines,
        bad_count=into.bad_count,
        bad=into.bad,
        files=files,
        future=into.future,
        future_latest=into.future_latest,
    )
    audit.record(
        session,
        actor=actor,
        action="telemetry.import_clef",
        entity="telemetry_store",
        entity_id=None,
        after={
            "traces": report.traces,
            "exceptions": report.exceptions,
            "lines": report.lines,
            "skipped": report.bad_count,
            "files": [f.name for f in files],
        },
    )
    return report


def import_sources(
    session: Session, root: Path, sources: Sequence[tuple[str, bytes | IO[bytes]]], *, actor: Actor, service: str
) -> ImportReport:
    """Parse CLEF from (name, content or stream) pairs and write the good events, one file per table, audited;
    nothing when none."""

    def fill(into: _Imported) -> None:
        for name, content in sources:
            stream = io.BytesIO(content) if isinstance(content, bytes) else content
            _parse_stream(name, stream, service=service, into=into)

    return _import(session, root, fill, actor=actor)


def import_files(session: Session, root: Path, paths: Sequence[Path], *, actor: Actor, service: str) -> ImportReport:
    """Import CLEF files from disk; an unreadable file is an error naming it, and then nothing is stored."""

    def fill(into: _Imported) -> None:
        for p in paths:
            _parse_file(Path(p), service=service, into=into)

    return _import(session, root, fill, actor=actor)
