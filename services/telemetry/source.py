"""The telemetry source interface both the local store and Azure Monitor implement."""

from __future__ import annotations

import re
import threading
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from decimal import Decimal
from functools import cached_property
from typing import TYPE_CHECKING, Any, Protocol

from services.errors import QueryError

if TYPE_CHECKING:
    import duckdb
    import pandas as pd
    import pyarrow as pa

    from services.telemetry.kql import KqlValue

Timespan = tuple[datetime, datetime]


def timed_out(name: str, seconds: float) -> QueryError:
    """The message for a query stopped at its time limit (SRE_QUERY_TIMEOUT_S), with the ways to make it cheaper."""
    return QueryError(
        f"{name}: the query ran past {seconds:g} s and was stopped (SRE_QUERY_TIMEOUT_S). Narrow it: a shorter "
        "time range, `where` filters first, and `summarize` instead of returning raw rows.",
        query_name=name,
    )


_DUCKDB_PREFIX = re.compile(r"\b[A-Z][a-z]+(?: [A-Z][a-z]+)? Error: ")


def without_prefix(text: str) -> str:
    """DuckDB's message without its "Binder Error: "-style prefix."""
    return _DUCKDB_PREFIX.sub("", text).strip()


@dataclass(frozen=True)
class SkippedFile:
    """A file of the local store that queries leave out, and why."""

    path: str
    reason: str


class QueryResult:
    """One query's rows, with what the user must know about them (partial results, a row cap, files left out).

    The local store hands its rows over as an Arrow table: `records()` reads them as Python values and `frame`, the
    pandas DataFrame the pages use, is built on first use, so a command that needs only figures (`slo status`) never
    imports pandas. A query asked for records only (QuerySpec.records) comes as DuckDB's Python rows, so neither
    does it import Arrow. Azure's rows arrive as a frame.
    """

    def __init__(
        self,
        name: str,
        frame: pd.DataFrame | None = None,
        *,
        table: pa.Table | None = None,
        rows: tuple[list[str], list[tuple[Any, ...]]] | None = None,
        warning: str | None = None,
        truncated: bool = False,
        elapsed_s: float = 0.0,
        source: str = "",
        extras: dict[str, object] | None = None,
        skipped: tuple[SkippedFile, ...] = (),
    ) -> None:
        if sum(x is not None for x in (frame, table, rows)) != 1:
            raise TypeError("a QueryResult holds a frame, an Arrow table or (columns, rows)")
        self.name = name
        self.table = table
        self.rows = rows
        if frame is not None:
            self.__dict__["frame"] = frame
        self.warning = warning
        self.truncated = truncated
        self.elapsed_s = elapsed_s
        self.source = source
        self.extras: dict[str, object] = extras if extras is not None else {}
        self.skipped = skipped

    @cached_property
    def frame(self) -> pd.DataFrame:
        """The rows as a DataFrame, with the dtypes DuckDB gives a frame (built from the Arrow table by DuckDB; from
        Python rows by pandas, for a query asked for records)."""
        if self.rows is not None:
            import pandas as pd

            names, values = self.rows
            return normalise_frame(pd.DataFrame.from_records(values, columns=names))
        assert self.table is not None
        return normalise_frame(_converter().from_arrow(self.table).df())

    def records(self) -> list[dict[str, object]]:
        """The rows as dicts of Python values (datetimes, ints, floats, Decimals, None), without pandas when the rows
        came as Arrow or as rows."""
        if self.rows is not None:
            names, values = self.rows
            return [dict(zip(names, row, strict=True)) for row in values]
        if self.table is not None and "frame" not in self.__dict__:
            rows: list[dict[str, object]] = self.table.to_pylist()
            import pyarrow as pa  # loaded already: the table is one of its

            spans = [f.name for f in self.table.schema if pa.types.is_interval(f.type)]
            for row in rows if spans else []:  # Arrow's month-day-nano intervals as the timedeltas a frame holds
                for name in spans:
                    row[name] = _timedelta(row[name])
            return rows
        return [{str(k): v for k, v in row.items()} for row in self.frame.to_dict("records")]

    @property
    def notices(self) -> tuple[str, ...]:
        """What a page shows above the rows: the source's warning, then one line naming the files left out."""
        out = (self.warning,) if self.warning else ()
        return out + ((skipped_notice(self.skipped),) if self.skipped else ())


