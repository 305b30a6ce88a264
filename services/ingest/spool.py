"""The append-only spool between an accepted track call and the store's Parquet files.

An accepted batch is one line appended to the slot's `current.ndjson` and fsync'd before the API answers, so a crash
of the process loses nothing it acknowledged; a line torn by a crash was never acknowledged and is skipped. The
flusher closes `current.ndjson` as a numbered segment, writes each segment's rows as one Parquet file per table
(named after the segment, so a replay after a crash rewrites the same files instead of adding copies) and removes
the segment. Each process holds one slot (an flock'd folder); a process that starts takes over the slots nobody
holds and replays their segments once.
"""

from __future__ import annotations

import fcntl
import json
import logging
import os
import threading
import time
from collections import defaultdict
from concurrent.futures import Executor
from datetime import datetime
from pathlib import Path
from typing import IO, Any

import orjson
import pyarrow as pa

from services.telemetry.writer import to_table, write_table

log = logging.getLogger("sre_backoffice.ingest")
CURRENT = "current.ndjson"
CHUNK_ROWS = 1_000  # rows of a table decoded before they become Arrow columns
LOCK = ".lock"


def _encode(value: Any) -> Any:
    return value.isoformat() if isinstance(value, datetime) else value


def encode(rows: dict[str, list[dict[str, Any]]]) -> bytes:
    """One batch's spool line (without the newline): its rows per table, None values left out, times ISO 8601."""
    kept = {t: [{k: v for k, v in r.items() if v is not None} for r in rs] for t, rs in rows.items()}
    try:
        line = orjson.dumps(kept)  # datetimes as isoformat() writes them
    except TypeError:  # a value orjson does not take (an integer past 64 bits): json's way below
        line = b"null"
    # with None left out a null can only be a NaN or an infinity, which orjson writes as null and json as NaN and
    # Infinity (read back as such); so such a line, or one with "null" in a text, is written by json
    if b"null" in line:
        line = json.dumps(
            {t: [{k: _encode(v) for k, v in r.items()} for r in rs] for t, rs in kept.items()},
            separators=(",", ":"),
            ensure_ascii=False,
        ).encode("utf-8")
    return line


def _decode(raw: bytes) -> Any:
    try:
        return orjson.loads(raw)
    except orjson.JSONDecodeError:  # NaN or Infinity, written by json; or a torn line (ValueError again)
        return json.loads(raw)


