"""Incident rules: create, triage through the status workflow, classify by the protocol; audited, with a timeline.

Every change takes `expected_version` (the version the user saw); a mismatch, or a concurrent commit caught by
the version column, becomes Conflict("changed by X meanwhile") and nothing is overwritten. What resolving and
classifying ask of other domains (a postmortem, a board issue) is composed in services/incident_response.py.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from services import audit
from services.auth import Actor, require
from services.db import utcnow
from services.errors import InvalidInput
from services.incidents import repository as repo
from services.incidents.checklist import progress
from services.incidents.models import Incident, IncidentEvent
from services.incidents.schemas import IncidentInput
from services.incidents.workflow import HOTFIX_CHECKLIST, check_transition, protocol_for, resolve_gaps
from services.repository import check_version, flush_versioned, found_or_raise

STATUS_TIMES = {
    "acknowledged": "acknowledged_at",
    "mitigating": "mitigated_at",
    "resolved": "resolved_at",
    "closed": "closed_at",
}
# what each triage change is, as the subject of a refusal ("Classifying an incident needs the operator role; ...")
DOING = {
    "incident.acknowledged": "Acknowledging an incident",
    "incident.mitigating": "Starting to mitigate an incident",
    "incident.resolved": "Resolving an incident",
    "incident.closed": "Closing an incident",
    "incident.new": "Reopening an incident",
    "incident.assign": "Assigning an incident",
    "incident.classify": "Classifying an incident",
    "incident.note": "Adding a note to an incident",
}


def _stale(incident_id: int, who: str) -> str:
    return f"Incident {incident_id} was changed by {who} meanwhile; reload it and try again. Nothing was overwritten."


def get_incident(session: Session, *, actor: Actor, incident_id: int) -> Incident:
    """One incident, or NotFound."""
    require(actor, "incident.read")
    return found_or_raise(
        repo.get(session, incident_id),
        missing=f"Incident {incident_id} does not exist; check the id in the triage queue.",
    )


def list_incidents(session: Session, *, actor: Actor, statuses: list[str] | None = None) -> list[Incident]:
    """Incidents in the given statuses (every status when none is given)."""
    require(actor, "incident.read")
    return repo.search(session, statuses=statuses)


def timeline(session: Session, *, actor: Actor, incident_id: int) -> list[IncidentEvent]:
    """Every change and note of an incident, oldest first."""
    get_incident(session, actor=actor, incident_id=incident_id)
    return repo.events(session, incident_id)


def create_incident(session: Session, *, actor: Actor, data: IncidentInput) -> Incident:
    """Open an incident (status new) and start its timeline; an alert's repeat returns the existing one."""
    require(actor, "incident.create")
    if data.source_ref:
        existing = repo.get_by_source(session, data.source, data.source_ref)
        if existing is not None:
            return existing
    inc = Incident(
        **data.model_dump(exclude={"detected_at"}),
        status="new",
        classification="unknown",
        detected_at=data.detected_at or utcnow(),
        updated_by=actor.name,
    )
    try:
        with session.begin_nested():
            repo.add(session, inc)
    except IntegrityError:  # the same alert opened it concurrently
        again = repo.get_by_source(session, data.source, data.source_ref or "")
        if again is None:
            raise
        return again
    repo.add_event(
        session,
        incident_id=inc.id,
        actor=actor.name,
        kind="created",
        message=f"Opened as {inc.severity} by {actor.name} ({inc.source}).",
        at=inc.detected_at,
    )
    audit.record(
        session, actor=actor, action="incident.create", entity="incident", entity_id=inc.id, after=inc.as_dict()
    )
    return inc


@contextmanager
def _change(
    session: Session, actor: Actor, incident_id: int, expected_version: int | None, action: str
) -> Iterator[Incident]:
    """Load, check the version the user saw, let the caller change it, flush with the version check, audit."""
    require(actor, "incident.triage", doing=DOING.get(action))
    inc = get_incident(session, actor=actor, incident_id=incident_id)
    check_version(inc.version, expected_version, stale=_stale(inc.id, inc.updated_by or "someone else"))
    before = inc.as_dict()
    yield inc
    inc.updated_by = actor.name
    flush_versioned(session, inc, stale=lambda who: _stale(incident_id, who))
    audit.record(
        session, actor=actor, action=action, entity="incident", entity_id=inc.id, before=before, after=inc.as_dict()
    )


def gaps_of(session: Session, inc: Incident) -> list[str]:
    """What resolving the incident now would skip (see workflow.resolve_gaps); empty when nothing."""
    view = progress(session, inc) if inc.classification == "protocol" else None
    return resolve_gaps(
        inc.status,
        inc.classification,
        view.title if view else None,
        view.unticked if view else [],
        len(view.steps) if view else 0,
    )


