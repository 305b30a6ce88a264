"""The local store's tables have every column Azure documents for them, and files written before a column existed
still read, the new column as null."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from services.telemetry.local import LocalTelemetrySource
from services.telemetry.schema import TABLES, table_schema
from services.telemetry.store import table_files
from services.telemetry.writer import compact
from tests.telemetry_fixtures import AT, req, write

SPAN = (AT - timedelta(days=1), AT)


def rows(frame: pd.DataFrame) -> list[list[object]]:
    """The frame's rows with None for every missing value (pandas shows some as NaN)."""
    return frame.astype(object).where(frame.notna(), None).values.tolist()  # type: ignore[no-any-return]


# learn.microsoft.com/azure/azure-monitor/reference/tables/<table> (MicrosoftDocs/azure-reference-other,
# azure-monitor-ref/tables/includes/<table>-include.md), column names and types as listed there
DOC_COMMON = {
    "AppRoleInstance": "string", "AppRoleName": "string", "AppVersion": "string", "_BilledSize": "real",
    "ClientBrowser": "string", "ClientCity": "string", "ClientCountryOrRegion": "string", "ClientIP": "string",
    "ClientModel": "string", "ClientOS": "string", "ClientStateOrProvince": "string", "ClientType": "string",
    "IKey": "string", "_IsBillable": "string", "OperationId": "string", "OperationName": "string",
    "ParentId": "string", "Properties": "dynamic", "ResourceGUID": "string", "_ResourceId": "string",
    "SDKVersion": "string", "SessionId": "string", "SourceSystem": "string", "_SubscriptionId": "string",
    "SyntheticSource": "string", "TenantId": "string", "TimeGenerated": "datetime", "Type": "string",
    "UserAccountId": "string", "UserAuthenticatedId": "string", "UserId": "string",
}  # fmt: skip
_COUNTED = {"ItemCount": "int", "Measurements": "dynamic"}
_REFERENCED = {"ReferencedItemId": "string", "ReferencedType": "string"}
DOC_OWN = {
    "AppRequests": {"DurationMs": "real", "Id": "string", "Name": "string", "ResultCode": "string",
                    "Source": "string", "Success": "bool", "Url": "string", **_COUNTED, **_REFERENCED},
    "AppDependencies": {"Data": "string", "DependencyType": "string", "DurationMs": "real", "Id": "string",
                        "Name": "string", "ResultCode": "string", "Success": "bool", "Target": "string",
                        **_COUNTED, **_REFERENCED},
    "AppExceptions": {"Assembly": "string", "Details": "dynamic", "ExceptionType": "string", "HandledAt": "string",
                      "InnermostAssembly": "string", "InnermostMessage": "string", "InnermostMethod": "string",
                      "InnermostType": "string", "Message": "string", "Method": "string", "OuterAssembly": "string",
                      "OuterMessage": "string", "OuterMethod": "string", "OuterType": "string",
                      "ProblemId": "string", "SeverityLevel": "int", **_COUNTED},
    "AppTraces": {"Message": "string", "SeverityLevel": "int", **_COUNTED, **_REFERENCED},
    "AppEvents": {"Name": "string", **_COUNTED},
    "AppMetrics": {"ItemCount": "int", "Max": "real", "Min": "real", "Name": "string", "Sum": "real"},
    "AppPerformanceCounters": {"Category": "string", "Counter": "string", "Instance": "string", "Name": "string",
                               "Value": "real"},
    "AppAvailabilityResults": {"DurationMs": "real", "Id": "string", "Location": "string", "Message": "string",
                               "Name": "string", "Success": "bool", **_COUNTED},
    "AppPageViews": {"DurationMs": "real", "Id": "string", "Name": "string", "Url": "string", **_COUNTED},
    "AppBrowserTimings": {"Name": "string", "NetworkDurationMs": "real", "ProcessingDurationMs": "real",
                          "ReceiveDurationMs": "real", "SendDurationMs": "real", "TotalDurationMs": "real",
                          "Url": "string", **_COUNTED},
}  # fmt: skip
# how the local store keeps a documented type: dynamic as JSON text, ItemCount as a long (a count never overflows)
STORED = {"dynamic": {"string"}, "int": {"int", "long"}}


