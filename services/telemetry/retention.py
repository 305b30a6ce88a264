"""Retention of the local store: each table keeps the rows of its last SRE_RETENTION_DAYS days.

The cutoff is midnight UTC `days` days before today, so a table keeps today and at least its `days` previous whole
days, and the cutoff moves once a day (a file that straddles it is rewritten once, not on every pass). A file whose
newest row is older than the cutoff is taken out of every query at once by a manifest naming it, and removed by the
next pass; a file that straddles it is superseded as a compaction supersedes its parts: a manifest names the old
file, the kept rows are written under a hidden name, fsync'd and renamed into place (os.replace) under a new name,
and the old file stays, hidden by the manifest, until the next pass removes it (compaction.remove_superseded). So no
file is changed in place (a query that read a file's footer before an in-place rewrite and its rows after it counted
rows of both versions) or removed under a query that listed it, and no reader counts a row twice: none misses a row
of the kept range or fails. New files the ingest flusher or an import write meanwhile are not in the pass's listing
and are left alone. Compaction and retention of one table never run at once (compaction.table_lock), in this
process or another.
"""

from __future__ import annotations

import re
import uuid
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

from services.errors import InvalidInput
from services.telemetry.schema import TABLES
from services.telemetry.store import MANIFESTS, readable_files, table_dir
from services.telemetry.writer import in_schema, write_table

EVERY_TABLE = "*"
MAX_DAYS = 36_500
_ENTRY = re.compile(r"^\s*([A-Za-z*]\w*|\*)\s*=\s*(\S+)\s*$")
EXAMPLE = "`30` for every table, or per table with `*` for the others: `AppTraces=7,AppRequests=90,*=30`"


@dataclass(frozen=True)
class RetentionPolicy:
    """Days of rows per table; a table it does not name keeps every row."""

    days: Mapping[str, int] = field(default_factory=dict)

    def cutoff(self, table: str, now: datetime) -> datetime | None:
        """Rows of `table` before this instant are removed (None: the table keeps every row)."""
        days = self.days.get(table)
        if days is None:
            return None
        today = now.astimezone(UTC).replace(hour=0, minute=0, second=0, microsecond=0)
        return today - timedelta(days=days)

    def describe(self) -> str:
        """The policy in words, e.g. 'AppTraces 7 days, AppRequests 90 days'."""
        if not self.days:
            return "every table keeps every row"
        return ", ".join(f"{t} {d} day{'s' * (d != 1)}" for t, d in self.days.items())


def _days(text: str, whole: str, what: str) -> int:
    try:
        days = int(text)
    except ValueError:
        raise InvalidInput(
            f"SRE_RETENTION_DAYS={whole!r}: {text!r} ({what}) is not a whole number of days; write {EXAMPLE}."
        ) from None
    if not 1 <= days <= MAX_DAYS:
        raise InvalidInput(
            f"SRE_RETENTION_DAYS={whole!r}: {days} days ({what}) is out of range; give 1 to {MAX_DAYS:,} days, or "
            "leave the setting empty to keep every row."
        )
    return days


def parse_policy(text: str) -> RetentionPolicy:
    """SRE_RETENTION_DAYS as a policy; InvalidInput naming the entry that is wrong and how to write it."""
    whole = text.strip()
    if not whole:
        return RetentionPolicy()
    if "=" not in whole:
        return RetentionPolicy(dict.fromkeys(TABLES, _days(whole, whole, "every table")))
    named: dict[str, int] = {}
    for part in whole.split(","):
        m = _ENTRY.match(part)
        if m is None:
            raise InvalidInput(f"SRE_RETENTION_DAYS={whole!r}: {part.strip()!r} is not Table=days; write {EXAMPLE}.")
        table, value = m.group(1), m.group(2)
        if table != EVERY_TABLE and table not in TABLES:
            raise InvalidInput(
                f"SRE_RETENTION_DAYS={whole!r}: there is no table {table!r}; the tables are {', '.join(TABLES)} "
                f"(or {EVERY_TABLE} for every table not named)."
            )
        if table in named:
            raise InvalidInput(f"SRE_RETENTION_DAYS={whole!r}: {table} is named twice; name each table once.")
        named[table] = _days(value, whole, table)
    default = named.pop(EVERY_TABLE, None)
    per_table = {t: named.get(t, default) for t in TABLES}
    return RetentionPolicy({t: d for t, d in per_table.items() if d is not None})


