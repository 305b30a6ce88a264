"""Cached readers for the Testing page: runs, one run's failures and a service's history, as plain values.

Keyed by role (every role that reads runs reads the same ones) and by the newest run id, read fresh on each rerun,
so a run imported anywhere (this page, the CLI, a pipeline) shows at once."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

import streamlit as st

from services.auth import Actor
from services.db import session_scope
from services.testruns import analysis
from services.testruns import service as testrun_service
from services.testruns.models import TestRun


@dataclass(frozen=True)
class RunView:
    """One run's figures and files."""

    id: int
    imported_at: datetime
    imported_by: str
    service: str
    kind: str
    release: str | None
    commit: str | None
    branch: str | None
    pipeline_url: str | None
    outcome: str
    tests: int
    passed: int
    failed: int
    errors: int
    skipped: int
    duration_s: float | None
    files: tuple[dict[str, Any], ...]

    @property
    def pass_rate(self) -> float | None:
        """passed / (tests − skipped)."""
        return analysis.pass_rate(self.passed, self.tests, self.skipped)

    @property
    def title(self) -> str:
        """How the run is named in a selectbox."""
        what = self.release or (self.commit or "")[:12] or self.branch or "no release"
        return f"#{self.id} · {self.service} {self.kind} · {what} · {self.outcome}"

    @classmethod
    def of(cls, r: TestRun) -> RunView:
        """The plain values of a stored run."""
        return cls(
            r.id, r.imported_at, r.imported_by, r.service, r.kind, r.release, r.commit, r.branch, r.pipeline_url,
            r.outcome, r.tests, r.passed, r.failed, r.errors, r.skipped, r.duration_s, tuple(r.files or []),
        )  # fmt: skip


@dataclass(frozen=True)
class Failure:
    """A failed or errored test of a run."""

    test_key: str
    outcome: str
    message: str
    stack: str


@dataclass(frozen=True)
class HistoryView:
    """A service's runs of one kind, oldest first, with each test's outcome per run and every duration."""

    runs: list[RunView]
    rows: list[analysis.RunRow]
    durations: list[tuple[str, float | None]]


def newest_run_id(actor: Actor) -> int | None:
    """The newest run's id, read fresh: the key that makes the cached readers see a new import."""
    with session_scope() as s:
        newest = testrun_service.list_runs(s, actor=actor, limit=1)
        return newest[0].id if newest else None


@st.cache_data(ttl=60, show_spinner=False, max_entries=16)
def summary(_actor: Actor, role: str, newest: int | None, service: str) -> testrun_service.Summary:
    """The Home Testing tile's figures (each kind's newest run, the flaky tests of the last 50 runs), recomputed
    only when a run is imported."""
    with session_scope() as s:
        return testrun_service.summary(s, actor=_actor, service=service)


@st.cache_data(ttl=60, show_spinner=False, max_entries=16)
def runs(_actor: Actor, role: str, newest: int | None) -> list[RunView]:
    """Every run (up to 1,000), newest first."""
    with session_scope() as s:
        return [RunView.of(r) for r in testrun_service.list_runs(s, actor=_actor)]


@st.cache_data(ttl=60, show_spinner=False, max_entries=64)
def failures(_actor: Actor, role: str, run_id: int) -> list[Failure]:
    """A run's failed and errored tests, in file order (a stored run never changes)."""
    with session_scope() as s:
        return [
            Failure(r.test_key, r.outcome, r.message, r.stack)
            for r in testrun_service.results(s, actor=_actor, run_id=run_id, failing_only=True)
        ]


@st.cache_data(ttl=60, show_spinner=False, max_entries=32)
def history(_actor: Actor, role: str, newest: int | None, service: str, kind: str) -> HistoryView:
    """The last 50 runs of a service and kind with their outcomes."""
    with session_scope() as s:
        h = testrun_service.history(s, actor=_actor, service=service, kind=kind, limit=50)
        return HistoryView([RunView.of(r) for r in h.runs], h.rows, h.durations)
