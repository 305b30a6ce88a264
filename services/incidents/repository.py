"""Incident queries: incidents and their timeline, severity definitions, runbooks, board issue links."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session, selectinload

from services.db import utcnow
from services.incidents.models import BoardIssueLink, Incident, IncidentEvent, Runbook, SeverityDefinition


def get(session: Session, incident_id: int, *, with_events: bool = False) -> Incident | None:
    """One incident by id."""
    stmt = select(Incident).where(Incident.id == incident_id)
    if with_events:
        stmt = stmt.options(selectinload(Incident.events))
    return session.scalars(stmt).first()


def add(session: Session, incident: Incident) -> Incident:
    """Add a new incident and flush it for its id (a repeated alert's unique source_ref fails here)."""
    session.add(incident)
    session.flush()
    return incident


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


def add_event(
    session: Session,
    *,
    incident_id: int,
    actor: str,
    kind: str,
    message: str,
    data: dict[str, Any] | None = None,
    at: datetime | None = None,
) -> IncidentEvent:
    """Append one line to an incident's timeline (flushed with the rest of the unit of work)."""
    event = IncidentEvent(
        incident_id=incident_id, actor=actor, kind=kind, message=message, data=data, at=at or utcnow()
    )
    session.add(event)
    return event


def severity_definitions(session: Session) -> list[SeverityDefinition]:
    """Every severity's scope and acknowledge target, Sev0 first."""
    return list(session.scalars(select(SeverityDefinition).order_by(SeverityDefinition.severity)))


def add_severity_definition(session: Session, definition: SeverityDefinition) -> SeverityDefinition:
    """Store a severity's definition (flushed with the rest of the unit of work)."""
    session.add(definition)
    return definition


def add_runbook(session: Session, runbook: Runbook) -> Runbook:
    """Store a new runbook version and flush it for its id (a duplicate key and version fails here)."""
    session.add(runbook)
    session.flush()
    return runbook


def latest_runbooks(session: Session) -> list[Runbook]:
    """The newest version of every runbook, by key."""
    newest = select(Runbook.key, func.max(Runbook.version).label("v")).group_by(Runbook.key).subquery()
    stmt = select(Runbook).join(newest, (Runbook.key == newest.c.key) & (Runbook.version == newest.c.v))
    return list(session.scalars(stmt.order_by(Runbook.key)))


def latest_runbook_version(session: Session, key: str) -> int:
    """The highest stored version of the runbook `key` (0 when there is none)."""
    return session.scalar(select(func.max(Runbook.version)).where(Runbook.key == key)) or 0


def get_runbook(session: Session, runbook_id: int) -> Runbook | None:
    """One runbook version by id."""
    return session.get(Runbook, runbook_id)


def board_links(session: Session, incident_id: int) -> list[BoardIssueLink]:
    """An incident's board issue links, oldest first."""
    stmt = select(BoardIssueLink).where(BoardIssueLink.incident_id == incident_id).order_by(BoardIssueLink.id)
    return list(session.scalars(stmt))


def board_link(session: Session, incident_id: int, purpose: str) -> BoardIssueLink | None:
    """The incident's board issue link for one purpose, if there is one."""
    stmt = select(BoardIssueLink).where(BoardIssueLink.incident_id == incident_id, BoardIssueLink.purpose == purpose)
    return session.scalars(stmt).first()


def add_board_link(session: Session, link: BoardIssueLink) -> BoardIssueLink:
    """Store a board issue link and flush it (the unique purpose is checked here, not at commit)."""
    session.add(link)
    session.flush()
    return link