def _timedelta(value: Any) -> timedelta | None:
    """A pyarrow MonthDayNano (months, days, nanoseconds) as a timedelta."""
    if value is None:
        return None
    months, days, ns = (int(part) for part in value)
    return timedelta(days=30 * months + days, microseconds=ns // 1000)  # a month counts 30 days, as in DuckDB's df()


_CONVERTERS = threading.local()


def _converter() -> duckdb.DuckDBPyConnection:
    """This thread's in-memory DuckDB connection that turns Arrow tables into frames (opening one takes ~30 ms, so
    each thread keeps its own: a connection is not to be shared between threads)."""
    con = getattr(_CONVERTERS, "con", None)
    if con is None:
        import duckdb

        con = _CONVERTERS.con = duckdb.connect()
    return con


def skipped_notice(files: tuple[SkippedFile, ...]) -> str:
    """One warning naming every file left out, with its reason and what to do."""
    # code spans: a file name or a reader's message cannot turn into Markdown (a link, an image) on a page
    named = "; ".join(f"{code_span(f.path)} ({code_span(f.reason)})" for f in files)
    many = len(files) > 1
    return (
        f"{len(files)} telemetry file{'s' * many} left out of these figures, so they may be low: {named}. "
        f"Move {'them' if many else 'it'} out of the store or rewrite {'them' if many else 'it'} in the table's "
        "schema; `sre-backoffice telemetry check` lists every such file."
    )


@dataclass(frozen=True)
class QuerySpec:
    """A KQL text to run over a timespan, named for messages."""

    name: str
    text: str
    timespan: Timespan | None = None
    parameters: Mapping[str, KqlValue] = field(default_factory=dict)  # values beside the text (telemetry.parameters)
    records: bool = False  # the caller reads records() only: the local store skips Arrow (QueryResult)


class TelemetrySource(Protocol):
    """Runs KQL over the Application Insights tables."""

    kind: str

    def query(
        self,
        kql: str,
        *,
        timespan: Timespan | None,
        name: str = "query",
        parameters: Mapping[str, KqlValue] | None = None,
        records: bool = False,
    ) -> QueryResult:
        """Run one KQL query; `timespan` restricts every table to [start, end]; `parameters` are values the text names
        (services.telemetry.parameters); `records`: the caller reads records() only (QuerySpec.records)."""
        ...

    def query_batch(self, specs: list[QuerySpec]) -> list[QueryResult]:
        """Run several queries; results in request order."""
        ...

    def describe(self) -> str:
        """A one-line description of where the data comes from, for the page footer."""
        ...


def code_span(text: str) -> str:
    """Text as a Markdown code span, so nothing in it renders as a link or an image."""
    return "`" + text.replace("`", "'").replace("\n", " ") + "`"


def normalise_frame(frame: pd.DataFrame) -> pd.DataFrame:
    """Same dtypes from both sources: UTC-aware datetimes, floats instead of Decimals."""
    import pandas as pd  # here: the ingestion's drain process reads this module's types and never a frame

    for col in frame.columns:
        s = frame[col]
        if pd.api.types.is_datetime64_any_dtype(s):
            frame[col] = s.dt.tz_localize("UTC") if s.dt.tz is None else s.dt.tz_convert("UTC")
        elif s.dtype == object and len(s) and isinstance(s.dropna().iloc[0] if s.notna().any() else None, Decimal):
            frame[col] = s.astype(float)
    return frame