@dataclass
class TableRetention:
    """What retention did (or, in a dry run, would do) to one table."""

    table: str
    cutoff: datetime
    files_removed: int = 0
    files_rewritten: int = 0
    rows_removed: int = 0

    @property
    def changed(self) -> bool:
        """Whether any file was (or would be) removed or rewritten."""
        return bool(self.files_removed or self.files_rewritten)


def _time_range(path: Path) -> tuple[datetime, datetime] | None:
    """The file's oldest and newest TimeGenerated, from the column itself (for a file whose footer has no stats)."""
    col = pq.read_table(path, columns=["TimeGenerated"]).column("TimeGenerated")
    low, high = pc.min(col).as_py(), pc.max(col).as_py()
    if low is None or high is None:
        return None
    return (low if low.tzinfo else low.replace(tzinfo=UTC)), (high if high.tzinfo else high.replace(tzinfo=UTC))


def _kept(data: pa.Table, cutoff: datetime) -> pa.Table:
    """The rows at or after the cutoff (and those without a time, which no range drops)."""
    times = data.column("TimeGenerated")
    kind = times.type  # a timestamp, with or without a zone (readable_files checked the type)
    bound = pa.scalar(cutoff if kind.tz else cutoff.astimezone(UTC).replace(tzinfo=None), type=kind)
    return data.filter(pc.or_kleene(pc.greater_equal(times, bound), pc.is_null(times)))


def _rewrite(root: Path, table: str, path: Path, cutoff: datetime) -> int:
    """Supersede the file by a new one holding its rows from the cutoff on; the rows removed. As a compaction of one
    file: the manifest names the old file before the new one appears (so no reader counts a row twice), and the old
    file stays, hidden, until the next pass removes it (compaction.remove_superseded)."""
    data = pq.read_table(path)
    kept = in_schema(table, _kept(data, cutoff))
    name = f"retained-{datetime.now(UTC):%Y%m%dT%H%M%S%f}-{uuid.uuid4().hex[:8]}"
    manifests = path.parent / MANIFESTS
    manifests.mkdir(exist_ok=True)
    (manifests / f"{name}.txt").write_text(f"{name}.parquet\n{path.name}")
    write_table(root, table, kept, name=name)  # a hidden temporary, fsync'd, renamed into place
    return data.num_rows - kept.num_rows


def apply_table(root: Path, table: str, cutoff: datetime, *, dry_run: bool = False) -> TableRetention:
    """Remove the table's rows before `cutoff`: whole files, or the old rows of a file that straddles it."""
    done = TableRetention(table, cutoff)
    good, _ = readable_files(root, table)  # a file queries leave out is left alone too (`telemetry check`)
    old: list[Path] = []
    for path, ft in good.items():
        try:
            rng = ft.time_range or _time_range(path)
            if rng is None or rng[0] >= cutoff:
                continue
            if rng[1] < cutoff:
                old.append(path)
                done.files_removed += 1
                done.rows_removed += pq.ParquetFile(path).metadata.num_rows
                continue
            done.files_rewritten += 1
            if dry_run:
                times = pq.read_table(path, columns=["TimeGenerated"])
                done.rows_removed += times.num_rows - _kept(times, cutoff).num_rows
            else:
                done.rows_removed += _rewrite(root, table, path, cutoff)
        except FileNotFoundError:  # replaced or removed by another writer since the listing: nothing of it to do
            continue
    if old and not dry_run:
        _hide(root, table, old)
    return done


def _hide(root: Path, table: str, paths: list[Path]) -> None:
    """Take whole files out of every query now and leave their removal to the next pass: a manifest whose first line
    is itself holds while it exists (store.table_files hides the files a holding manifest names), so a query that
    listed them a moment ago still reads them whole."""
    manifests = table_dir(root, table) / MANIFESTS
    manifests.mkdir(exist_ok=True)
    name = f"removed-{datetime.now(UTC):%Y%m%dT%H%M%S%f}-{uuid.uuid4().hex[:8]}.txt"
    tmp = manifests / f".{name}.tmp"  # not *.txt until complete: a reader never meets half a list
    tmp.write_text("\n".join([f"{MANIFESTS}/{name}", *(p.name for p in paths)]))
    tmp.replace(manifests / name)
