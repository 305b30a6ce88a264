"""Importing CLEF into the local store: parsed column lists to Arrow tables, one file per table per import."""

from __future__ import annotations

import gc
import gzip
import io
import multiprocessing
import os
import zlib
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import ProcessPoolExecutor
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
from services.telemetry.schema import TS, table_schema
from services.telemetry.store import write_table


def _times(values: list[str]) -> pa.Array:
    """ISO-8601 texts (each already checked by fromisoformat) as UTC microseconds, converted in one go."""
    try:
        ns = pa.array(values, pa.string()).cast(pa.timestamp("ns", tz="UTC"))
        return ns.cast(TS, safe=False)  # .NET writes 7 fractional digits: keep microseconds
    except (pa.ArrowInvalid, pa.ArrowNotImplementedError):  # a form Arrow does not read: one by one
        return pa.array([_utc(datetime.fromisoformat(v)) for v in values], TS)


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


BATCH_LINES = 65_536  # lines parsed into column lists and converted to Arrow at a time
PARALLEL_MIN_BYTES = 32 << 20  # about 100,000 events: smaller files parse faster than worker processes start
MAX_WORKERS = 8
FIRST_SHARE = 1.2  # a worker process needs about a second to start (Python, pyarrow) before it parses


@dataclass
class _Imported:
    tables: dict[str, list[pa.Table]] = field(default_factory=dict)
    lines: int = 0
    bad_count: int = 0
    bad: list[tuple[str, str]] = field(default_factory=list)

    def add(self, batch: ClefBatch) -> None:
        for table, data in to_tables(batch).items():
            self.tables.setdefault(table, []).append(data)
        self.lines += batch.lines
        self.refuse(batch.bad, batch.bad_count)

    def refuse(self, bad: list[tuple[str, str]], count: int) -> None:
        self.bad_count += count
        self.bad.extend(bad[: max(0, MAX_REPORTED - len(self.bad))])

    def rows(self, table: str) -> int:
        return sum(t.num_rows for t in self.tables.get(table, []))

    def merge(self, other: _Imported) -> None:
        for table, parts in other.tables.items():
            self.tables.setdefault(table, []).extend(parts)
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
    """Worker: parse the lines in bytes [start, end) of a file (whole lines; `first_line` numbers the first)."""
    gc.disable()
    into = _Imported()
    with uploads.byte_range(Path(path), start, end) as data:
        _parse_stream(path, data, service=service, into=into, first_line=first_line, bom=start == 0)
    return into


def _parts(path: Path, count: int) -> list[tuple[int, int, int]]:
    """(start, end, first line) of `count` byte ranges, each starting at a line's start. The first range, which
    this process parses while the workers start, is a little larger (FIRST_SHARE) so that all finish together."""
    size = path.stat().st_size
    units = FIRST_SHARE + count - 1
    cuts = [0]
    with open(path, "rb") as fh:
        for k in range(1, count):
            fh.seek(max(cuts[-1], int(size * (FIRST_SHARE + k - 1) / units)))
            fh.readline()
            cuts.append(min(fh.tell(), size))
        cuts.append(size)
        fh.seek(0)
        firsts, newlines, pos = [1], 0, 0
        for cut in cuts[1:-1]:
            while pos < cut:
                block = fh.read(min(8 << 20, cut - pos))
                newlines += block.count(b"\n")
                pos += len(block)
            firsts.append(newlines + 1)
    return [(a, b, f) for a, b, f in zip(cuts[:-1], cuts[1:], firsts, strict=True) if b > a]


def _parse_file(path: Path, *, service: str, into: _Imported) -> None:
    """One process for a small file; for a large one, one worker process per CPU, each on a range of lines."""
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
        parts = _parts(path, workers)
        if len(parts) < 2:
            with open(path, "rb") as fh:
                _parse_stream(str(path), fh, service=service, into=into)
            return
    except OSError as exc:
        raise InvalidInput(f"Cannot read {path}: {exc.strerror or exc}.") from None
    # spawn, not fork: the caller may be a multi-threaded server. This process parses the first part meanwhile.
    with ProcessPoolExecutor(max_workers=len(parts) - 1, mp_context=multiprocessing.get_context("spawn")) as pool:
        futures = [pool.submit(_parse_part, str(path), a, b, first, service) for a, b, first in parts[1:]]
        into.merge(_parse_part(str(path), *parts[0], service))
        for future in futures:
            into.merge(future.result())


def _import(session: Session, root: Path, fill: Callable[[_Imported], None], *, actor: Actor) -> ImportReport:
    require(actor, "telemetry.import")
    into = _Imported()
    gc_on = gc.isenabled()
    gc.disable()  # millions of short-lived dicts: the cyclic collector only slows a bulk parse down
    try:
        fill(into)
    finally:
        if gc_on:
            gc.enable()
    if not into.tables:
        shown = "; ".join(f"{w}: {why}" for w, why in into.bad[:5])
        raise InvalidInput(
            "Nothing was imported: no line is a Serilog compact JSON (CLEF) event such as "
            '{"@t":"2026-11-01T12:00:00Z","@mt":"Hello {Name}","Name":"x"}'
            + (f". First problems: {shown}" if shown else "; the file is empty")
            + "."
        )
    files = []
    cutoff = pa.scalar(datetime.now(UTC) + uploads.FUTURE_GRACE, TS)
    future, latest = 0, None
    for table, parts in into.tables.items():  # one file per table per import, renamed into place whole
        data = pa.concat_tables(parts)
        ahead = data.filter(pc.greater(data["TimeGenerated"], cutoff))["TimeGenerated"]
        if len(ahead):  # stored as they are; named in the message so a wrong clock is noticed
            future += len(ahead)
            latest = max(x for x in (latest, pc.max(ahead).as_py()) if x is not None)
        written = write_table(root, table, data)
        if written is not None:
            files.append(written)
    report = ImportReport(
        traces=into.rows("AppTraces"),
        exceptions=into.rows("AppExceptions"),
        lines=into.lines,
        bad_count=into.bad_count,
        bad=into.bad,
        files=files,
        future=future,
        future_latest=latest,
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
