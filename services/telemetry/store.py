"""The local telemetry store's files, <dir>/<Table>/*.parquet, as readers see them: the complete files of a table and
what each footer says (read by DuckDB, as a query reads them). writer.py writes them."""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Any

from services.telemetry.schema import UTC_TIMES, mismatch
from services.telemetry.source import SkippedFile, without_prefix

if TYPE_CHECKING:
    import duckdb


def table_dir(root: Path, table: str) -> Path:
    """The folder of one table."""
    return Path(root) / table


MANIFESTS = "_compaction"


def _replaced(d: Path) -> set[str]:
    out: set[str] = set()
    for m in (d / MANIFESTS).glob("*.txt") if (d / MANIFESTS).is_dir() else []:
        try:
            lines = m.read_text().split()
        except FileNotFoundError:
            continue
        if lines and (d / lines[0]).exists():  # the merged file is in place: its parts are superseded
            out.update(lines[1:])
    return out


def table_files(root: Path, table: str) -> list[Path]:
    """The complete Parquet files of a table, without temporary files or parts a compaction replaced."""
    d = table_dir(root, table)
    if not d.is_dir():
        return []
    before = _replaced(d)
    files = sorted(d.glob("*.parquet"))
    superseded = before | _replaced(d)
    return [f for f in files if f.name not in superseded]


@dataclass(frozen=True)
class Footer:
    """What a file's Parquet footer says: its columns (name: DuckDB type), its TimeGenerated range, or why it cannot
    be read."""

    columns: Mapping[str, str]
    time_range: tuple[datetime, datetime] | None
    problem: str | None = None


_READERS = threading.local()


def _reader() -> duckdb.DuckDBPyConnection:
    """This thread's in-memory DuckDB that reads footers (DuckDB reads them as a query will: no Arrow needed)."""
    con = getattr(_READERS, "con", None)
    if con is None:
        import duckdb

        con = _READERS.con = duckdb.connect()
        con.execute("SET TimeZone = 'UTC'")
        con.execute("SET memory_limit = '256MB'")  # footers only: a thread's reader never takes the machine's memory
    return con


class FooterCache:
    """One verdict per file version (path, size, modification time), the newest 20,000: a footer read is cheap, but
    a store of thousands of files is read on every query."""

    def __init__(self, maxsize: int = 20_000) -> None:
        self.maxsize = maxsize
        self.misses = 0  # footers read from disk since the last clear
        self._items: OrderedDict[tuple[str, str, int, int], Footer] = OrderedDict()
        self._lock = threading.Lock()

    def get(self, key: tuple[str, str, int, int]) -> Footer | None:
        with self._lock:
            found = self._items.get(key)
            if found is not None:
                self._items.move_to_end(key)
            return found

    def put(self, key: tuple[str, str, int, int], value: Footer) -> None:
        with self._lock:
            self.misses += 1
            self._items[key] = value
            while len(self._items) > self.maxsize:
                self._items.popitem(last=False)

    def clear(self) -> None:
        with self._lock:
            self._items.clear()
            self.misses = 0


FOOTERS = FooterCache()


def _read_footers(paths: list[str], table: str, con: duckdb.DuckDBPyConnection) -> dict[str, Footer]:
    """The footers of several files, read by DuckDB in two queries for all. A batch a damaged file fails is split
    in halves and each read again, so the damaged file ends up read alone and costs nobody else their verdict, in
    about 2·log2(n) more queries rather than n. A file that is gone is left out."""
    import duckdb

    try:
        elements = con.execute(_SCHEMA, [paths]).fetchall()
        stats = {row[0]: row[1:] for row in con.execute(_TIME_STATS, [paths]).fetchall()}
    except duckdb.Error as exc:  # a truncated or foreign file: DuckDB's reason, for the check's report
        if len(paths) > 1:
            half = len(paths) // 2
            return _read_footers(paths[:half], table, con) | _read_footers(paths[half:], table, con)
        if not Path(paths[0]).exists():
            return {}  # replaced by a compaction since the listing
        return {paths[0]: Footer({}, None, f"not a readable Parquet file: {_reason(exc, paths[0])}")}
    by_file: dict[str, list[tuple[str, str, int]]] = {}
    for file_name, *element in elements:
        by_file.setdefault(file_name, []).append(tuple(element))
    return {p: _verdict(table, by_file.get(p, []), stats.get(p)) for p in paths}


def _verdict(table: str, elements: list[tuple[str, str, int]], stats: tuple[Any, ...] | None) -> Footer:
    top = _top_level(elements)
    columns = dict(top)
    if len(columns) < len(top):
        return Footer({}, None, "has two columns of the same name")
    in_utc = columns.get("TimeGenerated") in UTC_TIMES
    return Footer(columns, _stats_range(stats) if in_utc else None, mismatch(table, columns))


