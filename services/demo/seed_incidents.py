"""The demo's triage queue: an incident for each incident injected into the demo telemetry, and their runbooks."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy.orm import Session

from services.auth import Actor
from services.demo.incidents import BRUTE_FORCE, DOPA_TIMEOUTS, REGRESSION, incident_windows
from services.incidents import runbooks
from services.incidents import service as incidents
from services.incidents.repository import get_by_source
from services.incidents.schemas import IncidentInput

SIGNATURES: dict[str, dict[str, str]] = {
    REGRESSION: {
        "severity": "Sev2",
        "title": "GET /api/shops p95 tripled after release 2026.11.4",
        "operation": "GET /api/shops",
    },
    DOPA_TIMEOUTS: {
        "severity": "Sev1",
        "title": "DOPA identity verification timing out",
        "dependency": "api.dopa.go.th",
        "exception_type": "System.TimeoutException",
        "result_code": "504",
    },
    BRUTE_FORCE: {
        "severity": "Sev3",
        "title": "Login brute force against one account",
        "operation": "POST /api/auth/login",
        "result_code": "401",
    },
}


def seed_demo_incidents(session: Session, *, actor: Actor, end: datetime, days: int, service: str) -> int:
    """Open one incident per injected incident (idempotent by source_ref) and store the demo runbooks."""
    runbooks.seed_demo_runbooks(session, actor=actor)
    opened = 0
    for window in incident_windows(end, days):
        spec = dict(SIGNATURES[window.name])
        ref = f"demo:{window.name}:{window.start:%Y%m%dT%H%M}"
        data = IncidentInput(
            title=spec.pop("title"),
            service=service,
            severity=spec.pop("severity"),
            description=window.description,
            source="alert-rule",
            source_ref=ref,
            detected_at=window.start,
            **spec,
        )
        if get_by_source(session, "alert-rule", ref) is None:
            incidents.create_incident(session, actor=actor, data=data)
            opened += 1
    return opened
