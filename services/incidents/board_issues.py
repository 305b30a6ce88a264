"""Board issues for incidents, following the protocol: never two for one purpose, safe to retry.

Order of work inside the caller's transaction: a stored link wins (a double click returns it); otherwise the
board is asked for an issue carrying the marker (a retry after a lost answer finds it); only then is one created.
A board error raises ExternalServiceError, the transaction rolls back, and the incident is as it was.
"""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from services import audit
from services.auth import Actor, require
from services.boards.base import BoardClient, BoardIssue, BoardIssueRequest
from services.config import get_settings
from services.db import utcnow
from services.errors import NotFound
from services.incidents.models import BoardIssueLink, Incident, IncidentEvent
from services.incidents.service import get_incident
from services.incidents.workflow import protocol_for

SEVERITY_PRIORITY = {"Sev0": 1, "Sev1": 1, "Sev2": 2, "Sev3": 3, "Sev4": 4}


def marker(incident_id: int, purpose: str) -> str:
    """The label/tag that ties a board issue to an incident (and purpose) for `find_issue`."""
    return f"sre-incident-{incident_id}" if purpose == "incident" else f"sre-incident-{incident_id}-{purpose}"


def incident_link(incident_id: int) -> str:
    """The backoffice URL of the incident, for the board issue's hyperlink."""
    return f"{get_settings().public_url.rstrip('/')}/triage?incident={incident_id}"


def links(session: Session, *, actor: Actor, incident_id: int) -> list[BoardIssueLink]:
    """The incident's board issues."""
    require(actor, "incident.read")
    stmt = select(BoardIssueLink).where(BoardIssueLink.incident_id == incident_id).order_by(BoardIssueLink.id)
    return list(session.scalars(stmt))


def _existing(session: Session, incident_id: int, purpose: str) -> BoardIssueLink | None:
    stmt = select(BoardIssueLink).where(BoardIssueLink.incident_id == incident_id, BoardIssueLink.purpose == purpose)
    return session.scalars(stmt).first()


def request_for(inc: Incident) -> BoardIssueRequest:
    """What the protocol asks the board for, for this incident's classification."""
    rule = protocol_for(inc.classification)
    priority = rule.issue_priority or SEVERITY_PRIORITY[inc.severity]
    lines = [
        f"{inc.severity} incident #{inc.id} on {inc.service}: {inc.title}",
        "",
        inc.description or "",
        "",
        f"Classification: {inc.classification}. {rule.summary}",
    ]
    if inc.operation_ids:
        lines.append("OperationIds: " + ", ".join(inc.operation_ids))
    if inc.evidence_kql:
        lines += ["", "Evidence (KQL):", inc.evidence_kql]
    return BoardIssueRequest(
        title=f"[{inc.severity}] {inc.title}",
        description="\n".join(lines),
        kind="bug",
        priority=priority,
        severity=inc.severity,
        tags=rule.issue_tags,
        link_url=incident_link(inc.id),
        marker=marker(inc.id, "incident"),
    )


def open_issue(
    session: Session,
    *,
    actor: Actor,
    incident_id: int,
    board: BoardClient,
    request: BoardIssueRequest | None = None,
    purpose: str = "incident",
) -> BoardIssueLink:
    """The incident's board issue for `purpose`, created at most once."""
    require(actor, "incident.triage")
    inc = get_incident(session, actor=actor, incident_id=incident_id)
    link = _existing(session, incident_id, purpose)
    if link is not None:
        return link
    req = request or request_for(inc)
    issue = board.find_issue(req.marker) or board.create_issue(req)
    link = _store(session, inc, purpose, req.marker, issue)
    session.add(
        IncidentEvent(
            incident_id=inc.id,
            actor=actor.name,
            kind="board_issue",
            message=f"Board issue {issue.provider} {issue.key} ({purpose}): {issue.url}",
            data={"url": issue.url, "key": issue.key, "purpose": purpose},
        )
    )
    audit.record(
        session,
        actor=actor,
        action="board_issue.open",
        entity="incident",
        entity_id=inc.id,
        after={"purpose": purpose, "provider": issue.provider, "key": issue.key, "url": issue.url},
    )
    return link


def _store(session: Session, inc: Incident, purpose: str, mark: str, issue: BoardIssue) -> BoardIssueLink:
    link = BoardIssueLink(
        incident_id=inc.id,
        purpose=purpose,
        marker=mark,
        provider=issue.provider,
        key=issue.key,
        url=issue.url,
        state=issue.state,
        title=issue.title,
        refreshed_at=utcnow(),
    )
    session.add(link)
    session.flush()
    return link


def refresh(session: Session, *, actor: Actor, link_id: int, board: BoardClient) -> BoardIssueLink:
    """Ask the board for the issue's current state."""
    require(actor, "incident.read")
    link = session.get(BoardIssueLink, link_id)
    if link is None:
        raise NotFound(f"Board issue link {link_id} does not exist.")
    issue = board.get_issue(link.key)
    link.state, link.title, link.refreshed_at = issue.state, issue.title, utcnow()
    session.flush()
    return link
