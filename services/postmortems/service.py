"""Postmortem rules: one per incident, generated timeline, impact from telemetry, edits while not published, leads
publish."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy.orm import Session

from services import audit
from services.auth import Actor, require
from services.db import utcnow
from services.errors import Conflict, InvalidInput
from services.incidents import repository as incident_repo
from services.incidents.models import Incident
from services.incidents.service import get_incident
from services.incidents.severities import MAJOR
from services.postmortems import repository as repo
from services.postmortems.impact import Signature, compute_impact, telemetry_markers
from services.postmortems.markdown import to_markdown as to_markdown  # where callers have always found it
from services.postmortems.models import Postmortem
from services.repository import check_version, flush_versioned, get_or_raise
from services.slos import service as slo_service
from services.slos.evaluation import SloDefinition
from services.telemetry.source import TelemetrySource

# every Sev0–Sev2 incident gets a postmortem when it is resolved (any other one on demand)
REQUIRED_FOR = MAJOR  # the severities whose resolution opens a postmortem
EDITABLE = (
    "summary",
    "impact",
    "timeline",
    "root_cause",
    "five_whys",
    "contributing_factors",
    "went_well",
    "action_items",
)
MOVES = {"draft": ("in_review",), "in_review": ("draft", "published"), "published": ()}


def _stale(who: str) -> str:
    return f"The postmortem was changed by {who} meanwhile; reload and edit again."


def get_for_incident(session: Session, *, actor: Actor, incident_id: int) -> Postmortem | None:
    """The incident's postmortem, if it has one."""
    require(actor, "incident.read")
    return repo.get_for_incident(session, incident_id)


def get_postmortem(session: Session, *, actor: Actor, postmortem_id: int) -> Postmortem:
    """One postmortem, or NotFound."""
    require(actor, "incident.read")
    return get_or_raise(session, Postmortem, postmortem_id, missing=f"Postmortem {postmortem_id} does not exist.")


def list_postmortems(session: Session, *, actor: Actor) -> list[Postmortem]:
    """Every postmortem, newest first."""
    require(actor, "incident.read")
    return repo.list_all(session)


def generated_timeline(session: Session, incident_id: int) -> list[dict[str, str]]:
    """The incident's timeline as postmortem entries (editable afterwards)."""
    return [
        {"at": e.at.isoformat(), "text": f"{e.actor}: {e.message}"} for e in incident_repo.events(session, incident_id)
    ]


def ensure_postmortem(session: Session, *, actor: Actor, incident_id: int) -> Postmortem:
    """The incident's postmortem, created as a draft with a generated timeline when it has none."""
    require(actor, "postmortem.edit")
    inc = get_incident(session, actor=actor, incident_id=incident_id)
    existing = get_for_incident(session, actor=actor, incident_id=incident_id)
    if existing is not None:
        return existing
    pm = Postmortem(
        incident_id=inc.id,
        status="draft",
        summary=inc.description or inc.title,
        timeline=generated_timeline(session, inc.id),
        five_whys=[""] * 5,
        action_items=[],
        impact={},
        updated_by=actor.name,
    )
    repo.add(session, pm)
    audit.record(
        session,
        actor=actor,
        action="postmortem.create",
        entity="postmortem",
        entity_id=pm.id,
        after={"incident_id": inc.id},
    )
    return pm


def update_postmortem(
    session: Session, *, actor: Actor, postmortem_id: int, fields: dict[str, Any], expected_version: int | None = None
) -> Postmortem:
    """Edit sections of a draft or in-review postmortem; refuses stale edits and published ones."""
    require(actor, "postmortem.edit")
    pm = get_postmortem(session, actor=actor, postmortem_id=postmortem_id)
    if pm.status == "published":
        raise Conflict("This postmortem is published and read-only.")
    check_version(pm.version, expected_version, stale=_stale(pm.updated_by or "someone else"))
    unknown = set(fields) - set(EDITABLE)
    if unknown:
        raise InvalidInput(f"Unknown postmortem sections {sorted(unknown)}; editable: {', '.join(EDITABLE)}.")
    for item in fields.get("action_items", []):
        if not str(item.get("text", "")).strip():
            raise InvalidInput("Every action item needs a text; remove empty ones.")
    before = {k: getattr(pm, k) for k in fields}
    for k, v in fields.items():
        setattr(pm, k, v)
    pm.updated_by = actor.name
    flush_versioned(session, pm, stale=_stale)
    audit.record(
        session,
        actor=actor,
        action="postmortem.update",
        entity="postmortem",
        entity_id=pm.id,
        before=before,
        after=fields,
    )
    return pm


