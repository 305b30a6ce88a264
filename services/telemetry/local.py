"""The local telemetry source: Parquet files queried by DuckDB through duckdb-kql."""

from __future__ import annotations

import re
import sys
import threading
import time
import types
from pathlib import Path
from typing import TYPE_CHECKING, Any

import duckdb

from services.errors import QueryError
from services.telemetry import classic
from services.telemetry.kql_errors import explain
from services.telemetry.parameters import Parameters, declared
from services.telemetry.schema import TABLES, empty_select, table_columns
from services.telemetry.source import (
    QueryResult,
    QuerySpec,
    SkippedFile,
    Timespan,
    code_span,
    timed_out,
    without_prefix,
)
from services.telemetry.store import Footer, readable_files
from services.telemetry.translation import translate

if TYPE_CHECKING:
    import pyarrow as pa

# the names a query may read a table's files by: its own, and its classic Application Insights name
_NAMES = {t: re.compile(r"\b(?:" + "|".join([t, *(c for c, (w, _) in classic.TABLES.items() if w == t)]) + r")\b")
          for t in TABLES}  # fmt: skip
# a query that may read tables it does not name: every view is pointed at its files first
_ANY_TABLE = re.compile(r"\b(?:union|search|find|table|database|cluster)\b", re.IGNORECASE)


def _sql_ts(value: Any) -> str:
    return "TIMESTAMPTZ '" + value.strftime("%Y-%m-%d %H:%M:%S.%f+00") + "'"


MAX_QUERY_CHARS = 100_000
TRANSLATIONS = ".kql-cache"  # the translations of earlier processes, beside the tables (translation_disk.py)


def _stored_functions() -> bool:
    """Whether stored functions are registered with duckdb-kql (their bodies may read any table); none can be before
    it has loaded."""
    engine = sys.modules.get("duckdb_kql")
    loaded = type(engine) is types.ModuleType  # a lazily imported module not yet read has a class of its own
    return loaded and engine.get_functions() is not None  # type: ignore[union-attr]


