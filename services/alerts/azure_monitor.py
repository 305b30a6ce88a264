"""Incoming Azure Monitor alerts (common alert schema): Fired opens one incident per alertId, Resolved resolves it."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy.orm import Session

from services import incident_response
from services.alerts.actions import SYSTEM
from services.alerts.schemas import CommonAlertPayload
from services.incidents import repository as incident_repo
from services.incidents import service as incidents
from services.incidents.schemas import IncidentInput


@dataclass(frozen=True)
class AzureAlert:
    """The essentials of one common-schema alert."""

    alert_id: str
    rule: str
    severity: str
    condition: str
    fired_at: datetime
    resolved_at: datetime | None
    description: str
    target: str
    link: str | None


def alert_of(payload: CommonAlertPayload) -> AzureAlert:
    """The essentials of a validated webhook body."""
    ess = payload.data.essentials
    return AzureAlert(
        ess.alertId,
        ess.alertRule,
        ess.severity,
        ess.monitorCondition,
        ess.firedDateTime,
        ess.resolvedDateTime,
        ess.description or "",
        ess.alertTargetIDs[0] if ess.alertTargetIDs else "",
        ess.investigationLink,
    )


def ingest(session: Session, alert: AzureAlert, *, service: str) -> tuple[int, str]:
    """Apply one alert idempotently: (incident id, what happened)."""
    inc = incident_repo.get_by_source(session, "azure-monitor", alert.alert_id)
    if inc is None:
        inc = incidents.create_incident(
            session,
            actor=SYSTEM,
            data=IncidentInput(
                title=f"Azure Monitor: {alert.rule}",
                service=service,
                severity=alert.severity,
                source="azure-monitor",
                source_ref=alert.alert_id,
                detected_at=alert.fired_at,
                description="\n".join(
                    x
                    for x in (
                        alert.description,
                        f"Target: {alert.target}" if alert.target else "",
                        f"Investigate: {alert.link}" if alert.link else "",
                    )
                    if x
                ),
            ),
        )
        what = "opened"
    else:
        what = "already known"
    if alert.condition == "Resolved" and inc.status in ("new", "acknowledged", "mitigating"):
        incident_response.transition(
            session,
            actor=SYSTEM,
            incident_id=inc.id,
            to="resolved",
            note=f"Azure Monitor resolved the alert at {alert.resolved_at or 'an unknown time'}",
        )
        what = "resolved"
    return inc.id, what
