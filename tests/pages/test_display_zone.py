"""The Failures page in Bangkok time through AppTest: the rendered Vega-Lite spec names the zone, reads 24-hour and
carries the bins on Bangkok's clock; the sidebar's pick changes every chart and table and stays in the URL."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pandas as pd
import pyarrow as pa
import pytest
import streamlit as st
from sqlalchemy.engine import Engine
from streamlit.testing.v1 import AppTest

from services import audit
from services.auth import Actor
from services.config import get_settings
from services.db import session_scope
from services.preferences import service as preferences
from tests.pages.conftest import MAIN
from tests.services.monitoring.fixtures import write_all

TIMEOUT = 60
BANGKOK = timedelta(hours=7)  # UTC+7 all year


@pytest.fixture
def bangkok(sqlite_engine: Engine, isolated_settings: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[datetime]:
    """The monitoring fixture transactions (10–60 min before `now`), SRE_DISPLAY_TIMEZONE=Asia/Bangkok."""
    now = datetime.now(UTC) - timedelta(seconds=45)
    write_all(isolated_settings / "telemetry", now)
    monkeypatch.setenv("SRE_DISPLAY_TIMEZONE", "Asia/Bangkok")
    get_settings.cache_clear()
    st.cache_data.clear()
    st.cache_resource.clear()
    yield now
    st.cache_data.clear()
    st.cache_resource.clear()


def _failures(**params: str) -> AppTest:
    at = AppTest.from_file(MAIN, default_timeout=TIMEOUT)
    at.query_params.update(params)
    at.run()
    at.switch_page("../pages/failures.py").run()
    assert not at.exception, at.exception
    return at


def _chart(at: AppTest) -> tuple[dict, pd.DataFrame]:
    """The Failures chart's spec and its dataset (Streamlit sends the data beside the spec, as Arrow)."""
    proto = at.get("vega_lite_chart")[0].proto
    (dataset,) = proto.datasets
    return json.loads(proto.spec), pa.ipc.open_stream(dataset.data.data).read_all().to_pandas()


def test_the_failures_chart_reads_bangkok_time_24_hour_whatever_the_browser(bangkok: datetime) -> None:
    at = _failures()
    assert at.selectbox(key="ui.timezone").value == "Asia/Bangkok"
    spec, data = _chart(at)
    for layer in spec["layer"]:
        x = layer["encoding"]["x"]
        assert x["title"] == "time (Asia/Bangkok)"
        assert x["scale"] == {"type": "utc"}  # labels by utcFormat: no browser-zone shift
        assert x["axis"]["format"] == "%H:%M"  # 15-min bins over under an hour; 24-hour, no %I/%p
        assert layer["encoding"]["tooltip"][0]["title"] == "bin start (Asia/Bangkok)"
    # bins hold Bangkok's wall clock: 7 h ahead of the UTC bins of requests 10–60 min before now
    utc_bins = data["TimeGenerated"].dt.tz_localize(None) - BANGKOK
    naive_now = bangkok.replace(tzinfo=None)
    assert ((utc_bins > naive_now - timedelta(minutes=75)) & (utc_bins <= naive_now)).all()
    assert list(data["TimeGenerated__text"]) == list(data["TimeGenerated"].dt.strftime("%Y-%m-%d %H:%M:%S"))
    samples = at.dataframe[-1].proto.columns
    assert json.loads(samples)["TimeGenerated"]["type_config"]["timezone"] == "Asia/Bangkok"


def test_the_sidebar_pick_changes_the_charts_and_stays_in_the_url(bangkok: datetime) -> None:
    at = _failures()
    at.selectbox(key="ui.timezone").set_value("Europe/London").run()
    assert not at.exception, at.exception
    assert _chart(at)[0]["layer"][0]["encoding"]["x"]["title"] == "time (Europe/London)"
    assert at.query_params["tz"] == "Europe/London"
    back = _failures(tz="America/New_York")  # a reload or a shared link keeps the pick
    assert back.selectbox(key="ui.timezone").value == "America/New_York"
    assert _chart(back)[0]["layer"][0]["encoding"]["x"]["title"] == "time (America/New_York)"
    back.selectbox(key="ui.timezone").set_value("Asia/Bangkok").run()  # the default again: the URL drops it
    assert "tz" not in back.query_params


def test_a_pick_is_remembered_for_its_user_in_a_new_session(bangkok: datetime, sqlite_engine: Engine) -> None:
    at = _failures()
    at.selectbox(key="ui.timezone").set_value("Europe/London").run()
    later = _failures()  # a new browser session, no ?tz: the same user sees their own pick
    assert later.selectbox(key="ui.timezone").value == "Europe/London"
    assert _chart(later)[0]["layer"][0]["encoding"]["x"]["title"] == "time (Europe/London)"
    with session_scope() as s:
        others = preferences.display_timezone(s, actor=Actor("vera", "viewer"))
        [record] = audit.list_records(s, actor=Actor("ada", "admin"), entity="user_preference")
    assert others is None  # another user keeps the setting's zone
    assert (record.action, record.after) == (
        "user_preference.update",
        {"user_name": get_settings().auth.default_user, "display_timezone": "Europe/London"},
    )
    later.selectbox(key="ui.timezone").set_value("Asia/Bangkok").run()  # back to the default: nothing remembered
    assert _failures().selectbox(key="ui.timezone").value == "Asia/Bangkok"
