"""Delivering one outbox row: the internal actions (incident, account-lock follow-up) and the notifiers."""

from __future__ import annotations

import logging
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy.orm import Session

from services.alerts import outbox
from services.alerts import repository as alert_repo
from services.alerts.models import OutboxMessage
from services.auth import Actor
from services.boards.base import BoardClient, BoardIssueRequest
from services.errors import ExternalServiceError, ServiceError
from services.incidents import repository as incident_repo
from services.incidents import service as incidents
from services.incidents.schemas import IncidentInput
from services.incidents.severities import MAJOR
from services.notify.base import DeliveryResult, Notification

log = logging.getLogger("sre_backoffice.worker")
SYSTEM = Actor("alert-worker", "admin")


def _incident_ref(payload: dict[str, Any]) -> str:
    """The incident an alert firing opens: one per rule, dimension value and firing."""
    return f"rule-{payload['rule_id']}:{payload.get('dimension_value', '')}:{payload.get('fired_at', payload['at'])}"


def _open_or_update_incident(session: Session, payload: dict[str, Any], severity: str | None = None) -> DeliveryResult:
    """Fired: open the incident (idempotent by reference). Resolved: note it on the incident, leave status to humans."""
    ref = _incident_ref(payload)
    if payload["state"] == "fired":
        dim = f" ({payload['dimension']}={payload['dimension_value']})" if payload.get("dimension_value") else ""
        inc = incidents.create_incident(
            session,
            actor=SYSTEM,
            data=IncidentInput(
                title=f"{payload['rule']}{dim}",
                service=payload.get("service") or "mana",
                severity=severity or payload.get("severity", "Sev3"),
                source="alert-rule",
                source_ref=ref,
                description=payload.get("text", ""),
                evidence_kql=payload.get("query") or None,
                detected_at=datetime.fromisoformat(payload["at"]),
            ),
        )
        alert = alert_repo.get_alert(session, payload["alert_id"]) if payload.get("alert_id") else None
        if alert is not None:
            alert.incident_id = inc.id
        return DeliveryResult(True, f"incident {inc.id}")
    existing = incident_repo.get_by_source(session, "alert-rule", ref)
    if existing is None:
        return DeliveryResult(True, "no incident to update")
    incidents.add_note(
        session,
        actor=SYSTEM,
        incident_id=existing.id,
        text=f"Alert resolved at {payload['at']} (value {payload.get('value')}).",
    )
    return DeliveryResult(True, f"noted on incident {existing.id}")


def _board_issue(payload: dict[str, Any], board: BoardClient | None) -> DeliveryResult:
    """Fired: a board issue for the firing (found again by its marker on a retry). Resolved: nothing to do."""
    if payload["state"] != "fired":
        return DeliveryResult(True, "resolution: no board issue")
    if board is None:
        return DeliveryResult(False, "no board is configured (SRE_BOARD=none)", permanent=True)
    marker = f"sre-alert-{payload['alert_id']}-{str(payload['fired_at'])[:16].replace(':', '')}"
    request = BoardIssueRequest(
        title=payload["subject"][:250],
        description=payload["text"],
        kind="bug",
        priority=2 if payload["severity"] in MAJOR else 3,
        severity=payload["severity"],
        tags=("alert",),
        link_url=None,
        marker=marker,
    )
    issue = board.find_issue(marker) or board.create_issue(request)
    return DeliveryResult(True, f"board issue {issue.provider} {issue.key}: {issue.url}")


def send(session: Session, msg: OutboxMessage, notifiers: dict[str, Any], now: datetime) -> DeliveryResult:
    """Deliver one row through its channel; internal channels run in the caller's transaction."""
    payload = dict(msg.payload)
    try:
        if msg.channel == "incident":
            return _open_or_update_incident(session, payload, payload.get("params", {}).get("severity"))
        if msg.channel == "board":
            return _board_issue(payload, notifiers.get("board"))
        notifier = notifiers.get(msg.channel)
        if notifier is None:
            return DeliveryResult(
                False, f"no {msg.channel} channel is configured (see README's Settings)", permanent=True
            )
        note = Notification(
            subject=payload["subject"],
            text=payload["text"],
            severity=payload["severity"],
            idempotency_key=msg.idempotency_key,
            link=payload.get("link"),
            fields={k: str(v) for k, v in payload.items() if k not in ("subject", "text", "params") and v is not None},
        )
        result = notifier.send(note, msg.target)
        lock = payload.get("params", {}).get("lock_minutes")
        if result.ok and lock and payload.get("action", "lock") == "lock" and payload["state"] == "fired":
            unlock = {
                **payload,
                "action": "unlock",
                "subject": payload["subject"].replace("FIRED", "UNLOCK"),
                "text": f"Lock over after {lock} minutes: unlock {payload.get('dimension_value', '')}.",
            }
            outbox.enqueue(
                session,
                key=f"{msg.idempotency_key}-unlock",
                channel=msg.channel,
                target=msg.target,
                payload=unlock,
                now=now,
                not_before=now + timedelta(minutes=int(lock)),
            )
        return result
    except ExternalServiceError as exc:  # a board or directory that is down or throttling: try again later
        return DeliveryResult(False, str(exc))
    except ServiceError as exc:
        return DeliveryResult(False, str(exc), permanent=True)
    except Exception as exc:  # a transport bug must not stop the worker; the row keeps the error
        log.exception("delivery %s failed", msg.idempotency_key)
        return DeliveryResult(False, f"{type(exc).__name__}: {exc}")
