"""The workspace-based Application Insights tables the local store keeps (names and types as in Azure).

Columns as the Azure Monitor Logs table reference documents them (learn.microsoft.com/azure/azure-monitor/reference/
tables/<table>, source MicrosoftDocs/azure-reference-other azure-monitor-ref/tables/includes/<table>-include.md),
completed by the classic-to-workspace column table of "Migrate to workspace-based Application Insights resources"
(PerformanceBucket, Size); docs/kql.md lists both sources. A file written before a column existed reads it as null.
"""

from __future__ import annotations

from collections.abc import Mapping
from functools import cache
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import pyarrow as pa

# Column types are DuckDB's names, as a file's footer reads in DuckDB (parquet_schema's duckdb_type): a query needs
# no Arrow. The Arrow schema the writers use is built from them on first use (table_schema).
TS = "TIMESTAMP WITH TIME ZONE"  # microseconds, UTC
_S = "VARCHAR"
_BOOL = "BOOLEAN"
_F64 = "DOUBLE"
_I64 = "BIGINT"
_I32 = "INTEGER"

COMMON: list[tuple[str, str]] = [
    ("TimeGenerated", TS),
    ("AppRoleName", _S),
    ("AppRoleInstance", _S),
    ("AppVersion", _S),
    ("OperationId", _S),
    ("OperationName", _S),
    ("ParentId", _S),
    ("SessionId", _S),
    ("UserId", _S),
    ("UserAuthenticatedId", _S),
    ("ClientIP", _S),
    ("ClientCountryOrRegion", _S),
    ("ClientType", _S),
    ("SDKVersion", _S),
    ("Properties", _S),  # dynamic: a JSON object as text
    ("UserAccountId", _S),
    ("ClientStateOrProvince", _S),
    ("ClientCity", _S),
    ("ClientBrowser", _S),
    ("ClientOS", _S),
    ("ClientModel", _S),
    ("SyntheticSource", _S),
    ("IKey", _S),
    ("ResourceGUID", _S),
]
ITEM_COUNT = ("ItemCount", _I64)
MEASUREMENTS = ("Measurements", _S)  # dynamic
# the standard columns every Log Analytics table has, after Type
STANDARD: list[tuple[str, str]] = [
    ("SourceSystem", _S),
    ("TenantId", _S),
    ("_ResourceId", _S),
    ("_SubscriptionId", _S),
    ("_BilledSize", _F64),
    ("_IsBillable", _S),
]
REFERENCED = [("ReferencedItemId", _S), ("ReferencedType", _S)]

OWN: dict[str, list[tuple[str, str]]] = {
    "AppRequests": [
        ("Id", _S),
        ("Name", _S),
        ("Url", _S),
        ("Success", _BOOL),
        ("ResultCode", _S),
        ("DurationMs", _F64),
        ("Source", _S),
        ("PerformanceBucket", _S),
        MEASUREMENTS,
        ITEM_COUNT,
        *REFERENCED,
    ],
    "AppDependencies": [
        ("Id", _S),
        ("Name", _S),
        ("Target", _S),
        ("DependencyType", _S),
        ("Data", _S),
        ("Success", _BOOL),
        ("ResultCode", _S),
        ("DurationMs", _F64),
        ("PerformanceBucket", _S),
        MEASUREMENTS,
        ITEM_COUNT,
        *REFERENCED,
    ],
    "AppExceptions": [
        ("ExceptionType", _S),
        ("Message", _S),
        ("Method", _S),
        ("Assembly", _S),
        ("OuterType", _S),
        ("OuterMessage", _S),
        ("InnermostType", _S),
        ("InnermostMessage", _S),
        ("ProblemId", _S),
        ("HandledAt", _S),
        ("SeverityLevel", _I32),
        ("Details", _S),  # dynamic
        MEASUREMENTS,
        ITEM_COUNT,
        ("OuterMethod", _S),
        ("OuterAssembly", _S),
        ("InnermostMethod", _S),
        ("InnermostAssembly", _S),
    ],
    "AppTraces": [("Message", _S), ("SeverityLevel", _I32), MEASUREMENTS, ITEM_COUNT, *REFERENCED],
    "AppEvents": [("Name", _S), MEASUREMENTS, ITEM_COUNT],
    "AppMetrics": [
        ("Name", _S),
        ("Sum", _F64),
        ("Min", _F64),
        ("Max", _F64),
        ITEM_COUNT,
    ],
    "AppPageViews": [
        ("Id", _S),
        ("Name", _S),
        ("Url", _S),
        ("DurationMs", _F64),
        ("PerformanceBucket", _S),
        MEASUREMENTS,
        ITEM_COUNT,
    ],
    "AppAvailabilityResults": [
        ("Id", _S),
        ("Name", _S),
        ("Location", _S),
        ("Success", _BOOL),
        ("Message", _S),
        ("DurationMs", _F64),
        ("PerformanceBucket", _S),
        MEASUREMENTS,
        ITEM_COUNT,
        ("Size", _F64),
    ],
    # no ItemCount and no Measurements, as in Azure: one row is one sample of one counter
    "AppPerformanceCounters": [
        ("Name", _S),
        ("Category", _S),
        ("Counter", _S),
        ("Instance", _S),
        ("Value", _F64),
    ],
    "AppBrowserTimings": [
        ("Name", _S),
        ("Url", _S),
        ("NetworkDurationMs", _F64),
        ("SendDurationMs", _F64),
        ("ReceiveDurationMs", _F64),
        ("ProcessingDurationMs", _F64),
        ("TotalDurationMs", _F64),
        ("PerformanceBucket", _S),
        MEASUREMENTS,
        ITEM_COUNT,
    ],
    # not an Azure table: the exporters' own statistics (Item_Success_Count...), posted to the ingestion endpoint
    # beside the service's telemetry and kept apart from its AppMetrics
    "AppSdkStats": [
        ("Name", _S),
        ("Sum", _F64),
        ("Min", _F64),
        ("Max", _F64),
        ITEM_COUNT,
    ],
}

