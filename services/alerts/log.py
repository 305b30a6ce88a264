"""What the alerts did: firing history and the notification log."""

from __future__ import annotations

from typing import Any

from sqlalchemy.orm import Session

from services.alerts import repository as alert_repo
from services.auth import Actor, require


def history(session: Session, *, actor: Actor, limit: int = 500) -> list[dict[str, Any]]:
    """Every firing and resolution, newest first, with the rule and dimension value."""
    require(actor, "alert.read")
    return [
        {
            "at": e.at,
            "rule": r.name,
            "dimension": a.dimension_value,
            "state": e.state,
            "value": e.value,
            "incident_id": a.incident_id,
        }
        for e, a, r in alert_repo.history(session, limit=limit)
    ]


def notifications(session: Session, *, actor: Actor, limit: int = 500) -> list[dict[str, Any]]:
    """Every outbox row, newest first: state, attempts, last error."""
    require(actor, "notification.read")  # recipients and delivery errors: operators and up
    return [
        {
            "id": m.id,
            "created": m.created_at,
            "channel": m.channel,
            "target": m.target,
            "subject": m.payload.get("subject", ""),
            "status": m.status,
            "attempts": m.attempts,
            "next attempt": m.next_attempt_at if m.status == "pending" else None,
            "sent": m.sent_at,
            "last error": m.last_error or "",
        }
        for m in alert_repo.messages(session, limit=limit)
    ]
