"""Incoming Azure Monitor alerts (common alert schema): Fired opens one incident per alertId, Resolved resolves it."""

from __future__ import annotations

import hmac
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from sqlalchemy.orm import Session

from services import incident_response
from services.alerts.actions import SYSTEM
from services.errors import InvalidInput
from services.incidents import repository as incident_repo
from services.incidents import service as incidents
from services.incidents.schemas import IncidentInput

SCHEMA_ID = "azureMonitorCommonAlertSchema"
SEVERITIES = {"Sev0", "Sev1", "Sev2", "Sev3", "Sev4"}


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


def _time(value: Any, what: str) -> datetime:
    try:
        t = datetime.fromisoformat(str(value).replace("Z", "+00:00"))
    except ValueError:
        raise InvalidInput(f"data.essentials.{what} is not an ISO-8601 time: {value!r}") from None
    return t if t.tzinfo else t.replace(tzinfo=UTC)


def parse(body: Any) -> AzureAlert:
    """Validate a webhook body against the common alert schema; InvalidInput names what is missing."""
    if not isinstance(body, dict) or body.get("schemaId") != SCHEMA_ID:
        raise InvalidInput(f"Not an Azure Monitor common alert schema payload (schemaId must be {SCHEMA_ID!r}).")
    ess = (body.get("data") or {}).get("essentials") if isinstance(body.get("data"), dict) else None
    if not isinstance(ess, dict):
        raise InvalidInput("data.essentials is missing.")
    for key in ("alertId", "alertRule", "severity", "monitorCondition", "firedDateTime"):
        if not ess.get(key):
            raise InvalidInput(f"data.essentials.{key} is missing.")
    if ess["severity"] not in SEVERITIES:
        raise InvalidInput(f"data.essentials.severity must be Sev0..Sev4, not {ess['severity']!r}.")
    if ess["monitorCondition"] not in ("Fired", "Resolved"):
        raise InvalidInput(
            f"data.essentials.monitorCondition must be Fired or Resolved, not {ess['monitorCondition']!r}."
        )
    resolved = _time(ess["resolvedDateTime"], "resolvedDateTime") if ess.get("resolvedDateTime") else None
    targets = ess.get("alertTargetIDs") or []
    return AzureAlert(
        str(ess["alertId"]),
        str(ess["alertRule"]),
        ess["severity"],
        ess["monitorCondition"],
        _time(ess["firedDateTime"], "firedDateTime"),
        resolved,
        str(ess.get("description") or ""),
        str(targets[0]) if targets else "",
        ess.get("investigationLink"),
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


def token_ok(given: str | None, expected: str | None) -> bool:
    """Constant-time comparison of the URL token; no token configured means every request is refused."""
    return bool(expected) and given is not None and hmac.compare_digest(given.encode(), str(expected).encode())
