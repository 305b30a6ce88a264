"""Values that travel beside a KQL text instead of inside it, so the same text (and its cached translation) serves
every call: the alert worker's windows change each cycle, its rules' texts do not.

The local store declares them (`declare query_parameters(...)`, duckdb-kql's own mechanism) and binds the values to
the SQL's placeholders; Azure Monitor's query API takes no parameters, so there they become `let` statements.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from datetime import UTC, datetime, timedelta
from typing import Any

from services.errors import InvalidInput
from services.telemetry.kql import KqlValue, literal

Parameters = Mapping[str, KqlValue]
_NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")


def _kql_type(name: str, value: KqlValue) -> str:
    if isinstance(value, bool):
        return "bool"
    if isinstance(value, datetime):
        return "datetime"
    if isinstance(value, timedelta):
        return "timespan"
    if isinstance(value, int):
        return "long"
    if isinstance(value, float):
        return "real"
    if isinstance(value, str):
        return "string"
    raise InvalidInput(f"Query parameter {name}: a {type(value).__name__} cannot be a parameter; put it in the text.")


def _checked(parameters: Parameters) -> Parameters:
    for name in parameters:
        if not _NAME.match(name):
            raise InvalidInput(f"Query parameter {name!r}: a name is letters, digits and _.")
    return parameters


def declared(kql: str, parameters: Parameters) -> str:
    """The text with its parameters declared in front (the local store binds their values)."""
    if not parameters:
        return kql
    names = ", ".join(f"{n}:{_kql_type(n, v)}" for n, v in _checked(parameters).items())
    return f"declare query_parameters({names});\n{kql}"


def inlined(kql: str, parameters: Parameters) -> str:
    """The text with each parameter a `let` of its literal value in front (Azure Monitor)."""
    if not parameters:
        return kql
    lets = "".join(f"let {n} = {literal(v)};\n" for n, v in _checked(parameters).items())
    return lets + kql


def engine_value(value: KqlValue) -> Any:
    """A value as DuckDB binds it: KQL datetimes are naive UTC."""
    if isinstance(value, datetime):
        return value.astimezone(UTC).replace(tzinfo=None) if value.tzinfo else value
    return value
