"""The workspace-based Application Insights tables the local store keeps (names and types as in Azure)."""

from __future__ import annotations

import pyarrow as pa

TS = pa.timestamp("us", tz="UTC")

COMMON: list[tuple[str, pa.DataType]] = [
    ("TimeGenerated", TS),
    ("AppRoleName", pa.string()),
    ("AppRoleInstance", pa.string()),
    ("AppVersion", pa.string()),
    ("OperationId", pa.string()),
    ("OperationName", pa.string()),
    ("ParentId", pa.string()),
    ("SessionId", pa.string()),
    ("UserId", pa.string()),
    ("UserAuthenticatedId", pa.string()),
    ("ClientIP", pa.string()),
    ("ClientCountryOrRegion", pa.string()),
    ("ClientType", pa.string()),
    ("SDKVersion", pa.string()),
    ("Properties", pa.string()),  # dynamic: a JSON object as text
]
ITEM_COUNT = ("ItemCount", pa.int64())
MEASUREMENTS = ("Measurements", pa.string())

OWN: dict[str, list[tuple[str, pa.DataType]]] = {
    "AppRequests": [
        ("Id", pa.string()),
        ("Name", pa.string()),
        ("Url", pa.string()),
        ("Success", pa.bool_()),
        ("ResultCode", pa.string()),
        ("DurationMs", pa.float64()),
        ("Source", pa.string()),
        ("PerformanceBucket", pa.string()),
        MEASUREMENTS,
        ITEM_COUNT,
    ],
    "AppDependencies": [
        ("Id", pa.string()),
        ("Name", pa.string()),
        ("Target", pa.string()),
        ("DependencyType", pa.string()),
        ("Data", pa.string()),
        ("Success", pa.bool_()),
        ("ResultCode", pa.string()),
        ("DurationMs", pa.float64()),
        ("PerformanceBucket", pa.string()),
        MEASUREMENTS,
        ITEM_COUNT,
    ],
    "AppExceptions": [
        ("ExceptionType", pa.string()),
        ("Message", pa.string()),
        ("Method", pa.string()),
        ("Assembly", pa.string()),
        ("OuterType", pa.string()),
        ("OuterMessage", pa.string()),
        ("InnermostType", pa.string()),
        ("InnermostMessage", pa.string()),
        ("ProblemId", pa.string()),
        ("HandledAt", pa.string()),
        ("SeverityLevel", pa.int32()),
        ("Details", pa.string()),
        MEASUREMENTS,
        ITEM_COUNT,
    ],
    "AppTraces": [("Message", pa.string()), ("SeverityLevel", pa.int32()), MEASUREMENTS, ITEM_COUNT],
    "AppEvents": [("Name", pa.string()), MEASUREMENTS, ITEM_COUNT],
    "AppMetrics": [
        ("Name", pa.string()),
        ("Sum", pa.float64()),
        ("Min", pa.float64()),
        ("Max", pa.float64()),
        ITEM_COUNT,
    ],
    "AppPageViews": [
        ("Id", pa.string()),
        ("Name", pa.string()),
        ("Url", pa.string()),
        ("DurationMs", pa.float64()),
        ("PerformanceBucket", pa.string()),
        MEASUREMENTS,
        ITEM_COUNT,
    ],
    "AppAvailabilityResults": [
        ("Id", pa.string()),
        ("Name", pa.string()),
        ("Location", pa.string()),
        ("Success", pa.bool_()),
        ("Message", pa.string()),
        ("DurationMs", pa.float64()),
        ("PerformanceBucket", pa.string()),
        MEASUREMENTS,
        ITEM_COUNT,
    ],
    # not an Azure table: the exporters' own statistics (Item_Success_Count...), posted to the ingestion endpoint
    # beside the service's telemetry and kept apart from its AppMetrics
    "AppSdkStats": [
        ("Name", pa.string()),
        ("Sum", pa.float64()),
        ("Min", pa.float64()),
        ("Max", pa.float64()),
        ITEM_COUNT,
    ],
}

TABLES: tuple[str, ...] = tuple(OWN)


def table_schema(table: str) -> pa.Schema:
    """The Arrow schema of one table: common columns, its own columns, then Type."""
    if table not in OWN:
        raise KeyError(f"unknown telemetry table {table!r}; known: {', '.join(TABLES)}")
    return pa.schema([*COMMON, *OWN[table], ("Type", pa.string())])


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
