"""The classic Application Insights tables (`requests`, `dependencies`, ...) as DuckDB views over the workspace tables,
so a query written for an Application Insights resource runs on the local store unchanged.

The column mapping is Microsoft's ("Migrate to workspace-based Application Insights resources", section "Table
schemas"; docs/kql.md copies it with its source). Where that table says "(removed)" the column is left out, except
`appName`, which is the resource name at the end of `_ResourceId`, and `itemType`, which holds the classic item type
("request", "dependency", ...) as an Application Insights resource answers it.
"""

from __future__ import annotations

import re

from services.telemetry.schema import OWN

# classic table -> (workspace table, the classic item type)
TABLES: dict[str, tuple[str, str]] = {
    "requests": ("AppRequests", "request"),
    "dependencies": ("AppDependencies", "dependency"),
    "exceptions": ("AppExceptions", "exception"),
    "traces": ("AppTraces", "trace"),
    "customEvents": ("AppEvents", "customEvent"),
    "customMetrics": ("AppMetrics", "customMetric"),
    "pageViews": ("AppPageViews", "pageView"),
    "browserTimings": ("AppBrowserTimings", "browserTiming"),
    "availabilityResults": ("AppAvailabilityResults", "availabilityResult"),
    "performanceCounters": ("AppPerformanceCounters", "performanceCounter"),
}

# each table's own columns first, in the classic schema's order: classic name -> workspace column
_OWN: dict[str, list[tuple[str, str]]] = {
    "requests": [("id", "Id"), ("source", "Source"), ("name", "Name"), ("url", "Url"), ("success", "Success"),
                 ("resultCode", "ResultCode"), ("duration", "DurationMs"), ("performanceBucket", "PerformanceBucket")],
    "dependencies": [("id", "Id"), ("target", "Target"), ("type", "DependencyType"), ("name", "Name"),
                     ("data", "Data"), ("success", "Success"), ("resultCode", "ResultCode"),
                     ("duration", "DurationMs"), ("performanceBucket", "PerformanceBucket")],
    "exceptions": [("problemId", "ProblemId"), ("handledAt", "HandledAt"), ("type", "ExceptionType"),
                   ("message", "Message"), ("assembly", "Assembly"), ("method", "Method"),
                   ("outerType", "OuterType"), ("outerMessage", "OuterMessage"), ("outerAssembly", "OuterAssembly"),
                   ("outerMethod", "OuterMethod"), ("innermostType", "InnermostType"),
                   ("innermostMessage", "InnermostMessage"), ("innermostAssembly", "InnermostAssembly"),
                   ("innermostMethod", "InnermostMethod"), ("severityLevel", "SeverityLevel"), ("details", "Details")],
    "traces": [("message", "Message"), ("severityLevel", "SeverityLevel")],
    "customEvents": [("name", "Name")],
    "customMetrics": [("name", "Name"), ("value", "Sum"), ("valueCount", "ItemCount"), ("valueSum", "Sum"),
                      ("valueMin", "Min"), ("valueMax", "Max")],
    "pageViews": [("id", "Id"), ("name", "Name"), ("url", "Url"), ("duration", "DurationMs"),
                  ("performanceBucket", "PerformanceBucket")],
    "browserTimings": [("name", "Name"), ("url", "Url"), ("networkDuration", "NetworkDurationMs"),
                       ("sendDuration", "SendDurationMs"), ("receiveDuration", "ReceiveDurationMs"),
                       ("processingDuration", "ProcessingDurationMs"), ("totalDuration", "TotalDurationMs"),
                       ("performanceBucket", "PerformanceBucket")],
    "availabilityResults": [("id", "Id"), ("name", "Name"), ("location", "Location"), ("success", "Success"),
                            ("message", "Message"), ("size", "Size"), ("duration", "DurationMs"),
                            ("performanceBucket", "PerformanceBucket")],
    "performanceCounters": [("name", "Name"), ("category", "Category"), ("counter", "Counter"),
                            ("instance", "Instance"), ("value", "Value")],
}  # fmt: skip

_CONTEXT: list[tuple[str, str]] = [
    ("operation_Name", "OperationName"),
    ("operation_Id", "OperationId"),
    ("operation_ParentId", "ParentId"),
    ("operation_SyntheticSource", "SyntheticSource"),
    ("session_Id", "SessionId"),
    ("user_Id", "UserId"),
    ("user_AuthenticatedId", "UserAuthenticatedId"),
    ("user_AccountId", "UserAccountId"),
    ("application_Version", "AppVersion"),
    ("client_Type", "ClientType"),
    ("client_Model", "ClientModel"),
    ("client_OS", "ClientOS"),
    ("client_IP", "ClientIP"),
    ("client_City", "ClientCity"),
    ("client_StateOrProvince", "ClientStateOrProvince"),
    ("client_CountryOrRegion", "ClientCountryOrRegion"),
    ("client_Browser", "ClientBrowser"),
    ("cloud_RoleName", "AppRoleName"),
    ("cloud_RoleInstance", "AppRoleInstance"),
    ("appId", "ResourceGUID"),
]
_RESOURCE_NAME = """NULLIF(regexp_extract("_ResourceId", '[^/]+$'), '')"""


def _select(classic: str) -> list[tuple[str, str]]:
    """(classic column, SQL over the workspace view) in the classic schema's order."""
    workspace, item_type = TABLES[classic]
    own = [c for c, _ in OWN[workspace]]
    cols: list[tuple[str, str]] = [("timestamp", '"TimeGenerated"')]
    cols += [(name, f'"{col}"') for name, col in _OWN[classic]]
    cols += [("itemType", f"'{item_type}'"), ("customDimensions", '"Properties"')]
    if "Measurements" in own:
        cols.append(("customMeasurements", '"Measurements"'))
    cols += [(name, f'"{col}"') for name, col in _CONTEXT]
    cols += [("appName", _RESOURCE_NAME), ("iKey", '"IKey"'), ("sdkVersion", '"SDKVersion"')]
    if "ItemCount" in own and classic != "customMetrics":  # a metric's count is its valueCount
        cols.append(("itemCount", '"ItemCount"'))
    cols.append(("_ResourceId", '"_ResourceId"'))
    return cols


def columns(classic: str) -> list[str]:
    """The classic table's column names, in order."""
    return [name for name, _ in _select(classic)]


def renamed(classic: str) -> dict[str, str]:
    """The classic table's columns that are a workspace column renamed: classic name -> workspace name."""
    return {name: sql.strip('"') for name, sql in _select(classic) if re.fullmatch(r'"\w+"', sql)}


def view_sql(classic: str) -> str:
    """CREATE OR REPLACE VIEW for one classic table over its workspace table's view."""
    body = ", ".join(f'{sql} AS "{name}"' for name, sql in _select(classic))
    return f'CREATE OR REPLACE VIEW "{classic}" AS SELECT {body} FROM "{TABLES[classic][0]}"'


def workspace_table(name: str) -> str:
    """The workspace table a classic table reads (the name itself for a workspace table)."""
    return TABLES[name][0] if name in TABLES else name