def resolution_gaps(session: Session, *, actor: Actor, incident_id: int) -> list[str]:
    """What resolving the incident now would skip, each needing a reason: the page asks before it resolves."""
    return gaps_of(session, get_incident(session, actor=actor, incident_id=incident_id))


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
    """Move an incident along the workflow (reopen = to 'new'); refuses illegal moves.

    Resolving without mitigating, or with steps of its runbook unticked (an incident resolvable by protocol), needs
    a reason (`note` stands for it when `reason` is empty: an alert that resolved itself says so there); the reason
    goes on the timeline beside what was skipped.
    """
    with _change(session, actor, incident_id, expected_version, f"incident.{to}") as inc:
        check_transition(inc.status, to)
        gaps = gaps_of(session, inc) if to == "resolved" else []
        why = reason.strip() or note.strip()
        if gaps and not why:
            raise InvalidInput(
                f"Resolving incident {inc.id} {' and '.join(gaps)} needs a reason; give one (it goes on the timeline)."
            )
        previous, inc.status = inc.status, to
        now = utcnow()
        if to in STATUS_TIMES and getattr(inc, STATUS_TIMES[to]) is None:
            setattr(inc, STATUS_TIMES[to], now)
        if to == "new":
            inc.resolved_at = inc.closed_at = None
        verb = "Reopened" if to == "new" else f"Status {previous} → {to}"
        repo.add_event(
            session,
            incident_id=inc.id,
            actor=actor.name,
            kind="status",
            message=verb + (f": {note}" if note else ""),
            data={"from": previous, "to": to},
            at=now,
        )
        if gaps:
            repo.add_event(
                session,
                incident_id=inc.id,
                actor=actor.name,
                kind="resolve_reason",
                message=f"Resolved {' and '.join(gaps)}. Reason: {why}",
                data={"gaps": gaps, "reason": why},
                at=now,
            )
    return inc


def acknowledge(session: Session, *, actor: Actor, incident_id: int, expected_version: int | None = None) -> Incident:
    """Acknowledge and take it when nobody has."""
    inc = transition(
        session, actor=actor, incident_id=incident_id, to="acknowledged", expected_version=expected_version
    )
    if inc.assignee is None:
        assign(session, actor=actor, incident_id=incident_id, assignee=actor.name)
    return inc


def bulk_acknowledge(session: Session, *, actor: Actor, incident_ids: list[int]) -> list[Incident]:
    """Acknowledge several new incidents in one action; all or none."""
    return [acknowledge(session, actor=actor, incident_id=i) for i in incident_ids]


def assign(
    session: Session, *, actor: Actor, incident_id: int, assignee: str | None, expected_version: int | None = None
) -> Incident:
    """Give the incident to someone (None: unassign); claiming is assigning oneself."""
    with _change(session, actor, incident_id, expected_version, "incident.assign") as inc:
        previous, inc.assignee = inc.assignee, assignee or None
        repo.add_event(
            session,
            incident_id=inc.id,
            actor=actor.name,
            kind="assigned",
            message=f"Assigned to {assignee}" if assignee else "Unassigned",
            data={"from": previous, "to": assignee},
        )
    return inc


def classify(
    session: Session,
    *,
    actor: Actor,
    incident_id: int,
    classification: str,
    expected_version: int | None = None,
    note: str = "",
) -> Incident:
    """Classify by the team's protocol; the timeline says what the protocol asks next (and the hotfix checklist)."""
    rule = protocol_for(classification)
    with _change(session, actor, incident_id, expected_version, "incident.classify") as inc:
        previous, inc.classification = inc.classification, classification
        data: dict[str, object] = {"from": previous, "to": classification, "next": rule.summary}
        if rule.hotfix:
            data["hotfix_checklist"] = list(HOTFIX_CHECKLIST)
        repo.add_event(
            session,
            incident_id=inc.id,
            actor=actor.name,
            kind="classified",
            message=f"Classified {classification}: {rule.summary}" + (f" — {note}" if note else ""),
            data=data,
        )
    return inc


def add_note(session: Session, *, actor: Actor, incident_id: int, text: str) -> IncidentEvent:
    """Append a note to the timeline."""
    require(actor, "incident.triage", doing=DOING["incident.note"])
    inc = get_incident(session, actor=actor, incident_id=incident_id)
    if not text.strip():
        raise InvalidInput("The note is empty; write what you found or did.")
    event = repo.add_event(session, incident_id=inc.id, actor=actor.name, kind="note", message=text.strip())
    session.flush()
    audit.record(
        session, actor=actor, action="incident.note", entity="incident", entity_id=inc.id, after={"note": event.message}
    )
    return event
