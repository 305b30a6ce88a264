"""The Logs page's "Open in the Azure portal" link: only on the azure source, for the typed text and the range."""

from __future__ import annotations

import base64
import gzip
from datetime import datetime, timedelta
from pathlib import Path
from urllib.parse import unquote

import pytest
from sqlalchemy.engine import Engine
from streamlit.testing.v1 import AppTest

from services.config import get_settings
from tests.pages.conftest import ROOT

COMPONENT = "/subscriptions/1111-2222/resourceGroups/rg-mana/providers/microsoft.insights/components/appi-mana"
QUERY = 'AppRequests\n| where Name has "+/="\n| summarize n = count()'


def _logs() -> AppTest:
    at = AppTest.from_file(str(ROOT / "pages" / "logs.py"), default_timeout=60)
    at.run()
    assert not at.exception, at.exception
    return at


def _query_of(url: str) -> str:
    q = url.split("/q/", 1)[1].split("/", 1)[0]
    return gzip.decompress(base64.b64decode(unquote(unquote(q)))).decode("utf-8")


def test_the_local_source_has_no_portal_link(app_env: Engine) -> None:
    at = _logs()
    at.text_area[0].input(QUERY).run()
    assert not at.get("link_button")


def test_the_azure_source_links_the_typed_query_on_the_resource(
    app_env: Engine, isolated_settings: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("SRE_TELEMETRY_SOURCE", "azure")
    monkeypatch.setenv("SRE_AZURE_RESOURCE_ID", COMPONENT)
    get_settings.cache_clear()
    at = _logs()
    at.text_area[0].input(QUERY).run()
    assert not at.exception
    (button,) = at.get("link_button")
    url = button.proto.url
    assert url.startswith(
        "https://portal.azure.com/#blade/Microsoft_OperationsManagementSuite_Workspace/Logs.ReactView/resourceId/"
        "%2Fsubscriptions%2F1111-2222%2FresourceGroups%2Frg-mana%2F"
    )
    assert _query_of(url) == QUERY
    start, end = (datetime.fromisoformat(t) for t in unquote(url.rsplit("/timespan/", 1)[1]).split("/"))
    assert start.utcoffset() == timedelta(0) and end - start == timedelta(hours=24)  # the picker's default, in UTC


def test_a_workspace_guid_alone_says_which_setting_gives_a_link(
    app_env: Engine, isolated_settings: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("SRE_TELEMETRY_SOURCE", "azure")
    monkeypatch.setenv("SRE_AZURE_WORKSPACE_ID", "00000000-0000-0000-0000-000000000000")
    get_settings.cache_clear()
    at = _logs()
    at.text_area[0].input(QUERY).run()
    assert not at.get("link_button")
    assert any("set SRE_AZURE_RESOURCE_ID" in c.value for c in at.caption)
