"""The triage queue: open incidents with their age and time-to-acknowledge clock."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy.orm import Session

from services.auth import Actor, require
from services.incidents import repository as repo
from services.incidents.models import Incident
from services.incidents.severities import definitions
from services.incidents.workflow import OPEN_STATUSES


@dataclass(frozen=True)
class AckClock:
    """How long an incident waited (or has waited) for acknowledgement, against its severity's target."""

    target: timedelta
    waited: timedelta
    acknowledged: bool

    @property
    def remaining(self) -> timedelta:
        """Target − waited (negative once overdue)."""
        return self.target - self.waited

    @property
    def breached(self) -> bool:
        """Waited longer than the target."""
        return self.waited > self.target


def ack_clock(incident: Incident, target_minutes: int, now: datetime) -> AckClock:
    """The clock runs from detection to acknowledgement, or to now while unacknowledged."""
    end = incident.acknowledged_at or now
    return AckClock(timedelta(minutes=target_minutes), end - incident.detected_at, incident.acknowledged_at is not None)


@dataclass(frozen=True)
class QueueItem:
    """One row of the triage queue, detached from the session."""

    incident: dict[str, Any]
    age: timedelta
    clock: AckClock


def triage_queue(
    session: Session,
    *,
    actor: Actor,
    now: datetime,
    statuses: list[str] | None = None,
    services: list[str] | None = None,
    severities: list[str] | None = None,
    classifications: list[str] | None = None,
    assignee: str | None = None,
) -> list[QueueItem]:
    """Open incidents (or the given statuses) by severity then age, each with its acknowledge clock."""
    require(actor, "incident.read")
    targets = {s: d.ack_target_minutes for s, d in definitions(session, actor=actor).items()}
    rows = repo.search(
        session,
        statuses=statuses or list(OPEN_STATUSES),
        services=services,
        severities=severities,
        classifications=classifications,
        assignee=assignee,
    )
    return [QueueItem(i.as_dict(), now - i.detected_at, ack_clock(i, targets[i.severity], now)) for i in rows]