class LocalTelemetrySource:
    """Reads <root>/<Table>/*.parquet per query, so files written by other processes show up at once."""

    kind = "local"

    def __init__(self, root: Path, *, row_cap: int = 50_000, timeout_s: float = 30, memory_mb: int = 2048) -> None:
        self.root = Path(root)
        self.memory_mb = memory_mb
        self.row_cap = row_cap
        self.timeout_s = timeout_s
        # one in-memory DuckDB per thread: each query replaces that thread's views with its own file list and
        # time range, and plain (not TEMP) views are what duckdb-kql's join and union can see
        self._local = threading.local()

    def describe(self) -> str:
        """Where the data comes from, and the files every query leaves out (shown on every page's sidebar)."""
        bad = [Path(f.path) for table in TABLES for f in readable_files(self.root, table)[1]]
        if not bad:
            return f"local store {self.root}"
        named = ", ".join(code_span(f"{f.parent.name}/{f.name}") for f in bad[:3])
        more = f" and {len(bad) - 3} more" if len(bad) > 3 else ""
        return (
            f"local store {self.root}; {len(bad)} file{'s' * (len(bad) > 1)} left out of queries: {named}{more} "
            "(`sre-backoffice telemetry check` says why)"
        )

    def _connection(self) -> duckdb.DuckDBPyConnection:
        con = getattr(self._local, "con", None)
        if con is None:
            con = duckdb.connect()
            con.execute("SET TimeZone = 'UTC'")  # what duckdb_kql.connect() does, without loading the engine's parser
            # each thread's database is its own: without a limit each may take 80 % of the machine's memory
            con.execute(f"SET memory_limit = '{int(self.memory_mb)}MB'")
            for table in TABLES:
                con.execute(f'CREATE VIEW "{table}" AS {empty_select(table)}')
            for name in classic.TABLES:  # over the workspace views, which each query points at its files
                con.execute(classic.view_sql(name))
            self._local.con = con
        return con

    def _views(self, con: duckdb.DuckDBPyConnection, kql: str, timespan: Timespan | None) -> list[SkippedFile]:
        """Point the views of the tables `kql` names (every view, for a query that may read others) at their readable
        files; the files left out of those tables. A view no query names keeps its last files: only a query that
        names its table reads it, and that query points it anew first."""
        skipped: list[SkippedFile] = []
        every = bool(_ANY_TABLE.search(kql)) or _stored_functions()
        for table in TABLES:
            named = bool(_NAMES[table].search(kql))
            if not (named or every):
                continue
            files, bad = readable_files(self.root, table, *(timespan or (None, None)), con=con)
            if named:
                skipped.extend(bad)
            if not files:
                con.execute(f'CREATE OR REPLACE VIEW "{table}" AS {empty_select(table)}')
                continue
            paths = ", ".join("'" + str(f).replace("'", "''") + "'" for f in files)
            where = ""
            if timespan is not None:
                where = f' WHERE "TimeGenerated" BETWEEN {_sql_ts(timespan[0])} AND {_sql_ts(timespan[1])}'
            con.execute(
                f'CREATE OR REPLACE VIEW "{table}" AS SELECT {_projection(table, list(files.values()))} '
                f"FROM read_parquet([{paths}], union_by_name=true){where}"
            )
        return skipped

    def query(
        self,
        kql: str,
        *,
        timespan: Timespan | None,
        name: str = "query",
        parameters: Parameters | None = None,
        records: bool = False,
    ) -> QueryResult:
        """Run one KQL query over the store, restricted to the timespan; `parameters` are declared and bound, so the
        text's translation is reused whatever their values; raises QueryError."""
        started = time.perf_counter()
        if len(kql) > MAX_QUERY_CHARS:  # the parse, which no timeout interrupts, grows with the text (42 KB: 2 s)
            raise QueryError(
                f"{name}: the query is {len(kql):,} characters; the local engine takes up to {MAX_QUERY_CHARS:,}. "
                "Shorten it, or run it on the azure source.",
                query_name=name,
            )
        kql = declared(kql, parameters or {})
        added = 1 if parameters else 0  # the declaration's line: positions in messages are in the caller's text
        try:
            translated = translate(kql, disk=self.root / TRANSLATIONS)
            params = translated.bound(timespan[1] if timespan else None, parameters)
        except Exception as exc:  # every refusal and every engine failure becomes one message that says what to do
            raise explain(exc, kql, name, added_lines=added) from None
        table: pa.Table | None = None
        rows: tuple[list[str], list[tuple[Any, ...]]] | None = None
        skipped: list[SkippedFile] = []
        for attempt in range(2):
            con = self._connection()
            timer = _Timer(con, self.timeout_s)
            try:
                skipped = self._views(con, kql, timespan)
                with timer:
                    rel = con.sql(translated.sql, params=params) if params else con.sql(translated.sql)
                    capped = rel.limit(self.row_cap + 1) if self.row_cap else rel
                    if records:  # Python values straight from DuckDB: no Arrow (`slo status` is a whole process)
                        rows = (capped.columns, capped.fetchall())
                    else:
                        table = capped.to_arrow_table()
                break
            except duckdb.InterruptException:
                if not timer.fired:
                    raise
                raise timed_out(name, self.timeout_s) from None
            except duckdb.IOException as exc:
                if attempt == 0 and "No such file" in str(exc):
                    continue  # a compaction replaced a file between listing and reading: list again
                raise self._store_error(name, exc) from None
            except duckdb.Error as exc:
                value = "can't be cast" in str(exc) or "out of range" in str(exc)  # a value of the query, not a file
                if not value and (isinstance(exc, duckdb.InvalidInputException) or "parquet" in str(exc).lower()):
                    # every footer was checked, so this is damage inside a file: DuckDB's message names it
                    raise self._store_error(name, exc) from None
                raise explain(exc, kql, name, added_lines=added) from None
        got = len(rows[1]) if rows is not None else table.num_rows if table is not None else 0
        truncated = bool(self.row_cap) and got > self.row_cap
        if truncated and rows is not None:
            rows = (rows[0], rows[1][: self.row_cap])
        elif truncated and table is not None:
            table = table.slice(0, self.row_cap)
        return QueryResult(
            name=name,
            table=table,
            rows=rows,
            truncated=truncated,
            elapsed_s=time.perf_counter() - started,
            source=self.kind,
            warning=(f"Only the first {self.row_cap:,} rows are shown; narrow the query." if truncated else None),
            skipped=tuple(skipped),
        )

    def _store_error(self, name: str, exc: Exception) -> QueryError:
        return QueryError(
            f"{name}: cannot read the telemetry store {self.root}: {without_prefix(_first_line(exc))}. "
            "`sre-backoffice telemetry check` lists the files it cannot read.",
            query_name=name,
        )

    def query_batch(self, specs: list[QuerySpec]) -> list[QueryResult]:
        """Run the queries one after the other, in order."""
        return [
            self.query(s.text, timespan=s.timespan, name=s.name, parameters=s.parameters, records=s.records)
            for s in specs
        ]


class _Timer:
    """Interrupts a connection once its deadline passes, and only while the query it guards runs."""

    def __init__(self, con: duckdb.DuckDBPyConnection, seconds: float) -> None:
        self.fired = False
        self._con = con
        self._lock = threading.Lock()
        self._running = True
        self._seconds = seconds
        self._timer = threading.Timer(seconds, self._fire)
        self._timer.daemon = True

    def _fire(self) -> None:
        with self._lock:
            if self._running:
                self.fired = True
                self._con.interrupt()

    def __enter__(self) -> _Timer:
        if self._seconds > 0:  # 0 or less: no deadline
            self._timer.start()
        return self

    def __exit__(self, *exc: object) -> None:
        # under the lock, so an interrupt never lands after the query ended (it would cancel the next one)
        with self._lock:
            self._running = False
        self._timer.cancel()


def _projection(table: str, footers: list[Footer]) -> str:
    """Every column of the table in its own type: cast where a file stores a compatible other type (ns times, a
    narrower integer), null where a file lacks it (older files; Type is the table's name), extra columns left out."""
    out = []
    for name, sql_type in table_columns(table):
        having = [ft.columns[name] for ft in footers if name in ft.columns]
        types = set(having)
        col = f'"{name}"' if types == {sql_type} else f'CAST("{name}" AS {sql_type})'
        if name == "Type" and len(having) < len(footers):
            col = f"COALESCE({col}, '{table}')" if types else f"'{table}'"
        elif not types:
            col = f"CAST(NULL AS {sql_type})"
        out.append(f'{col} AS "{name}"')
    return ", ".join(out)


def _first_line(exc: Exception) -> str:
    return str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
