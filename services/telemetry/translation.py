"""KQL to DuckDB SQL through duckdb-kql, once per query text: the parse is the slow part (a quarter of a second for
the SLO query), and the pages, reruns and the worker's rule cycles send the same texts again and again.

The translation depends only on the text and on the tables' columns, which are fixed (schema.py and classic.py), so
it is cached by text. The query clock (`now()`, `ago()`) is a bound value, not part of the SQL: the cached SQL runs
with each call's own end of range.
"""

from __future__ import annotations

import importlib.metadata
from collections import OrderedDict
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from functools import cache
from pathlib import Path
from threading import Lock
from typing import Any

from services.telemetry import classic, constructs, translation_disk
from services.telemetry.kql_engine import duckdb_kql
from services.telemetry.parameters import engine_value
from services.telemetry.schema import TABLES, columns

# every table a query can name, with its columns in the order of its DuckDB view
SCHEMA: dict[str, list[str]] = {t: columns(t) for t in TABLES} | {c: classic.columns(c) for c in classic.TABLES}
CLOCK_SLOT = "kqlnow"  # duckdb-kql's placeholder for the query clock (translate.CLOCK_SLOT)
# the clock the text is translated with; a query that pins its own (`set query_now = ...`) keeps that one
_PROBE = datetime(1970, 1, 1, 0, 0, 0, 1, tzinfo=UTC)
CACHE_SIZE = 512


@dataclass(frozen=True)
class Translation:
    """One query text as SQL: the values to bind with it, whether the query clock is one of them, and the declared
    query parameters the caller gives per call (name -> the SQL's placeholder)."""

    sql: str
    parameters: dict[str, Any]
    clock: bool  # bind the caller's `now` as the clock (False when the query pins its own or reads none)
    slots: dict[str, str] = field(default_factory=dict)
    unbound: tuple[str, ...] = ()  # declared without a default: the caller must give each

    def bound(self, now: datetime | None, values: Mapping[str, Any] | None = None) -> dict[str, Any]:
        """The values to run the SQL with: the declared parameters from `values`, the clock set to `now` (the wall
        clock without one). KqlSchemaError when a declared parameter has no value."""
        values = values or {}
        missing = [n for n in self.unbound if n not in values]
        if missing:
            raise duckdb_kql.KqlSchemaError(", ".join(missing), hint="declared query parameter with no value")
        out = {**self.parameters, **{self.slots[n]: engine_value(v) for n, v in values.items() if n in self.slots}}
        if self.clock:
            out[CLOCK_SLOT] = (now or datetime.now(UTC)).astimezone(UTC).replace(tzinfo=None)  # naive UTC in KQL
        return out


class _Cache:
    """A bounded least-recently-used map from query text to its translation or to the error translating it gave."""

    def __init__(self, size: int) -> None:
        self.size = size
        self._items: OrderedDict[str, Translation | Exception] = OrderedDict()
        self._lock = Lock()
        self.hits = self.misses = 0

    def get(self, kql: str) -> Translation | Exception | None:
        with self._lock:
            found = self._items.get(kql)
            if found is None:
                self.misses += 1
                return None
            self._items.move_to_end(kql)
            self.hits += 1
            return found

    def put(self, kql: str, value: Translation | Exception) -> None:
        with self._lock:
            self._items[kql] = value
            self._items.move_to_end(kql)
            while len(self._items) > self.size:
                self._items.popitem(last=False)

    def clear(self) -> None:
        with self._lock:
            self._items.clear()
            self.hits = self.misses = 0


CACHE = _Cache(CACHE_SIZE)


def _translate(kql: str) -> Translation:
    rewritten = constructs.rewrite(kql, SCHEMA)  # the constructs the engine lacks, in KQL it runs
    try:
        result = duckdb_kql.to_sql(rewritten.text, schema=SCHEMA, query_now=_PROBE)
    except duckdb_kql.KqlError as exc:
        if rewritten.changed:
            raise _placed(exc, rewritten) from None
        raise
    params = dict(result.parameters)
    probe = _PROBE.replace(tzinfo=None)
    clock = params.get(CLOCK_SLOT) == probe
    slots = {d.name: d.slot for d in result.declarations if d.slot in result.slots}
    return Translation(str(result), params, clock, slots, tuple(result.unbound))


def _placed(exc: duckdb_kql.KqlError, rewritten: constructs.Rewritten) -> duckdb_kql.KqlError:
    """The engine's error on the rewritten text, at its place in the text the user wrote."""

    def back(span: duckdb_kql.SourceSpan) -> duckdb_kql.SourceSpan:
        return duckdb_kql.SourceSpan(*rewritten.original_position(span.line, span.column))

    if isinstance(exc, duckdb_kql.KqlUnsupportedError) and exc.span is not None:
        return duckdb_kql.KqlUnsupportedError(exc.construct, back(exc.span), exc.hint)
    if isinstance(exc, duckdb_kql.KqlSyntaxError):
        found = [duckdb_kql.Diagnostic(back(d.span), d.message) for d in exc.diagnostics]
        return duckdb_kql.KqlSyntaxError(str(exc), found)
    return exc


def translate(kql: str, *, disk: Path | None = None) -> Translation:
    """The SQL of a KQL text (cached in memory, and in the folder `disk` when given); raises the engine's error
    (KqlError, or what else it raised) unchanged."""
    found = CACHE.get(kql)
    if found is None:
        found = _from_disk(disk, kql) if disk else None
        if found is None:
            try:
                found = _translate(kql)
            except Exception as exc:  # a text that does not translate fails the same way every time
                found = exc
            else:
                if disk:
                    _to_disk(disk, kql, found)
        CACHE.put(kql, found)
    if isinstance(found, Exception):
        raise found.with_traceback(None)
    return found


@cache
def _engine_version() -> str:
    """duckdb-kql's version, from its installed metadata (reading `duckdb_kql.__version__` would load its parser)."""
    return importlib.metadata.version("duckdb-kql")


def _disk_key(kql: str) -> str:
    return translation_disk.key(kql, version=_engine_version(), schema=SCHEMA)


def _from_disk(folder: Path, kql: str) -> Translation | None:
    """The translation a process stored for this text, engine version, schema and code (None: translate it)."""
    record = translation_disk.read(folder, _disk_key(kql))
    if record is None:
        return None
    sql, parameters, clock, slots, unbound = (record.get(f) for f in _FIELDS)
    if not (isinstance(sql, str) and isinstance(parameters, dict) and isinstance(clock, bool)):
        return None
    if not (isinstance(slots, dict) and isinstance(unbound, list)):
        return None
    return Translation(sql, parameters, clock, slots, tuple(unbound))


def _to_disk(folder: Path, kql: str, found: Translation) -> None:
    translation_disk.write(folder, _disk_key(kql), {f: getattr(found, f) for f in _FIELDS})


_FIELDS = ("sql", "parameters", "clock", "slots", "unbound")
