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
