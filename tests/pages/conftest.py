"""AppTest fixtures: a migrated database with the team's SLOs and a small telemetry store ending now."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
import streamlit as st
from sqlalchemy.engine import Engine

from services.auth import Actor
from services.db import session_scope
from services.slos import service as slo_service
from services.telemetry.writer import to_table, write_table
from tests.services.monitoring.fixtures import write_all

ROOT = Path(__file__).resolve().parents[2]
MAIN = str(ROOT / "app" / "main.py")


def rows_ending(now: datetime) -> list[dict]:
    """200 requests over the last 200 minutes: every 10th failed, every 4th slow (450 ms)."""
    out = []
    for i in range(200):
        out.append(
            {
                "TimeGenerated": now - timedelta(minutes=i, seconds=30),
                "AppRoleName": "mana",
                "Name": "GET /api/shops",
                "Success": i % 10 != 0,
                "ResultCode": "200" if i % 10 else "500",
                "DurationMs": 450.0 if i % 4 == 0 else 80.0,
                "AppVersion": "2026.11.4",
                "ItemCount": 1,
            }
        )
    return out


@pytest.fixture
def app_env(sqlite_engine: Engine, isolated_settings: Path) -> Iterator[Engine]:
    """Team SLOs seeded, 200 requests in the store, Streamlit caches empty."""
    with session_scope(sqlite_engine) as s:
        slo_service.seed_team_targets(s, actor=Actor("admin", "admin"))
    now = datetime.now(UTC)
    write_table(isolated_settings / "telemetry", "AppRequests", to_table("AppRequests", rows_ending(now)))
    st.cache_data.clear()
    st.cache_resource.clear()
    yield sqlite_engine
    st.cache_data.clear()
    st.cache_resource.clear()


@pytest.fixture
def mon_env(sqlite_engine: Engine, isolated_settings: Path) -> Iterator[datetime]:
    """The fixture transactions, timed back from 45 s ago (clear of the picker's 30 s floor); caches empty."""
    now = datetime.now(UTC) - timedelta(seconds=45)
    write_all(isolated_settings / "telemetry", now)
    st.cache_data.clear()
    st.cache_resource.clear()
    yield now
    st.cache_data.clear()
    st.cache_resource.clear()