def move_postmortem(session: Session, *, actor: Actor, postmortem_id: int, to: str) -> Postmortem:
    """draft → in_review → published (leads publish); in_review can go back to draft."""
    require(actor, "postmortem.publish" if to == "published" else "postmortem.edit")
    pm = get_postmortem(session, actor=actor, postmortem_id=postmortem_id)
    if to not in MOVES.get(pm.status, ()):
        allowed = ", ".join(MOVES[pm.status]) or "nothing (it is published)"
        raise Conflict(f"A postmortem that is {pm.status} cannot move to {to}; it can go to: {allowed}.")
    if to == "published" and not pm.root_cause.strip():
        raise InvalidInput("Write the root cause before publishing.")
    before, pm.status = pm.status, to
    if to == "published":
        pm.published_at = utcnow()
    pm.updated_by = actor.name
    flush_versioned(session, pm, stale=_stale)
    audit.record(
        session,
        actor=actor,
        action=f"postmortem.{to}",
        entity="postmortem",
        entity_id=pm.id,
        before={"status": before},
        after={"status": to},
    )
    return pm


def merge_timeline(timeline: list[dict[str, str]], markers: list[dict[str, str]]) -> list[dict[str, str]]:
    """The timeline with the telemetry markers it does not have yet, in time order."""
    have = {(t.get("at"), t.get("text")) for t in timeline}
    new = [m for m in markers if (m["at"], m["text"]) not in have]
    return sorted([*timeline, *new], key=lambda t: str(t.get("at", "")))


def impact_window(
    inc: Incident, start: datetime | None = None, end: datetime | None = None
) -> tuple[datetime, datetime]:
    """The window impact is counted over: the given bounds, else the incident's own (detected → resolved, or now)."""
    start, end = start or inc.detected_at, end or inc.resolved_at or utcnow()
    if start.tzinfo is None or end.tzinfo is None:
        raise InvalidInput("The impact window needs times with a time zone, e.g. 2026-11-01T12:00:00Z.")
    if end <= start:
        raise InvalidInput(
            f"The impact window ends ({end:%Y-%m-%d %H:%M} UTC) before it starts ({start:%Y-%m-%d %H:%M} UTC); "
            "pick an end after the start."
        )
    return start, end


def record_impact(
    session: Session,
    *,
    actor: Actor,
    postmortem_id: int,
    source: TelemetrySource,
    expected_version: int | None = None,
    start: datetime | None = None,
    end: datetime | None = None,
) -> Postmortem:
    """Count the impact from telemetry for the incident's signature, beside the whole service's, over its window
    (detected → resolved, or now, unless `start`/`end` adjust it) and store it, with the telemetry markers added to
    the timeline."""
    require(actor, "postmortem.edit")
    pm = get_postmortem(session, actor=actor, postmortem_id=postmortem_id)
    inc = get_incident(session, actor=actor, incident_id=pm.incident_id)
    slos = [SloDefinition.of(x) for x in slo_service.list_slos(session, actor=actor)]
    start, end = impact_window(inc, start, end)
    impact = compute_impact(
        source, actor=actor, service=inc.service, start=start, end=end, slos=slos, signature=Signature.of(inc)
    )
    markers = telemetry_markers(source, actor=actor, service=inc.service, start=start, end=end)
    fields = {"impact": impact, "timeline": merge_timeline(list(pm.timeline or []), markers)}
    return update_postmortem(
        session, actor=actor, postmortem_id=pm.id, fields=fields, expected_version=expected_version
    )


def action_item(pm: Postmortem, index: int) -> dict[str, Any]:
    """Action item `index` (from 0) of the postmortem, or InvalidInput saying how many there are."""
    items = pm.action_items or []
    if not 0 <= index < len(items):
        raise InvalidInput(f"The postmortem has {len(items)} action item(s); there is no item {index + 1}.")
    return dict(items[index])


def link_action_item(session: Session, *, actor: Actor, postmortem: Postmortem, index: int, url: str) -> dict[str, Any]:
    """Keep the board issue's URL on action item `index` (from 0); the item as it is now."""
    require(actor, "postmortem.edit")
    items = [dict(a) for a in postmortem.action_items or []]
    item = action_item(postmortem, index)
    if item.get("board_issue_url") != url:
        items[index]["board_issue_url"] = url
        postmortem.action_items = items
        postmortem.updated_by = actor.name
        flush_versioned(session, postmortem, stale=_stale)
        audit.record(
            session,
            actor=actor,
            action="postmortem.link_action_item",
            entity="postmortem",
            entity_id=postmortem.id,
            before={"action_item": index + 1, "board_issue_url": item.get("board_issue_url")},
            after={"action_item": index + 1, "board_issue_url": url},
        )
    return items[index]
