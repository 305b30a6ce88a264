"""Cached readers: DataFrames and plain values for pages (st.cache_data). Never Sessions or ORM objects."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import streamlit as st

from app.resources import settings, telemetry_source
from services.auth import Actor
from services.db import session_scope
from services.demo import history
from services.demo.history import Pending
from services.monitoring import live
from services.monitoring.gaps import Gap
from services.monitoring.live import LiveSnapshot
from services.overview import Tile, tiles
from services.slos import service as slo_service
from services.slos.evaluation import SloDefinition, SloStatus, evaluate
from services.telemetry import runner
from services.telemetry.kql import KqlValue
from services.telemetry.source import QueryResult
from services.testruns.service import Summary as TestSummary


def now_floor(seconds: int = 30) -> datetime:
    """Now, floored so that reruns within the period share cached results."""
    now = datetime.now(UTC)
    return now - timedelta(seconds=now.second % seconds, microseconds=now.microsecond)


@st.cache_data(ttl=300, show_spinner=False)
def slo_definitions(_actor: Actor, actor_name: str) -> list[SloDefinition]:
    """Every SLO's plain definition."""
    with session_scope() as s:
        return [SloDefinition.of(x) for x in slo_service.list_slos(s, actor=_actor)]


# Telemetry readers are keyed by role, not by user: what telemetry a user may read depends on the role only, so
# every user of one role shares the cached results.
@st.cache_data(ttl=60, show_spinner=False, max_entries=16)
def practice_tile_values(
    _actor: Actor,
    role: str,
    service: str,
    at: datetime,
    open_incidents: tuple[tuple[str, int], ...],
    tests: TestSummary | None = None,
) -> list[Tile]:
    """The Home page's practice tiles as of `at` (keyed by the open incidents and the test runs too, both read fresh
    by the caller)."""
    statuses = slo_statuses(_actor, role, tuple(slo_definitions(_actor, _actor.name)), at)
    return tiles(
        catalogue_query,
        statuses,
        actor=_actor,
        service=service,
        at=at,
        open_incidents=dict(open_incidents),
        tests=tests,
    )


@st.cache_data(ttl=60, show_spinner=False, max_entries=64)
def slo_statuses(_actor: Actor, role: str, defs: tuple[SloDefinition, ...], at: datetime) -> list[SloStatus]:
    """Every SLO evaluated as of `at`."""
    return evaluate(telemetry_source(), list(defs), actor=_actor, at=at)


@st.cache_data(ttl=60, show_spinner=False, max_entries=128)
def _catalogue_query(
    name: str, _actor: Actor, actor_role: str, start: datetime, end: datetime, **params: KqlValue
) -> QueryResult:
    # actor_role, not role: `role` is a query parameter of the monitoring queries
    return runner.run(telemetry_source(), name, actor=_actor, start=start, end=end, **params)


def catalogue_query(name: str, *, actor: Actor, start: datetime, end: datetime, **params: KqlValue) -> QueryResult:
    """The Runner pages hand to the monitoring views: a catalogue query on the configured source, cached."""
    return _catalogue_query(name, actor, actor.role, start, end, **params)


def clear_slo_caches() -> None:
    """After an SLO changed: its definitions, statuses and the Home tiles built from them."""
    slo_definitions.clear()
    slo_statuses.clear()
    practice_tile_values.clear()


def service_name() -> str:
    """The service the backoffice watches."""
    return settings().telemetry.service_name


@st.cache_data(ttl=10, show_spinner=False, max_entries=32)
def live_snapshot(_actor: Actor, role: str, service: str, at: datetime) -> LiveSnapshot:
    """Live metrics as of `at` (the end of a 5-second slot: every viewer in the same 5 s shares one set of queries)."""
    return live.snapshot(telemetry_source(), actor=_actor, service=service, at=at)


@st.cache_data(ttl=60, show_spinner=False, max_entries=16)
def live_gaps(_actor: Actor, role: str, minute: datetime) -> list[Gap]:
    """The stop/start gaps as of a whole minute: one query a minute for every viewer of a role."""
    return live.recent_gaps(telemetry_source(), actor=_actor, at=minute)


@st.cache_data(ttl=5, show_spinner=False)
def demo_history() -> Pending | None:
    """The demo's older days still being written in the background (None when there are none)."""
    return history.pending(settings().telemetry.dir)
