"""The Logs blade share link: decoded back to the exact query, resource id and time range."""

from __future__ import annotations

import base64
import gzip
import re
from datetime import UTC, datetime, timedelta
from pathlib import Path
from urllib.parse import unquote

import pytest

from services.config import AzureSettings, Settings, TelemetrySettings
from services.errors import InvalidInput
from services.telemetry import portal

WORKSPACE = (
    "/subscriptions/1111-2222/resourceGroups/rg-mana/providers/Microsoft.OperationalInsights/workspaces/law-mana"
)
COMPONENT = "/subscriptions/1111-2222/resourceGroups/rg-mana/providers/microsoft.insights/components/appi-mana"
START = datetime(2026, 12, 3, 10, 0, tzinfo=UTC)
END = datetime(2026, 12, 3, 11, 30, 15, 250000, tzinfo=UTC)
LINK = re.compile(
    r"^https://portal\.azure\.com/#(?:@(?P<tenant>[^/]+)/)?blade/Microsoft_OperationsManagementSuite_Workspace/"
    r"Logs\.ReactView/resourceId/(?P<resource>[^/]+)/source/LogsBlade\.AnalyticsShareLinkToQuery/"
    r"q/(?P<q>[^/]+)/timespan/(?P<timespan>[^/]+)$"
)
# a query with every character the encodings could trip on: '+', '/', '=', '%', quotes, newlines, non-ASCII
QUERY = 'AppRequests\n| where Name has "+/=%" and Url contains "?a=1&b=2#x"\n| where AppRoleName == "มานะ"\n| take 10'


@pytest.fixture(autouse=True)
def _no_env(isolated_settings: Path) -> None:
    """No SRE_AZURE_* of the developer's shell reaches the settings built here."""


def parts(url: str) -> dict[str, str]:
    m = LINK.match(url)
    assert m, url
    return {k: v for k, v in m.groupdict().items() if v is not None}


def decoded(q: str) -> str:
    """What the portal does with q: URL-decode twice, base64-decode, gunzip, UTF-8."""
    return gzip.decompress(base64.b64decode(unquote(unquote(q)), validate=True)).decode("utf-8")


def azure(**kw: str) -> Settings:
    return Settings(telemetry=TelemetrySettings(source="azure"), azure=AzureSettings(**kw))


def test_decodes_the_portals_own_share_link() -> None:
    # the q of the share link on Microsoft Learn's KQL tutorial ("Run the query": LAQueryLogs, timespan P1D)
    assert decoded("H4sIAAAAAAAAA%252FNxDCxNLar0yU8vBgDTZ2tdCwAAAA%253D%253D") == "LAQueryLogs"


def test_the_link_decodes_back_to_the_exact_query_resource_and_range() -> None:
    url = portal.link_for(QUERY, settings=azure(resource_id=WORKSPACE), timespan=(START, END))
    assert url is not None
    p = parts(url)
    assert "tenant" not in p  # no tenant configured: the portal picks the signed-in directory
    assert decoded(p["q"]) == QUERY
    assert unquote(p["resource"]) == WORKSPACE and "/" not in p["resource"]
    assert unquote(p["timespan"]) == "2026-12-03T10:00:00.000Z/2026-12-03T11:30:15.250Z"


def test_a_range_in_another_zone_is_given_in_utc_and_a_duration_as_iso_8601() -> None:
    from zoneinfo import ZoneInfo

    bangkok = ZoneInfo("Asia/Bangkok")  # UTC+7: 17:00 there is 10:00 UTC
    start, end = START.astimezone(bangkok), (START + timedelta(hours=1)).astimezone(bangkok)
    url = portal.logs_link("AppRequests", resource_id=COMPONENT, timespan=(start, end))
    assert unquote(parts(url)["timespan"]) == "2026-12-03T10:00:00.000Z/2026-12-03T11:00:00.000Z"
    url = portal.logs_link("AppRequests", resource_id=COMPONENT, timespan=timedelta(days=30))
    assert parts(url)["timespan"] == "PT2592000S"  # 30 * 86,400 s


def test_a_tenant_goes_after_the_hash() -> None:
    url = portal.logs_link(
        "AppRequests", resource_id=COMPONENT, timespan=(START, END), tenant="contoso.onmicrosoft.com"
    )
    assert parts(url)["tenant"] == "contoso.onmicrosoft.com"


def test_a_workspace_arm_id_in_the_workspace_setting_is_the_scope() -> None:
    url = portal.link_for("AppTraces", settings=azure(workspace_id=WORKSPACE), timespan=(START, END))
    assert url is not None and unquote(parts(url)["resource"]) == WORKSPACE


def test_a_workspace_guid_alone_says_which_setting_to_use() -> None:
    with pytest.raises(InvalidInput, match="set SRE_AZURE_RESOURCE_ID"):
        portal.link_for("AppTraces", settings=azure(workspace_id="0000-guid"), timespan=(START, END))


def test_no_link_on_the_local_source_or_for_an_empty_query() -> None:
    local = Settings(azure=AzureSettings(resource_id=COMPONENT))
    assert local.telemetry.source == "local"
    assert portal.link_for("AppRequests", settings=local, timespan=(START, END)) is None
    assert portal.link_for("  \n", settings=azure(resource_id=COMPONENT), timespan=(START, END)) is None


@pytest.mark.parametrize(
    ("timespan", "message"),
    [((END, START), "ends before it starts"), ((START.replace(tzinfo=None), END), "no time zone")],
)
def test_a_bad_range_is_refused(timespan: tuple[datetime, datetime], message: str) -> None:
    with pytest.raises(InvalidInput, match=message):
        portal.logs_link("AppRequests", resource_id=COMPONENT, timespan=timespan)


def test_a_resource_id_that_is_not_one_is_refused() -> None:
    with pytest.raises(InvalidInput, match="is not an Azure resource id"):
        portal.link_for("AppRequests", settings=azure(resource_id="appi-mana"), timespan=(START, END))
