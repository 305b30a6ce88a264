"""Board issues for incidents, following the protocol: never two for one purpose, safe to retry.

Order of work inside the caller's transaction: a stored link wins (a double click returns it); otherwise the
board is asked for an issue carrying the marker (a retry after a lost answer finds it); only then is one created.
A board error raises ExternalServiceError, the transaction rolls back, and the incident is as it was.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy.orm import Session

from services import audit
from services.auth import Actor, require
from services.boards.base import BoardClient, BoardIssue, BoardIssueRequest
from services.config import get_settings
from services.db import utcnow
from services.incidents import repository as repo
from services.incidents.models import BoardIssueLink, Incident
from services.incidents.severities import BOARD_PRIORITY
from services.incidents.workflow import protocol_for
from services.repository import get_or_raise


def marker(incident_id: int, purpose: str) -> str:
    """The label/tag that ties a board issue to an incident (and purpose) for `find_issue`."""
    return f"sre-incident-{incident_id}" if purpose == "incident" else f"sre-incident-{incident_id}-{purpose}"


def incident_link(incident_id: int) -> str:
    """The backoffice URL of the incident, for the board issue's hyperlink."""
    return f"{get_settings().ui.public_url.rstrip('/')}/triage?incident={incident_id}"


def links(session: Session, *, actor: Actor, incident_id: int) -> list[BoardIssueLink]:
    """The incident's board issues."""
    require(actor, "incident.read")
    return repo.board_links(session, incident_id)


def request_for(inc: Incident) -> BoardIssueRequest:
    """What the protocol asks the board for, for this incident's classification."""
    rule = protocol_for(inc.classification)
    priority = rule.issue_priority or BOARD_PRIORITY[inc.severity]
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


def action_item_request(inc: Incident, *, index: int, item: dict[str, Any]) -> BoardIssueRequest:
    """The board task for action item `index` (from 0) of the incident's postmortem."""
    return BoardIssueRequest(
        title=f"[postmortem #{inc.id}] {item['text']}"[:250],
        description=f"Action item {index + 1} of the postmortem of {inc.severity} incident #{inc.id}: {inc.title}"
        + (f"\nOwner: {item['owner']}" if item.get("owner") else ""),
        kind="task",
        priority=2,
        severity=None,
        tags=("postmortem",),
        link_url=incident_link(inc.id),
        marker=marker(inc.id, action_item_purpose(index)),
    )


def action_item_purpose(index: int) -> str:
    """The link purpose of action item `index` (from 0): one board task per item."""
    return f"action-{index + 1}"


def open_issue(
    session: Session,
    *,
    actor: Actor,
    incident: Incident,
    board: BoardClient,
    request: BoardIssueRequest | None = None,
    purpose: str = "incident",
) -> BoardIssueLink:
    """The incident's board issue for `purpose`, created at most once."""
    require(actor, "incident.triage")
    link = repo.board_link(session, incident.id, purpose)
    if link is not None:
        return link
    req = request or request_for(incident)
    issue = board.find_issue(req.marker) or board.create_issue(req)
    link = repo.add_board_link(session, _link(incident, purpose, req.marker, issue))
    repo.add_event(
        session,
        incident_id=incident.id,
        actor=actor.name,
        kind="board_issue",
        message=f"Board issue {issue.provider} {issue.key} ({purpose}): {issue.url}",
        data={"url": issue.url, "key": issue.key, "purpose": purpose},
    )
    audit.record(
        session,
        actor=actor,
        action="board_issue.open",
        entity="incident",
        entity_id=incident.id,
        after={"purpose": purpose, "provider": issue.provider, "key": issue.key, "url": issue.url},
    )
    return link


def note_no_board(session: Session, *, actor: Actor, incident: Incident) -> None:
    """The protocol asks for a board issue but none is configured: the timeline says to open it by hand."""
    require(actor, "incident.triage")
    repo.add_event(
        session,
        incident_id=incident.id,
        actor=actor.name,
        kind="board_issue",
        message="A board issue is needed, but no board is configured "
        "(SRE_BOARD=none): open it by hand and link it in a note.",
        data={"needed": True},
    )
    session.flush()
    audit.record(session, actor=actor, action="board_issue.needed", entity="incident", entity_id=incident.id)


def _link(inc: Incident, purpose: str, mark: str, issue: BoardIssue) -> BoardIssueLink:
    return BoardIssueLink(
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


def refresh(session: Session, *, actor: Actor, link_id: int, board: BoardClient) -> BoardIssueLink:
    """Ask the board for the issue's current state."""
    require(actor, "incident.read")
    link = get_or_raise(session, BoardIssueLink, link_id, missing=f"Board issue link {link_id} does not exist.")
    issue = board.get_issue(link.key)
    link.state, link.title, link.refreshed_at = issue.state, issue.title, utcnow()
    session.flush()
    return link