# each file's schema elements in order (parquet_schema echoes the paths given as file_name)
_SCHEMA = """
SELECT file_name, name, duckdb_type, coalesce(num_children, 0) FROM parquet_schema(?) ORDER BY file_name, column_id
"""


def _top_level(elements: list[tuple[str, str, int]]) -> list[tuple[str, str]]:
    """The columns of a file (name, DuckDB type), from parquet_schema's elements in order: the root, then each
    column followed by its nested fields, which are not columns of their own."""

    def end_of(i: int) -> int:  # the index after element i and everything nested in it
        j = i + 1
        for _ in range(elements[i][2]):
            j = end_of(j)
        return j

    out, i = [], 1
    for _ in range(elements[0][2] if elements else 0):
        out.append((elements[i][0], elements[i][1]))
        i = end_of(i)
    return out


# per file, the TimeGenerated statistics of its row groups, in nanoseconds since the epoch (any unit fits)
_TIME_STATS = """
SELECT file_name, count(*), count(stats_min_value), count(stats_max_value),
       epoch_ns(min(TRY_CAST(stats_min_value AS TIMESTAMPTZ_NS))),
       epoch_ns(max(TRY_CAST(stats_max_value AS TIMESTAMPTZ_NS)))
FROM parquet_metadata(?) WHERE path_in_schema = 'TimeGenerated' GROUP BY file_name
"""
_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


def _stats_range(stats: tuple[Any, ...] | None) -> tuple[datetime, datetime] | None:
    """The file's TimeGenerated range from its row groups' statistics, widened to whole microseconds so it covers
    the rows; None when a row group has none (the file is then read whatever the range)."""
    if stats is None:
        return None
    groups, lows, highs, low, high = stats
    if not groups or lows < groups or highs < groups or low is None or high is None:
        return None
    return _EPOCH + timedelta(microseconds=low // 1000), _EPOCH + timedelta(microseconds=-(-high // 1000))


def _reason(exc: Exception, path: str) -> str:
    """DuckDB's first line without its error class, naming the file by nothing more than the report already does."""
    return without_prefix(_first_line(exc)).replace(f" '{path}'", "").replace(path, "the file")


def _first_line(exc: Exception) -> str:
    return str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__


def footers(paths: list[Path], table: str, con: duckdb.DuckDBPyConnection | None = None) -> dict[Path, Footer]:
    """The files' footer verdicts (cached per path, size and modification time; the uncached ones read together, on
    `con` or this thread's own connection); a file that is gone (replaced by a compaction since the listing) is
    left out."""
    out: dict[Path, Footer] = {}
    wanted: dict[str, tuple[Path, tuple[str, str, int, int]]] = {}
    for path in paths:
        try:
            st = path.stat()
        except FileNotFoundError:
            continue
        key = (str(path), table, st.st_size, st.st_mtime_ns)
        known = FOOTERS.get(key)
        if known is not None:
            out[path] = known
        elif st.st_size == 0:
            FOOTERS.put(key, empty := Footer({}, None, "an empty file (0 bytes), not Parquet"))
            out[path] = empty
        else:
            wanted[str(path)] = (path, key)
    read = _read_footers(list(wanted), table, con or _reader()) if wanted else {}
    for name, (path, key) in wanted.items():
        if name in read:
            FOOTERS.put(key, read[name])
            out[path] = read[name]
    return {p: out[p] for p in paths if p in out}  # in the order given


def footer(path: Path, table: str) -> Footer:
    """One file's footer verdict (footers()); raises FileNotFoundError when the file is gone."""
    found = footers([path], table)
    if path not in found:
        raise FileNotFoundError(path)
    return found[path]


def readable_files(
    root: Path,
    table: str,
    start: datetime | None = None,
    end: datetime | None = None,
    *,
    con: duckdb.DuckDBPyConnection | None = None,
) -> tuple[dict[Path, Footer], list[SkippedFile]]:
    """The table's files that may hold rows in [start, end] (every file when the range is open), with their
    footers, and the files left out because they are not Parquet or not in the table's schema. `con`: the DuckDB
    connection to read footers on (a query's own: opening one costs 20 ms)."""
    good: dict[Path, Footer] = {}
    bad: list[SkippedFile] = []
    for f, ft in footers(table_files(root, table), table, con).items():
        rng = ft.time_range
        if ft.problem is not None:
            bad.append(SkippedFile(str(f), ft.problem))
        elif start is None or end is None or rng is None or (rng[1] >= start and rng[0] <= end):
            good[f] = ft
    return good, bad


def files_overlapping(root: Path, table: str, start: datetime | None, end: datetime | None) -> list[Path]:
    """The table's readable files that may hold rows in [start, end] (every one when the range is open)."""
    return list(readable_files(root, table, start, end)[0])
