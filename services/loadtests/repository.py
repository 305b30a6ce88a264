"""Load-test queries."""

from __future__ import annotations

from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from services.loadtests.models import LoadTestCheck, LoadTestEndpoint, LoadTestRun, LoadTestThreshold


def add(
    session: Session,
    run: LoadTestRun,
    *,
    thresholds: list[LoadTestThreshold],
    checks: list[LoadTestCheck],
    endpoints: list[LoadTestEndpoint],
) -> LoadTestRun:
    """Add a run with its thresholds, checks and endpoints; flush for the id."""
    session.add(run)
    session.flush()
    children: list[LoadTestThreshold | LoadTestCheck | LoadTestEndpoint] = [*thresholds, *checks, *endpoints]
    for child in children:
        child.run_id = run.id
        session.add(child)
    session.flush()
    return run


def list_runs(session: Session, *, service: str | None = None) -> list[LoadTestRun]:
    """Runs, newest import first, optionally of one service."""
    stmt = select(LoadTestRun).order_by(LoadTestRun.imported_at.desc(), LoadTestRun.id.desc())
    if service:
        stmt = stmt.where(LoadTestRun.service == service)
    return list(session.scalars(stmt))


def thresholds(session: Session, run_id: int) -> list[LoadTestThreshold]:
    """A run's thresholds, by metric and expression."""
    stmt = select(LoadTestThreshold).where(LoadTestThreshold.run_id == run_id)
    return list(session.scalars(stmt.order_by(LoadTestThreshold.metric, LoadTestThreshold.expression)))


def checks(session: Session, run_id: int) -> list[LoadTestCheck]:
    """A run's checks, by name."""
    stmt = select(LoadTestCheck).where(LoadTestCheck.run_id == run_id).order_by(LoadTestCheck.name)
    return list(session.scalars(stmt))


def endpoints(session: Session, run_id: int) -> list[LoadTestEndpoint]:
    """A run's endpoints, busiest first."""
    stmt = select(LoadTestEndpoint).where(LoadTestEndpoint.run_id == run_id)
    return list(session.scalars(stmt.order_by(LoadTestEndpoint.requests.desc(), LoadTestEndpoint.name)))


def services(session: Session) -> list[str]:
    """Every service that has runs."""
    return list(session.scalars(select(LoadTestRun.service).distinct().order_by(LoadTestRun.service)))


def delete_run(session: Session, run: LoadTestRun) -> None:
    """Remove a run and its children (explicitly: SQLite only cascades with foreign keys on)."""
    for model in (LoadTestThreshold, LoadTestCheck, LoadTestEndpoint):
        session.execute(delete(model).where(model.run_id == run.id))
    session.delete(run)
    session.flush()
