"""The team's severity definitions: written scope and time-to-acknowledge target per severity."""

from __future__ import annotations

from typing import Literal, get_args

from sqlalchemy.orm import Session

from services import audit
from services.auth import Actor, require
from services.errors import InvalidInput, NotFound
from services.incidents import repository as repo
from services.incidents.models import SeverityDefinition

# the one list of severities, most severe first; every form, filter, schema and mapping derives from it
Severity = Literal["Sev0", "Sev1", "Sev2", "Sev3", "Sev4"]
SEVERITIES: tuple[str, ...] = get_args(Severity)
MAJOR: tuple[str, ...] = SEVERITIES[:3]  # Sev0–Sev2: a postmortem is required; an alert's board issue is priority 2
PAGING: tuple[str, ...] = SEVERITIES[:2]  # Sev0–Sev1: an open one turns the Home tile red
# a board issue's priority (1 highest) when the protocol rule does not set one
BOARD_PRIORITY: dict[str, int] = dict(zip(SEVERITIES, (1, 1, 2, 3, 4), strict=True))

DEFAULTS: dict[str, tuple[str, int]] = dict(
    zip(
        SEVERITIES,
        (
            (
                "Critical. mana is down, or logins, orders, payments or DOPA verification fail for most users; "
                "data loss or a security breach.",
                15,
            ),
            ("Critical. A core journey fails or is unusably slow for many users; an SLO fast-burn page fires.", 30),
            ("Major but contained. Errors or slowness for some users or one operation; a slow-burn page fires.", 60),
            ("Not severe. A minor feature is broken or a workaround exists; a burn-rate ticket.", 240),
            ("Not severe. Cosmetic or internal, no user impact.", 1440),
        ),
        strict=True,
    )
)


def definitions(session: Session, *, actor: Actor) -> dict[str, SeverityDefinition]:
    """Every severity's definition (the defaults stored on first use)."""
    require(actor, "incident.read")
    have = {d.severity: d for d in repo.severity_definitions(session)}
    for sev in SEVERITIES:
        if sev not in have:
            scope, minutes = DEFAULTS[sev]
            have[sev] = repo.add_severity_definition(
                session, SeverityDefinition(severity=sev, scope=scope, ack_target_minutes=minutes)
            )
    session.flush()
    return {s: have[s] for s in SEVERITIES}


def update_definition(
    session: Session, *, actor: Actor, severity: str, scope: str, ack_target_minutes: int
) -> SeverityDefinition:
    """Edit a severity's scope and acknowledge target (leads only), audited."""
    require(actor, "severity.edit")
    defs = definitions(session, actor=actor)
    if severity not in defs:
        raise NotFound(f"Unknown severity {severity!r}; use one of {', '.join(SEVERITIES)}.")
    if not scope.strip():
        raise InvalidInput("The scope is empty; describe which incidents get this severity.")
    if not 1 <= ack_target_minutes <= 7 * 24 * 60:
        raise InvalidInput("The acknowledge target must be between 1 minute and 7 days (10080 minutes).")
    d = defs[severity]
    before = {"scope": d.scope, "ack_target_minutes": d.ack_target_minutes}
    d.scope, d.ack_target_minutes = scope.strip(), ack_target_minutes
    session.flush()
    audit.record(
        session,
        actor=actor,
        action="severity.update",
        entity="severity",
        entity_id=severity,
        before=before,
        after={"scope": d.scope, "ack_target_minutes": d.ack_target_minutes},
    )
    return d
