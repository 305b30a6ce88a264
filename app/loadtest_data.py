"""Cached readers for the load-test pages: run reports, time series from raw points, verdicts, production peak."""

from __future__ import annotations

from datetime import datetime

import pandas as pd
import streamlit as st

from app.resources import settings, telemetry_source
from services.auth import Actor
from services.db import session_scope
from services.loadtests import service as loadtest_service
from services.loadtests import storage, verdict
from services.loadtests.capacity import production_peak_rps
from services.loadtests.report import RunReport
from services.slos.evaluation import SloDefinition


@st.cache_data(ttl=30, show_spinner=False)
def run_reports(_actor: Actor, actor_name: str, service: str | None = None) -> list[RunReport]:
    """Every run (of one service), newest first, as plain values."""
    with session_scope() as s:
        return loadtest_service.reports(s, actor=_actor, service=service)


@st.cache_data(ttl=600, show_spinner=False, max_entries=32)
def run_series(points_file: str, bucket_s: int) -> pd.DataFrame:
    """Per-bucket requests, RPS, p95, failures and VUs of a run's raw points."""
    return storage.series(storage.points_path(settings().loadtests.dir, points_file), bucket_s=bucket_s)


@st.cache_data(ttl=300, show_spinner=False, max_entries=32)
def run_verdicts(run: RunReport, slos: tuple[SloDefinition, ...]) -> list[verdict.SloVerdict]:
    """The run judged against its service's SLOs."""
    return verdict.verdicts(run, list(slos), root=settings().loadtests.dir)


@st.cache_data(ttl=300, show_spinner=False, max_entries=16)
def production_peak(
    _actor: Actor, role: str, service: str, end: datetime, start: datetime | None = None
) -> float | None:
    """Production's peak RPS over (start, end] (default the 30 days before `end`), the busiest 1-minute average;
    keyed by role like every telemetry reader."""
    return production_peak_rps(telemetry_source(), actor=_actor, service=service, end=end, start=start)


def clear_loadtest_caches() -> None:
    """After a run was imported or deleted."""
    run_reports.clear()
    run_verdicts.clear()
