"""The workspace-based Application Insights tables the local store keeps (names and types as in Azure).

Columns as the Azure Monitor Logs table reference documents them (learn.microsoft.com/azure/azure-monitor/reference/
tables/<table>, source MicrosoftDocs/azure-reference-other azure-monitor-ref/tables/includes/<table>-include.md),
completed by the classic-to-workspace column table of "Migrate to workspace-based Application Insights resources"
(PerformanceBucket, Size); docs/kql.md lists both sources. A file written before a column existed reads it as null.
"""

from __future__ import annotations

import pyarrow as pa

TS = pa.timestamp("us", tz="UTC")
_S = pa.string()

COMMON: list[tuple[str, pa.DataType]] = [
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
ITEM_COUNT = ("ItemCount", pa.int64())
MEASUREMENTS = ("Measurements", _S)  # dynamic
# the standard columns every Log Analytics table has, after Type
STANDARD: list[tuple[str, pa.DataType]] = [
    ("SourceSystem", _S),
    ("TenantId", _S),
    ("_ResourceId", _S),
    ("_SubscriptionId", _S),
    ("_BilledSize", pa.float64()),
    ("_IsBillable", _S),
]
REFERENCED = [("ReferencedItemId", _S), ("ReferencedType", _S)]

OWN: dict[str, list[tuple[str, pa.DataType]]] = {
    "AppRequests": [
        ("Id", _S),
        ("Name", _S),
        ("Url", _S),
        ("Success", pa.bool_()),
        ("ResultCode", _S),
        ("DurationMs", pa.float64()),
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
        ("Success", pa.bool_()),
        ("ResultCode", _S),
        ("DurationMs", pa.float64()),
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
        ("SeverityLevel", pa.int32()),
        ("Details", _S),  # dynamic
        MEASUREMENTS,
        ITEM_COUNT,
        ("OuterMethod", _S),
        ("OuterAssembly", _S),
        ("InnermostMethod", _S),
        ("InnermostAssembly", _S),
    ],
    "AppTraces": [("Message", _S), ("SeverityLevel", pa.int32()), MEASUREMENTS, ITEM_COUNT, *REFERENCED],
    "AppEvents": [("Name", _S), MEASUREMENTS, ITEM_COUNT],
    "AppMetrics": [
        ("Name", _S),
        ("Sum", pa.float64()),
        ("Min", pa.float64()),
        ("Max", pa.float64()),
        ITEM_COUNT,
    ],
    "AppPageViews": [
        ("Id", _S),
        ("Name", _S),
        ("Url", _S),
        ("DurationMs", pa.float64()),
        ("PerformanceBucket", _S),
        MEASUREMENTS,
        ITEM_COUNT,
    ],
    "AppAvailabilityResults": [
        ("Id", _S),
        ("Name", _S),
        ("Location", _S),
        ("Success", pa.bool_()),
        ("Message", _S),
        ("DurationMs", pa.float64()),
        ("PerformanceBucket", _S),
        MEASUREMENTS,
        ITEM_COUNT,
        ("Size", pa.float64()),
    ],
    # no ItemCount and no Measurements, as in Azure: one row is one sample of one counter
    "AppPerformanceCounters": [
        ("Name", _S),
        ("Category", _S),
        ("Counter", _S),
        ("Instance", _S),
        ("Value", pa.float64()),
    ],
    "AppBrowserTimings": [
        ("Name", _S),
        ("Url", _S),
        ("NetworkDurationMs", pa.float64()),
        ("SendDurationMs", pa.float64()),
        ("ReceiveDurationMs", pa.float64()),
        ("ProcessingDurationMs", pa.float64()),
        ("TotalDurationMs", pa.float64()),
        ("PerformanceBucket", _S),
        MEASUREMENTS,
        ITEM_COUNT,
    ],
    # not an Azure table: the exporters' own statistics (Item_Success_Count...), posted to the ingestion endpoint
    # beside the service's telemetry and kept apart from its AppMetrics
    "AppSdkStats": [
        ("Name", _S),
        ("Sum", pa.float64()),
        ("Min", pa.float64()),
        ("Max", pa.float64()),
        ITEM_COUNT,
    ],
}

TABLES: tuple[str, ...] = tuple(OWN)


def table_schema(table: str) -> pa.Schema:
    """The Arrow schema of one table: common columns, its own columns, Type, then the standard columns."""
    if table not in OWN:
        raise KeyError(f"unknown telemetry table {table!r}; known: {', '.join(TABLES)}")
    return _SCHEMAS[table]


def _schema(table: str) -> pa.Schema:
    return pa.schema([*COMMON, *OWN[table], ("Type", _S), *STANDARD])


_SCHEMAS = {t: _schema(t) for t in OWN}


def columns(table: str) -> list[str]:
    """The table's column names, in order."""
    return table_schema(table).names


DUCKDB_TYPES = {
    pa.string(): "VARCHAR",
    pa.bool_(): "BOOLEAN",
    pa.float64(): "DOUBLE",
    pa.int64(): "BIGINT",
    pa.int32(): "INTEGER",
    TS: "TIMESTAMPTZ",
}


def empty_select(table: str) -> str:
    """A SQL SELECT with the table's columns and no rows, for a table that has no files yet."""
    cols = ", ".join(f'CAST(NULL AS {DUCKDB_TYPES[f.type]}) AS "{f.name}"' for f in table_schema(table))
    return f"SELECT {cols} WHERE false"


# Columns a file must have to be read: without its time a row fits no range, and requests or dependencies without
# their outcome and duration would count as failed or vanish from latencies. Every other column may be absent (an
# older file, a lighter writer) and reads as null.
REQUIRED: dict[str, tuple[str, ...]] = {
    "AppRequests": ("TimeGenerated", "Success", "DurationMs"),
    "AppDependencies": ("TimeGenerated", "Success", "DurationMs"),
    "AppMetrics": ("TimeGenerated", "Name"),
}


def _fits(actual: pa.DataType, expected: pa.DataType) -> bool:
    """Whether values of `actual` convert to `expected` without loss (so one cast in the view is safe)."""
    if pa.types.is_dictionary(actual):
        actual = actual.value_type
    if actual == expected:
        return True
    if pa.types.is_string(expected):
        return pa.types.is_string(actual) or pa.types.is_large_string(actual) or pa.types.is_string_view(actual)
    if pa.types.is_timestamp(expected):
        return pa.types.is_timestamp(actual) and actual.tz is not None  # a naive time is not known to be UTC
    if pa.types.is_integer(expected) or pa.types.is_floating(expected):
        if pa.types.is_floating(actual):
            return pa.types.is_floating(expected) and actual.bit_width <= expected.bit_width
        if not pa.types.is_integer(actual):
            return False
        room = expected.bit_width if pa.types.is_integer(expected) else 53  # a double holds integers up to 2**53
        return actual.bit_width < room if pa.types.is_unsigned_integer(actual) else actual.bit_width <= room
    return False


def mismatch(table: str, schema: pa.Schema) -> str | None:
    """Why a file's schema cannot be read as `table` (a missing required column, a column of another type), or None.
    Extra columns are ignored, and optional columns may be missing."""
    expected = table_schema(table)
    missing = [c for c in REQUIRED.get(table, ("TimeGenerated",)) if c not in schema.names]
    wrong = [
        f"{f.name} is {schema.field(f.name).type}, expected {f.type}"
        for f in expected
        if f.name in schema.names and not _fits(schema.field(f.name).type, f.type)
    ]
    lacks = [f"lacks the required column{'s' * (len(missing) > 1)} {', '.join(missing)}"] if missing else []
    problems = lacks + wrong
    return "; ".join(problems) if problems else None
