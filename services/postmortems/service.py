"""Postmortem rules: one per incident, generated timeline, edits while not published, leads publish."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session
from sqlalchemy.orm.exc import StaleDataError

from services import audit
from services.auth import Actor, require
from services.db import utcnow
from services.errors import Conflict, InvalidInput, NotFound
from services.incidents import repository as incident_repo
from services.incidents.service import get_incident
from services.postmortems.models import Postmortem

REQUIRED_FOR = ("Sev0", "Sev1", "Sev2")
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


def get_for_incident(session: Session, *, actor: Actor, incident_id: int) -> Postmortem | None:
    """The incident's postmortem, if it has one."""
    require(actor, "incident.read")
    return session.scalars(select(Postmortem).where(Postmortem.incident_id == incident_id)).first()


def get_postmortem(session: Session, *, actor: Actor, postmortem_id: int) -> Postmortem:
    """One postmortem, or NotFound."""
    require(actor, "incident.read")
    pm = session.get(Postmortem, postmortem_id)
    if pm is None:
        raise NotFound(f"Postmortem {postmortem_id} does not exist.")
    return pm


def list_postmortems(session: Session, *, actor: Actor) -> list[Postmortem]:
    """Every postmortem, newest first."""
    require(actor, "incident.read")
    return list(session.scalars(select(Postmortem).order_by(Postmortem.id.desc())))


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
    session.add(pm)
    session.flush()
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
    if expected_version is not None and pm.version != expected_version:
        raise Conflict(f"The postmortem was changed by {pm.updated_by or 'someone'} meanwhile; reload and edit again.")
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
    try:
        session.flush()
    except StaleDataError:
        raise Conflict("The postmortem was changed by someone else meanwhile; reload and edit again.") from None
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
    session.flush()
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


def to_markdown(pm: Postmortem, incident: dict[str, Any]) -> str:
    """The postmortem as a Markdown document."""
    when = lambda v: v.strftime("%Y-%m-%d %H:%M UTC") if isinstance(v, datetime) else (v or "—")  # noqa: E731
    imp = pm.impact or {}
    lines = [
        f"# Postmortem: {incident['title']}",
        "",
        f"Incident #{incident['id']} · {incident['severity']} · {incident['service']} · status {pm.status}"
        + (f" · published {when(pm.published_at)}" if pm.published_at else ""),
        "",
        "*Blameless: this review is about systems and decisions, not people.*",
        "",
        "## Summary",
        "",
        pm.summary or "—",
        "",
        "## Impact",
        "",
    ]
    if imp:
        lines += [
            f"- Window: {imp.get('window_start')} → {imp.get('window_end')}",
            f"- Requests: {imp.get('requests', 0):,}; failed: {imp.get('failed', 0):,}",
            f"- Affected users: {imp.get('users', 0):,}; affected accounts: {imp.get('accounts', 0):,}",
        ]
        for s in imp.get("slos", []):
            burned = "—" if s["burned"] is None else f"{s['burned']:.1%}"
            lines.append(f"- Error budget burned, {s['slo']}: {burned} ({s['formula']})")
    else:
        lines.append("Not computed yet.")
    lines += ["", "## Timeline", ""] + [f"- {t.get('at', '')}: {t.get('text', '')}" for t in pm.timeline or []]
    lines += ["", "## Root cause", "", pm.root_cause or "—", "", "### Five whys", ""]
    lines += [f"{i + 1}. {w}" for i, w in enumerate(pm.five_whys or []) if w.strip()] or ["—"]
    lines += [
        "",
        "## Contributing factors",
        "",
        pm.contributing_factors or "—",
        "",
        "## What went well",
        "",
        pm.went_well or "—",
        "",
        "## Action items",
        "",
    ]
    for a in pm.action_items or []:
        link = f" ({a['board_issue_url']})" if a.get("board_issue_url") else ""
        lines.append(
            f"- [{'x' if a.get('done') else ' '}] {a['text']}" + (f" — {a['owner']}" if a.get("owner") else "") + link
        )
    if not pm.action_items:
        lines.append("—")
    return "\n".join(lines) + "\n"


def open_action_item_issue(
    session: Session, *, actor: Actor, postmortem_id: int, index: int, board: Any
) -> dict[str, Any]:
    """Turn one action item into a board task (at most once) and keep its link on the item."""
    from services.boards.base import BoardIssueRequest
    from services.incidents.board_issues import incident_link, marker, open_issue

    pm = get_postmortem(session, actor=actor, postmortem_id=postmortem_id)
    items = [dict(a) for a in pm.action_items or []]
    if not 0 <= index < len(items):
        raise InvalidInput(f"The postmortem has {len(items)} action item(s); there is no item {index + 1}.")
    inc = get_incident(session, actor=actor, incident_id=pm.incident_id)
    purpose = f"action-{index + 1}"
    request = BoardIssueRequest(
        title=f"[postmortem #{inc.id}] {items[index]['text']}"[:250],
        description=f"Action item {index + 1} of the postmortem of {inc.severity} incident #{inc.id}: {inc.title}"
        + (f"\nOwner: {items[index]['owner']}" if items[index].get("owner") else ""),
        kind="task",
        priority=2,
        severity=None,
        tags=("postmortem",),
        link_url=incident_link(inc.id),
        marker=marker(inc.id, purpose),
    )
    link = open_issue(session, actor=actor, incident_id=inc.id, board=board, request=request, purpose=purpose)
    if items[index].get("board_issue_url") != link.url:
        items[index]["board_issue_url"] = link.url
        pm.action_items = items
        pm.updated_by = actor.name
        session.flush()
    return items[index]