def _fsync_dir(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


class Slot:
    """One process's spool folder, held by an exclusive flock for as long as the process lives."""

    def __init__(self, path: Path, lock: IO[bytes]) -> None:
        self.path, self._lock = path, lock

    @classmethod
    def take(cls, root: Path, *, max_slots: int = 64) -> Slot:
        """The first slot under `root` no live process holds (made when missing)."""
        root.mkdir(parents=True, exist_ok=True)
        for n in range(max_slots):
            path = root / f"slot-{n}"
            path.mkdir(exist_ok=True)
            lock = open(path / LOCK, "ab")  # noqa: SIM115 - held open: the lock lives as long as the slot
            try:
                fcntl.flock(lock.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
            except BlockingIOError:
                lock.close()
                continue
            return cls(path, lock)
        raise RuntimeError(f"every one of the {max_slots} spool slots under {root} is held by a running process")

    def release(self) -> None:
        """Let another process take the slot."""
        fcntl.flock(self._lock.fileno(), fcntl.LOCK_UN)
        self._lock.close()


class Spool:
    """Append accepted rows durably; flush them to the store in batches."""

    def __init__(
        self,
        root: Path,
        store: Path,
        *,
        max_rows: int = 20_000,
        max_backlog_rows: int = 0,
        drainer: Executor | None = None,
    ) -> None:
        """`max_rows`: a segment is closed at this many rows, so a drain's memory stays bounded however far behind
        it runs; `max_backlog_rows` (0: no bound): past this many rows waiting in closed segments, `backlogged`;
        `drainer`: where segments are written to the store (a process of its own, so the answers to senders do not
        wait on the GIL for it; None: in this thread)."""
        self.root, self.store = root, store
        self.drainer = drainer
        self.max_rows, self.max_backlog_rows = max_rows, max_backlog_rows
        self.backlog_rows = 0  # rows in closed segments not yet in the store
        self.slot = Slot.take(root)
        self._lock = threading.Lock()
        self._sync_lock = threading.Lock()  # taken before _lock, never after it
        self._fh = open(self.slot.path / CURRENT, "ab")  # noqa: SIM115 - the spool's open segment
        self._written = self._synced = 0  # lines appended, lines known fsync'd
        self.pending_rows = 0
        self._opened_at = time.monotonic()
        self._seq = int(time.time() * 1000)

    def append(self, rows: dict[str, list[dict[str, Any]]]) -> None:
        """One accepted batch, on disk (fsync'd) when this returns."""
        line = encode(rows) + b"\n"
        with self._lock:
            self._fh.write(line)
            self._fh.flush()
            self._written += 1
            mine = self._written
            self.pending_rows += sum(len(rs) for rs in rows.values())
            full = self.max_rows > 0 and self.pending_rows >= self.max_rows
        self._sync(mine)
        if full:
            self._rotate()  # bounded segments: the flusher drains them one by one, each of about max_rows

    @property
    def backlogged(self) -> bool:
        """More rows wait in closed segments than the bound: the store is falling behind what is accepted."""
        return self.max_backlog_rows > 0 and self.backlog_rows >= self.max_backlog_rows

    def _sync(self, line: int) -> None:
        # group commit: one fsync covers every line written before it started, so the batches that arrive while
        # one fsync runs share the next instead of queueing one fsync each behind the lock
        with self._sync_lock:
            if self._synced >= line:
                return
            with self._lock:
                upto, fd = self._written, self._fh.fileno()
            os.fsync(fd)  # _rotate takes _sync_lock first, so this file stays open meanwhile
            self._synced = upto

    def due(self, *, max_age_s: float, max_rows: int) -> bool:
        """Whether to flush now: closed segments wait, or the open one is full or old enough."""
        return (
            self.backlog_rows > 0
            or self.pending_rows >= max_rows
            or (self.pending_rows > 0 and time.monotonic() - self._opened_at >= max_age_s)
        )

    def _rotate(self) -> None:
        with self._sync_lock, self._lock:
            if self._fh.tell() == 0:
                return
            if self._synced < self._written:  # a line whose append has not fsync'd it yet
                os.fsync(self._fh.fileno())
                self._synced = self._written
            self._fh.close()
            self._seq += 1
            os.replace(self.slot.path / CURRENT, self.slot.path / f"segment-{self._seq:015d}.ndjson")
            _fsync_dir(self.slot.path)
            self._fh = open(self.slot.path / CURRENT, "ab")  # noqa: SIM115
            self.backlog_rows += self.pending_rows
            self.pending_rows = 0
            self._opened_at = time.monotonic()

    def flush(self) -> int:
        """Close the open segment and write every closed segment of this slot to the store; rows written."""
        self._rotate()
        written = 0
        for seg in sorted(self.slot.path.glob("segment-*.ndjson")):
            n = (
                self.drainer.submit(drain_segment, seg, self.store).result()
                if self.drainer
                else drain_segment(seg, self.store)
            )
            written += n
            with self._lock:
                self.backlog_rows = max(0, self.backlog_rows - n)
        return written

    def close(self) -> None:
        """Flush what is pending and let the slot go."""
        self.flush()
        with self._lock:
            self._fh.close()
        self.slot.release()


def store_name(segment: Path) -> str:
    """The name a segment's rows get in each table's folder: the same on a replay, which so replaces, not adds."""
    return f"ingest-{segment.parent.name}-{segment.stem}"


def unconfirmed_files(root: Path) -> frozenset[str]:
    """Store file names a replay may write again: those of the segments still in the spool (compaction leaves them)."""
    return frozenset(f"{store_name(seg)}.parquet" for seg in root.glob("slot-*/segment-*.ndjson"))


def drain_process() -> None:
    """Set up a process that only drains segments: Arrow on the system allocator, which gives freed memory back
    between segments (mimalloc, Arrow's default, kept about 30 MB more of a 20,000-row segment's peak)."""
    pa.set_memory_pool(pa.system_memory_pool())


def drain_ready() -> None:
    """Nothing: sent once when the drain process is made, so it starts (and imports this module) before the first
    segment is due."""


def drain_segment(segment: Path, store: Path) -> int:
    """Write one closed segment's rows to the store (one file per table, named after it), then remove it. Rows become
    Arrow columns every CHUNK_ROWS, so the Python objects of a whole segment never live at once."""
    chunks: dict[str, list[pa.Table]] = defaultdict(list)
    pending: dict[str, list[dict[str, Any]]] = defaultdict(list)

    def convert(table: str) -> None:
        chunks[table].append(to_table(table, pending.pop(table)))

    with open(segment, "rb") as fh:
        for n, raw in enumerate(fh, 1):
            try:
                record = _decode(raw)
            except ValueError:  # a line torn by a crash: never acknowledged
                log.warning("spool %s line %d is incomplete and was never acknowledged; skipped", segment.name, n)
                continue
            for table, rows in record.items():
                for r in rows:
                    r["TimeGenerated"] = datetime.fromisoformat(r["TimeGenerated"])
                pending[table].extend(rows)
                if len(pending[table]) >= CHUNK_ROWS:
                    convert(table)
    for table in list(pending):
        convert(table)
    written = 0
    for table, parts in chunks.items():
        data = pa.concat_tables(parts)
        parts.clear()
        write_table(store, table, data, name=store_name(segment))
        written += data.num_rows
    segment.unlink()
    _fsync_dir(segment.parent)
    return written


def replay_orphans(root: Path, store: Path) -> int:
    """Write the spooled rows of every slot no running process holds (a crashed process's); rows written."""
    if not root.exists():
        return 0
    written = 0
    for path in sorted(root.glob("slot-*")):
        lock = open(path / LOCK, "ab")  # noqa: SIM115
        try:
            fcntl.flock(lock.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            lock.close()
            continue  # a live process's slot
        try:
            current = path / CURRENT
            if current.exists() and current.stat().st_size:
                os.replace(current, path / f"segment-{int(time.time() * 1000):015d}-replay.ndjson")
            for seg in sorted(path.glob("segment-*.ndjson")):
                written += drain_segment(seg, store)
        finally:
            fcntl.flock(lock.fileno(), fcntl.LOCK_UN)
            lock.close()
    return written
