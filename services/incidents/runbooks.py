"""Runbooks: versioned step checklists matched to incidents by signature; ticked steps go to the timeline."""

from __future__ import annotations

from typing import Any

from sqlalchemy.orm import Session

from services import audit
from services.auth import Actor, require
from services.errors import InvalidInput
from services.incidents import repository as repo
from services.incidents.checklist import SIGNATURE, RunbookView, progress
from services.incidents.checklist import match as match  # where callers have always found it
from services.incidents.models import IncidentEvent, Runbook
from services.incidents.service import get_incident
from services.repository import get_or_raise

DEMO_RUNBOOKS: list[dict[str, Any]] = [
    {
        "key": "dopa-timeouts",
        "title": "DOPA identity verification timing out",
        "service": "mana",
        "dependency": "api.dopa.go.th",
        "steps": [
            "Check DOPA's status page and the DOPA dependency failure rate on the Failures page",
            "Confirm the circuit breaker is open (trace 'Circuit breaker opened' at severity 4)",
            "Switch identity verification to the queued fallback (feature flag dopa-fallback-queue)",
            "Tell support: verifications are delayed, not lost",
            "When DOPA recovers, drain the queue and turn the flag off",
            "Verify the availability SLI recovered on the SLO page",
        ],
    },
    {
        "key": "login-brute-force",
        "title": "Login brute force against one account",
        "service": "mana",
        "operation": "POST /api/auth/login",
        "result_code": "401",
        "steps": [
            "Find the account and source IPs on the Business metrics page (failed logins per account)",
            "Lock the account for one hour (account-lock webhook)",
            "Block the source IP at the Front Door WAF",
            "Notify the account owner by email",
            "Unlock after the hour if the attempts stopped",
        ],
    },
    {
        "key": "latency-regression",
        "title": "Latency regression after a release",
        "service": "mana",
        "operation": "GET /api/shops",
        "steps": [
            "Compare p95 by AppVersion on the Performance page: is the new release slower?",
            "Roll back to the previous release (AKS: kubectl rollout undo deployment/mana)",
            "Verify p95 and the latency SLI recovered",
            "Open a board issue for the regression with the slow dependency's evidence",
        ],
    },
]


def latest(session: Session) -> list[Runbook]:
    """The newest version of every runbook."""
    return repo.latest_runbooks(session)


def save_runbook(
    session: Session, *, actor: Actor, key: str, title: str, steps: list[str], signature: dict[str, str | None]
) -> Runbook:
    """Store a new version of a runbook (the old versions stay, for incidents that used them)."""
    require(actor, "runbook.edit")
    steps = [s.strip() for s in steps if s.strip()]
    if not key.strip() or not title.strip():
        raise InvalidInput("A runbook needs a key and a title.")
    if not steps:
        raise InvalidInput("A runbook needs at least one step.")
    unknown = set(signature) - set(SIGNATURE)
    if unknown:
        raise InvalidInput(f"Unknown signature fields {sorted(unknown)}; use {', '.join(SIGNATURE)}.")
    current = repo.latest_runbook_version(session, key.strip())
    rb = Runbook(
        key=key.strip(),
        version=current + 1,
        title=title.strip(),
        steps=steps,
        created_by=actor.name,
        **{f: (signature.get(f) or None) for f in SIGNATURE},
    )
    repo.add_runbook(session, rb)
    audit.record(
        session,
        actor=actor,
        action="runbook.save",
        entity="runbook",
        entity_id=f"{rb.key}@{rb.version}",
        after={"title": rb.title, "steps": steps, **{f: getattr(rb, f) for f in SIGNATURE}},
    )
    return rb


def seed_demo_runbooks(session: Session, *, actor: Actor) -> int:
    """Store the demo incidents' runbooks that are not there yet."""
    have = {r.key for r in latest(session)}
    n = 0
    for spec in DEMO_RUNBOOKS:
        if spec["key"] not in have:
            sig = {f: spec.get(f) for f in SIGNATURE}
            save_runbook(session, actor=actor, key=spec["key"], title=spec["title"], steps=spec["steps"], signature=sig)
            n += 1
    return n


def runbook_for(session: Session, *, actor: Actor, incident_id: int) -> RunbookView | None:
    """The runbook an incident follows (the version first ticked, else the best match) with its ticked steps."""
    return progress(session, get_incident(session, actor=actor, incident_id=incident_id))


def tick_step(
    session: Session, *, actor: Actor, incident_id: int, runbook_id: int, step: int, done: bool = True
) -> IncidentEvent:
    """Tick (or untick) a runbook step; the timeline records it."""
    require(actor, "incident.triage", doing="Ticking a runbook step")
    get_incident(session, actor=actor, incident_id=incident_id)
    rb = get_or_raise(session, Runbook, runbook_id, missing=f"Runbook {runbook_id} does not exist.")
    if not 0 <= step < len(rb.steps):
        raise InvalidInput(f"Runbook {rb.key} v{rb.version} has steps 1–{len(rb.steps)}; there is no step {step + 1}.")
    verb = "Done" if done else "Undone"
    event = repo.add_event(
        session,
        incident_id=incident_id,
        actor=actor.name,
        kind="runbook_step",
        message=f"{verb}: step {step + 1} of {rb.title} (v{rb.version}): {rb.steps[step]}",
        data={"runbook_id": rb.id, "key": rb.key, "version": rb.version, "step": step, "done": done},
    )
    session.flush()
    audit.record(
        session,
        actor=actor,
        action="runbook.tick" if done else "runbook.untick",
        entity="incident",
        entity_id=incident_id,
        after={"runbook": f"{rb.key}@{rb.version}", "step": step + 1, "text": rb.steps[step], "done": done},
    )
    return event
