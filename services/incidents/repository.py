"""Incident queries."""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import select
from sqlalchemy.orm import Session, selectinload

from services.incidents.models import Incident, IncidentEvent, SeverityDefinition


def get(session: Session, incident_id: int, *, with_events: bool = False) -> Incident | None:
    """One incident by id."""
    stmt = select(Incident).where(Incident.id == incident_id)
    if with_events:
        stmt = stmt.options(selectinload(Incident.events))
    return session.scalars(stmt).first()


def get_by_source(session: Session, source: str, source_ref: str) -> Incident | None:
    """The incident an alert already opened, if any."""
    return session.scalars(select(Incident).where(Incident.source == source, Incident.source_ref == source_ref)).first()


def search(
    session: Session,
    *,
    statuses: Sequence[str] | None = None,
    services: Sequence[str] | None = None,
    severities: Sequence[str] | None = None,
    classifications: Sequence[str] | None = None,
    assignee: str | None = None,
    limit: int = 500,
) -> list[Incident]:
    """Incidents matching every given filter, most severe then oldest first."""
    stmt = select(Incident)
    if statuses:
        stmt = stmt.where(Incident.status.in_(statuses))
    if services:
        stmt = stmt.where(Incident.service.in_(services))
    if severities:
        stmt = stmt.where(Incident.severity.in_(severities))
    if classifications:
        stmt = stmt.where(Incident.classification.in_(classifications))
    if assignee is not None:
        stmt = stmt.where(Incident.assignee == assignee)
    stmt = stmt.order_by(Incident.severity, Incident.detected_at, Incident.id).limit(limit)
    return list(session.scalars(stmt))


def events(session: Session, incident_id: int) -> list[IncidentEvent]:
    """An incident's timeline, oldest first."""
    stmt = select(IncidentEvent).where(IncidentEvent.incident_id == incident_id).order_by(IncidentEvent.id)
    return list(session.scalars(stmt))


def severity_definitions(session: Session) -> list[SeverityDefinition]:
    """Every severity's scope and acknowledge target, Sev0 first."""
    return list(session.scalars(select(SeverityDefinition).order_by(SeverityDefinition.severity)))