@pytest.fixture
def source(tmp_path: Path) -> LocalTelemetrySource:
    return LocalTelemetrySource(tmp_path / "t")


@pytest.mark.parametrize("table", list(DOC_OWN))
def test_every_documented_column_is_there_with_its_type(source: LocalTelemetrySource, table: str) -> None:
    frame = source.query(f"{table} | getschema", timespan=SPAN).frame
    have = dict(zip(frame.ColumnName, frame.ColumnType, strict=True))
    documented = {**DOC_COMMON, **DOC_OWN[table]}
    assert not set(documented) - set(have), f"{table} lacks {sorted(set(documented) - set(have))}"
    wrong = {c: (t, have[c]) for c, t in documented.items() if have[c] not in STORED.get(t, {t})}
    assert not wrong, wrong


def test_tables_without_counts_have_no_item_count() -> None:
    assert "ItemCount" not in table_schema("AppPerformanceCounters").names
    assert "Measurements" not in table_schema("AppPerformanceCounters").names
    assert "Measurements" not in table_schema("AppMetrics").names
    assert {"AppPerformanceCounters", "AppBrowserTimings", "AppAvailabilityResults", "AppPageViews"} <= set(TABLES)


# AppRequests as the store wrote it before the whole schema: no client, resource or standard columns
OLD_REQUESTS = pa.schema(
    [("TimeGenerated", pa.timestamp("us", tz="UTC")), ("AppRoleName", pa.string()), ("OperationId", pa.string()),
     ("ClientIP", pa.string()), ("Properties", pa.string()), ("Id", pa.string()), ("Name", pa.string()),
     ("Success", pa.bool_()), ("ResultCode", pa.string()), ("DurationMs", pa.float64()), ("ItemCount", pa.int64()),
     ("Type", pa.string())]
)  # fmt: skip


def _old_file(root: Path) -> Path:
    d = root / "AppRequests"
    d.mkdir(parents=True)
    rows = [req(m) for m in (1, 2, 3)]
    data = pa.table({f.name: [r.get(f.name, "AppRequests" if f.name == "Type" else None) for r in rows]
                     for f in OLD_REQUESTS}, schema=OLD_REQUESTS)  # fmt: skip
    pq.write_table(data, d / "old.parquet")
    return d / "old.parquet"


def test_an_old_file_reads_beside_a_new_one(tmp_path: Path) -> None:
    root = tmp_path / "t"
    _old_file(root)
    write(
        root, "AppRequests", [req(m, ClientBrowser="Chrome 131", _ResourceId="/x/components/mana-ai") for m in (4, 5)]
    )
    source = LocalTelemetrySource(root)
    q = "AppRequests | summarize n = sum(ItemCount) by ClientBrowser, _ResourceId, Type | order by n asc"
    assert rows(source.query(q, timespan=SPAN).frame) == [
        ["Chrome 131", "/x/components/mana-ai", "AppRequests", 2],
        [None, None, "AppRequests", 3],
    ]
    assert source.query(q, timespan=SPAN).skipped == ()


def test_an_old_file_alone_reads_the_new_columns_as_null(tmp_path: Path) -> None:
    root = tmp_path / "t"
    _old_file(root)
    q = "AppRequests | summarize n = count(), browsers = dcount(ClientBrowser), billed = sum(_BilledSize)"
    assert LocalTelemetrySource(root).query(q, timespan=SPAN).frame.values.tolist()[0][:2] == [3, 0]


def test_compaction_rewrites_old_files_in_the_whole_schema(tmp_path: Path) -> None:
    root = tmp_path / "t"
    _old_file(root)
    write(root, "AppRequests", [req(4, ClientOS="Android 15")])
    merged, out = compact(root, "AppRequests")
    assert merged == 2 and out is not None and table_files(root, "AppRequests") == [out]
    assert pq.read_schema(out) == table_schema("AppRequests")
    q = "AppRequests | summarize n = count() by ClientOS | order by n desc"
    assert rows(LocalTelemetrySource(root).query(q, timespan=SPAN).frame) == [[None, 3], ["Android 15", 1]]
