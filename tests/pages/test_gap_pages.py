"""Stop/start gaps on Live metrics and the application map through AppTest (gap_fixtures.py, timed back from now)."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest
import streamlit as st
from sqlalchemy.engine import Engine
from streamlit.testing.v1 import AppTest

from services.monitoring import gaps
from tests.pages.conftest import ROOT
from tests.services.monitoring.gap_fixtures import EXPECTED, write_gaps

TIMEOUT = 60


@pytest.fixture
def gap_env(sqlite_engine: Engine, isolated_settings: Path) -> Iterator[None]:
    now = datetime.now(UTC).replace(second=0, microsecond=0)
    write_gaps(isolated_settings / "telemetry", at=now)
    st.cache_data.clear()
    st.cache_resource.clear()
    yield
    st.cache_data.clear()
    st.cache_resource.clear()


def _page(page: str) -> AppTest:
    at = AppTest.from_file(str(ROOT / "pages" / f"{page}.py"), default_timeout=TIMEOUT).run()
    assert not at.exception, at.exception
    return at


def _shown(at: AppTest) -> list[tuple[str, str, str]]:
    table = next(d.value for d in at.dataframe if list(d.value.columns) == gaps.COLUMNS)
    return list(zip(table["role"], table["instance"], table["outcome"], strict=True))


# the minutes a gap lasts grow with the clock: the page test checks who and what, the service test the numbers
WHO = [(role, instance, outcome) for role, instance, _, _, outcome, _ in EXPECTED]


def test_live_metrics_lists_the_gaps_with_their_definition(gap_env: None) -> None:
    at = _page("live_metrics")
    assert _shown(at) == WHO
    assert any("Stop/start gaps (every role, the last hour)" in h.value for h in at.subheader)
    assert any("at least 27 of the 30 minutes" in c.value for c in at.caption)


def test_the_application_map_names_the_silent_instances(gap_env: None) -> None:
    at = _page("app_map")
    dot = at.get("graphviz_chart")[0].proto.spec
    assert "1 stop/start gap: bill-1" in dot and "3 stop/start gaps: pod-f, pod-a, pod-d" in dot
    assert _shown(at) == WHO


def test_no_gap_says_so(sqlite_engine: Engine) -> None:
    st.cache_data.clear()
    at = _page("live_metrics")
    assert any("No instance went silent while its role kept serving." in c.value for c in at.caption)
