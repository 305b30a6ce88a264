"""KQL text checks shared by both sources: the one literal-escaping helper (`literal`) and the syntax check."""

from __future__ import annotations

import math
import re
from collections.abc import Sequence
from datetime import UTC, datetime, timedelta
from functools import lru_cache

from services.errors import InvalidInput, QueryError
from services.telemetry.kql_engine import duckdb_kql

_ESCAPES = {"\\": "\\\\", '"': '\\"', "\n": "\\n", "\r": "\\r", "\t": "\\t"}
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")
_LONG_EXPECTING = re.compile(r"expecting \{[^}]{120,}\}")  # the parser lists every token it could take

KqlValue = str | bool | int | float | datetime | timedelta | tuple[str, ...] | None


def string_literal(value: str) -> str:
    """A double-quoted KQL string whose content is exactly `value`, whatever it contains."""
    if _CONTROL.search(value):
        raise InvalidInput("The value contains control characters; remove them and try again.")
    return '"' + "".join(_ESCAPES.get(ch, ch) for ch in value) + '"'


def datetime_literal(value: datetime) -> str:
    """datetime(...) in UTC with microseconds; naive datetimes are refused."""
    if value.tzinfo is None:
        raise InvalidInput("A time without a time zone was given; use a UTC time such as 2026-11-01T12:00:00Z.")
    return "datetime(" + value.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ") + ")"


def timespan_literal(value: timedelta) -> str:
    """time(d.hh:mm:ss.fffffff) for a non-negative duration."""
    total_us = round(value.total_seconds() * 1_000_000)
    if total_us < 0:
        raise InvalidInput("A negative duration was given.")
    days, rem = divmod(total_us, 86_400_000_000)
    hours, rem = divmod(rem, 3_600_000_000)
    minutes, rem = divmod(rem, 60_000_000)
    seconds, micros = divmod(rem, 1_000_000)
    return f"time({days}.{hours:02d}:{minutes:02d}:{seconds:02d}.{micros:06d})"


def literal(value: KqlValue) -> str:
    """A KQL literal for a Python value: str, bool, int, float, aware datetime, timedelta, None, or a tuple of str
    (rendered as the comma-separated members of an `in (...)` list)."""
    if value is None:
        return "dynamic(null)"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return f"long({value})"
    if isinstance(value, float):
        if not math.isfinite(value):
            raise InvalidInput("A number must be finite.")
        return f"real({value!r})"
    if isinstance(value, datetime):
        return datetime_literal(value)
    if isinstance(value, timedelta):
        return timespan_literal(value)
    if isinstance(value, str):
        return string_literal(value)
    if isinstance(value, tuple):  # the members of an `in (...)` list: `Name in ({operations})`
        if not value or not all(isinstance(v, str) for v in value):
            raise InvalidInput("A list put into a query needs at least one value, all of them text.")
        return ", ".join(string_literal(v) for v in value)
    raise InvalidInput(f"A value of type {type(value).__name__} cannot be put into a query.")


@lru_cache(maxsize=512)  # the pages, reruns and rule cycles check the same texts again: parse each once
def _diagnostics(kql: str) -> tuple[duckdb_kql.Diagnostic, ...]:
    return tuple(duckdb_kql.validate(kql))


def syntax_error(kql: str, name: str) -> QueryError | None:
    """A QueryError with line and column when the KQL does not parse, else None."""
    return syntax_message(_diagnostics(kql), name)


def syntax_message(diagnostics: Sequence[duckdb_kql.Diagnostic], name: str) -> QueryError | None:
    """The first diagnostic as a QueryError with line and column (None without diagnostics)."""
    if not diagnostics:
        return None
    d = diagnostics[0]
    line, col = d.span.line, d.span.column + 1
    message = _LONG_EXPECTING.sub("expecting more here (an operator, a name or a value)", d.message)
    return QueryError(
        f"KQL syntax error in {name} at line {line}, column {col}: {message}",
        query_name=name,
        line=line,
        column=col,
    )
