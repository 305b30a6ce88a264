"""The incident response steps that span domains: resolving opens a postmortem, classifying opens a board issue,
a postmortem's action item becomes a board task.

Each function composes the incident, postmortem and board-issue services inside the caller's transaction, so
the whole step commits or rolls back as one; the domains themselves never import each other for these steps.
The status rules live in services/incidents/workflow.py.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy.orm import Session

from services.auth import Actor
from services.boards.base import BoardClient
from services.incidents import board_issues
from services.incidents import service as incidents
from services.incidents.models import Incident
from services.incidents.workflow import protocol_for
from services.postmortems import service as postmortems


def transition(
    session: Session,
    *,
    actor: Actor,
    incident_id: int,
    to: str,
    expected_version: int | None = None,
    note: str = "",
    reason: str = "",
) -> Incident:
    """Move an incident along the workflow; resolving a Sev0–Sev2 incident opens its postmortem draft. Resolving
    without mitigating, or with runbook steps unticked, needs `reason` (services.incidents.service.transition)."""
    inc = incidents.transition(
        session,
        actor=actor,
        incident_id=incident_id,
        to=to,
        expected_version=expected_version,
        note=note,
        reason=reason,
    )
    if to == "resolved" and inc.severity in postmortems.REQUIRED_FOR:
        postmortems.ensure_postmortem(session, actor=actor, incident_id=inc.id)
    return inc


def classify(
    session: Session,
    *,
    actor: Actor,
    incident_id: int,
    classification: str,
    expected_version: int | None = None,
    note: str = "",
    board: BoardClient | None = None,
) -> Incident:
    """Classify by the team's protocol and do what it asks: a board issue (at most one) where the rule says so.

    With no board configured the timeline says the issue still has to be opened; a board error rolls the whole
    change back (the caller's transaction), so the incident stays as it was, ready to retry.
    """
    inc = incidents.classify(
        session,
        actor=actor,
        incident_id=incident_id,
        classification=classification,
        expected_version=expected_version,
        note=note,
    )
    if protocol_for(classification).board_issue:
        if board is None:
            board_issues.note_no_board(session, actor=actor, incident=inc)
        else:
            board_issues.open_issue(session, actor=actor, incident=inc, board=board)
    return inc


def open_action_item_issue(
    session: Session, *, actor: Actor, postmortem_id: int, index: int, board: BoardClient
) -> dict[str, Any]:
    """Turn one action item (index from 0) into a board task, at most once, and keep its link on the item."""
    pm = postmortems.get_postmortem(session, actor=actor, postmortem_id=postmortem_id)
    item = postmortems.action_item(pm, index)
    inc = incidents.get_incident(session, actor=actor, incident_id=pm.incident_id)
    link = board_issues.open_issue(
        session,
        actor=actor,
        incident=inc,
        board=board,
        request=board_issues.action_item_request(inc, index=index, item=item),
        purpose=board_issues.action_item_purpose(index),
    )
    return postmortems.link_action_item(session, actor=actor, postmortem=pm, index=index, url=link.url)
