"""Test-run queries."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, cast

from sqlalchemy import Table, delete, insert, or_, select
from sqlalchemy.orm import Session

from services.testruns.models import TestResult, TestRun


def add_run(session: Session, run: TestRun, results: Sequence[dict[str, Any]]) -> TestRun:
    """Store a run and its results (one bulk insert) and flush for the run's id."""
    session.add(run)
    session.flush()
    if results:  # a Core insert of the table (executemany, no ORM bookkeeping): a run can hold 100,000 results
        table = cast(Table, TestResult.__table__)
        session.execute(insert(table), [{**r, "run_id": run.id} for r in results])
    return run


def list_runs(
    session: Session, *, service: str | None = None, kind: str | None = None, limit: int = 1000
) -> list[TestRun]:
    """Runs, newest first."""
    q = select(TestRun).order_by(TestRun.imported_at.desc(), TestRun.id.desc()).limit(limit)
    if service:
        q = q.where(TestRun.service == service)
    if kind:
        q = q.where(TestRun.kind == kind)
    return list(session.scalars(q))


def runs_for(
    session: Session, *, services: Sequence[str], releases: Sequence[str], commits: Sequence[str]
) -> list[TestRun]:
    """Runs of the services for any of the releases or commits, newest first."""
    if not services or not (releases or commits):
        return []
    match = [TestRun.release.in_(releases)] if releases else []
    if commits:
        match.append(TestRun.commit.in_(commits))
    q = select(TestRun).where(TestRun.service.in_(services), or_(*match)).order_by(TestRun.id.desc())
    return list(session.scalars(q))


def results(session: Session, run_id: int, *, outcomes: Sequence[str] | None = None) -> list[TestResult]:
    """A run's results (of the given outcomes), in file order."""
    q = select(TestResult).where(TestResult.run_id == run_id).order_by(TestResult.id)
    if outcomes:
        q = q.where(TestResult.outcome.in_(outcomes))
    return list(session.scalars(q))


def outcomes(session: Session, run_ids: Sequence[int]) -> list[tuple[int, str, str, float | None]]:
    """(run id, test key, outcome, duration) of every result of the runs: what flakiness and trends read."""
    if not run_ids:
        return []
    q = select(TestResult.run_id, TestResult.test_key, TestResult.outcome, TestResult.duration_s).where(
        TestResult.run_id.in_(run_ids)
    )
    return [(int(a), str(b), str(c), d) for a, b, c, d in session.execute(q)]


def delete_run(session: Session, run: TestRun) -> None:
    """Delete a run and its results."""
    session.execute(delete(TestResult).where(TestResult.run_id == run.id))
    session.delete(run)
    session.flush()
