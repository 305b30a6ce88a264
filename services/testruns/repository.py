"""Test-run queries."""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from services.testruns.models import TestRun


def add_run(session: Session, run: TestRun) -> TestRun:
    """Store a run and flush for its id (its results go to its results file, storage.py)."""
    session.add(run)
    session.flush()
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


def results_files(session: Session, run_ids: Sequence[int]) -> set[str]:
    """The results-file names the runs (of those that exist) hold."""
    if not run_ids:
        return set()
    q = select(TestRun.results_file).where(TestRun.id.in_(run_ids), TestRun.results_file.is_not(None))
    return {str(name) for name in session.scalars(q)}


def delete_run(session: Session, run: TestRun) -> None:
    """Delete a run (its results file goes once the transaction commits, service.delete_run)."""
    session.delete(run)
    session.flush()
