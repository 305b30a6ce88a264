"""A share link that opens a KQL query in the Azure portal's Logs blade, scoped to the configured resource.

The format is the portal's own "Share > Copy link to query" (source LogsBlade.AnalyticsShareLinkToQuery). Checked
on 2026-12-03 against links the portal generated, found in public repositories (search "AnalyticsShareLinkToQuery"):
Microsoft Learn's KQL tutorial links "Run the query" to
`.../Logs.ReactView/resourceId/%2FDemo/source/LogsBlade.AnalyticsShareLinkToQuery/q/H4sIAAAAAAAAA%252FNxDCxNLar0yU8vBgDTZ2tdCwAAAA%253D%253D/timespan/P1D`
whose q decodes (URL-decoded twice, base64, gunzip) to `LAQueryLogs` (tests/services/telemetry/test_portal_link.py);
links in GitHub issues have `#@<tenant>/blade/Microsoft_OperationsManagementSuite_Workspace/Logs.ReactView/...` and
timespans `P1D`, `P7D`, `PT1H`; a workbook script writes an absolute range as `<start>/<end>` in ISO 8601 with the
slash encoded (`%2F`). The portal URL-encodes the base64 twice (`%252F`), the resource id once.
"""

from __future__ import annotations

import base64
import gzip
from datetime import UTC, datetime, timedelta
from urllib.parse import quote

from services.config import AzureSettings, Settings
from services.errors import InvalidInput

PORTAL = "https://portal.azure.com/#"
BLADE = "blade/Microsoft_OperationsManagementSuite_Workspace/Logs.ReactView"
SOURCE = "LogsBlade.AnalyticsShareLinkToQuery"
NEEDS_RESOURCE = (
    "A link to this query in the Azure portal needs an Azure resource id, and SRE_AZURE_WORKSPACE_ID holds the "
    "workspace GUID: set SRE_AZURE_RESOURCE_ID to the workspace's or Application Insights resource's id "
    "(/subscriptions/…/resourceGroups/…/providers/…) instead; queries run the same against it."
)


def _segment(text: str) -> str:
    return quote(text, safe="")


def encoded_query(kql: str) -> str:
    """The query as the portal's q segment: gzip of the UTF-8 text, base64, URL-encoded twice."""
    packed = base64.b64encode(gzip.compress(kql.encode("utf-8"), mtime=0)).decode("ascii")
    return _segment(_segment(packed))


def _instant(at: datetime) -> str:
    if at.tzinfo is None:
        raise InvalidInput("The time range has no time zone.")
    return at.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%f")[:-3] + "Z"


def timespan_segment(timespan: tuple[datetime, datetime] | timedelta) -> str:
    """An ISO 8601 duration (`PT3600S`) for a timedelta, or `<start>/<end>` in UTC for a range, as one segment."""
    if isinstance(timespan, timedelta):
        seconds = timespan.total_seconds()
        if seconds <= 0:
            raise InvalidInput("The time range is empty.")
        return f"PT{int(seconds) if seconds.is_integer() else seconds}S"
    start, end = timespan
    first, last = _instant(start), _instant(end)
    if end <= start:
        raise InvalidInput("The time range ends before it starts.")
    return _segment(f"{first}/{last}")


def scope(azure: AzureSettings) -> str:
    """The resource id the link opens the Logs blade on; InvalidInput when only a workspace GUID is configured."""
    if azure.resource_id:
        return azure.resource_id.strip()
    if azure.workspace_id and azure.workspace_id.strip().lower().startswith("/subscriptions/"):
        return azure.workspace_id.strip()  # an ARM id of a workspace works as the blade's resourceId
    if azure.workspace_id:
        raise InvalidInput(NEEDS_RESOURCE)
    raise InvalidInput("A link to this query in the Azure portal needs SRE_AZURE_RESOURCE_ID (an Azure resource id).")


def logs_link(
    kql: str, *, resource_id: str, timespan: tuple[datetime, datetime] | timedelta, tenant: str | None = None
) -> str:
    """The portal URL that opens `kql` in the Logs blade of `resource_id` over `timespan`."""
    if not kql.strip():
        raise InvalidInput("The query is empty; type a KQL query to open it in the Azure portal.")
    if not resource_id.startswith("/"):
        raise InvalidInput(
            f"{resource_id!r} is not an Azure resource id: set SRE_AZURE_RESOURCE_ID to /subscriptions/…/providers/…."
        )
    head = f"{PORTAL}@{_segment(tenant)}/" if tenant else PORTAL
    return (
        f"{head}{BLADE}/resourceId/{_segment(resource_id)}/source/{SOURCE}"
        f"/q/{encoded_query(kql)}/timespan/{timespan_segment(timespan)}"
    )


def link_for(kql: str, *, settings: Settings, timespan: tuple[datetime, datetime] | timedelta) -> str | None:
    """The share link of `kql` on the configured Azure resource; None on the local source or for an empty text,
    InvalidInput when no resource id is configured."""
    if settings.telemetry.source != "azure" or not kql.strip():
        return None
    return logs_link(kql, resource_id=scope(settings.azure), timespan=timespan)