TABLES: tuple[str, ...] = tuple(OWN)


def table_columns(table: str) -> list[tuple[str, str]]:
    """The table's columns with their DuckDB types: common columns, its own columns, Type, then the standard ones."""
    if table not in OWN:
        raise KeyError(f"unknown telemetry table {table!r}; known: {', '.join(TABLES)}")
    return [*COMMON, *OWN[table], ("Type", _S), *STANDARD]


def columns(table: str) -> list[str]:
    """The table's column names, in order."""
    return [name for name, _ in table_columns(table)]


@cache
def arrow_type(sql_type: str) -> pa.DataType:
    """The Arrow type files store a column of this DuckDB type in (TS: microseconds, UTC)."""
    import pyarrow as pa  # the writers' and the tests' need; a query reads footers and rows without it

    return {
        _S: pa.string(),
        _BOOL: pa.bool_(),
        _F64: pa.float64(),
        _I64: pa.int64(),
        _I32: pa.int32(),
        TS: pa.timestamp("us", tz="UTC"),
    }[sql_type]


@cache
def table_schema(table: str) -> pa.Schema:
    """The Arrow schema of one table, as its files are written."""
    import pyarrow as pa

    return pa.schema([(name, arrow_type(t)) for name, t in table_columns(table)])


def empty_select(table: str) -> str:
    """A SQL SELECT with the table's columns and no rows, for a table that has no files yet."""
    cols = ", ".join(f'CAST(NULL AS {t}) AS "{name}"' for name, t in table_columns(table))
    return f"SELECT {cols} WHERE false"


# Columns a file must have to be read: without its time a row fits no range, and requests or dependencies without
# their outcome and duration would count as failed or vanish from latencies. Every other column may be absent (an
# older file, a lighter writer) and reads as null.
REQUIRED: dict[str, tuple[str, ...]] = {
    "AppRequests": ("TimeGenerated", "Success", "DurationMs"),
    "AppDependencies": ("TimeGenerated", "Success", "DurationMs"),
    "AppMetrics": ("TimeGenerated", "Name"),
}


_INTEGERS = {"TINYINT": 8, "SMALLINT": 16, "INTEGER": 32, "BIGINT": 64, "HUGEINT": 128}
_UNSIGNED = {"UTINYINT": 8, "USMALLINT": 16, "UINTEGER": 32, "UBIGINT": 64, "UHUGEINT": 128}
_FLOATS = {"FLOAT": 32, "DOUBLE": 64}
# a time that says it is UTC, whatever its unit (DuckDB reads milliseconds and seconds as microseconds)
UTC_TIMES = frozenset({TS, "TIMESTAMPTZ_NS"})


def _fits(actual: str, expected: str) -> bool:
    """Whether values of the DuckDB type `actual` convert to `expected` without loss (so one cast in the view is
    safe). A naive time is not known to be UTC; an unsigned integer needs a bit more room than a signed one."""
    if actual == expected:
        return True
    if expected == TS:
        return actual in UTC_TIMES
    if expected in _INTEGERS or expected in _FLOATS:
        if actual in _FLOATS:
            return expected in _FLOATS and _FLOATS[actual] <= _FLOATS[expected]
        room = _INTEGERS.get(expected, 53)  # a double holds integers up to 2**53
        if actual in _UNSIGNED:
            return _UNSIGNED[actual] < room
        return actual in _INTEGERS and _INTEGERS[actual] <= room
    return False


def mismatch(table: str, found: Mapping[str, str]) -> str | None:
    """Why a file's columns (name: DuckDB type) cannot be read as `table` (a missing required column, a column of
    another type), or None. Extra columns are ignored, and optional columns may be missing."""
    missing = [c for c in REQUIRED.get(table, ("TimeGenerated",)) if c not in found]
    wrong = [
        f"{name} is {found[name]}, expected {t}"
        for name, t in table_columns(table)
        if name in found and not _fits(found[name], t)
    ]
    lacks = [f"lacks the required column{'s' * (len(missing) > 1)} {', '.join(missing)}"] if missing else []
    problems = lacks + wrong
    return "; ".join(problems) if problems else None
