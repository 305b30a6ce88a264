"""Alert queries: rules, the alerts they raised with their history, and the notification outbox."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import or_, select, update
from sqlalchemy.orm import Session

from services.alerts.models import Alert, AlertEvent, AlertRule, OutboxMessage


def list_rules(session: Session) -> list[AlertRule]:
    """Every rule, by name."""
    return list(session.scalars(select(AlertRule).order_by(AlertRule.name)))


def get_rule(session: Session, rule_id: int) -> AlertRule | None:
    """One rule by id (None once deleted)."""
    return session.get(AlertRule, rule_id)


def rule_names(session: Session) -> set[str]:
    """The names every rule has."""
    return set(session.scalars(select(AlertRule.name)))


def slo_rules(session: Session, slo_id: int) -> list[AlertRule]:
    """The burn-rate rules an SLO owns, oldest first."""
    return list(session.scalars(select(AlertRule).where(AlertRule.slo_id == slo_id).order_by(AlertRule.id)))


def name_taken(session: Session, name: str, *, other_than: int | None = None) -> bool:
    """Whether a rule (other than `other_than`) has this name."""
    stmt = select(AlertRule.id).where(AlertRule.name == name)
    if other_than is not None:
        stmt = stmt.where(AlertRule.id != other_than)
    return session.scalars(stmt).first() is not None


def due_rules(session: Session, *, now: datetime) -> list[AlertRule]:
    """Enabled rules whose next evaluation is due, oldest first."""
    stmt = (
        select(AlertRule)
        .where(AlertRule.enabled.is_(True))
        .where((AlertRule.next_due_at.is_(None)) | (AlertRule.next_due_at <= now))
        .order_by(AlertRule.id)
    )
    return list(session.scalars(stmt))


def add(session: Session, row: AlertRule | Alert | AlertEvent | OutboxMessage) -> None:
    """Add a new row and flush it for its id."""
    session.add(row)
    session.flush()


def delete(session: Session, row: AlertRule) -> None:
    """Remove a rule; its alerts and their history go with it (ON DELETE CASCADE)."""
    session.delete(row)


def alerts_by_dimension(session: Session, rule_id: int) -> dict[str, Alert]:
    """A rule's alerts keyed by dimension value ('' for a rule without a dimension)."""
    return {a.dimension_value: a for a in session.scalars(select(Alert).where(Alert.rule_id == rule_id))}


def get_alert(session: Session, alert_id: int) -> Alert | None:
    """One alert by id."""
    return session.get(Alert, alert_id)


def history(session: Session, *, limit: int) -> list[tuple[AlertEvent, Alert, AlertRule]]:
    """Firings and resolutions with their alert and rule, newest first."""
    stmt = (
        select(AlertEvent, Alert, AlertRule)
        .join(Alert, AlertEvent.alert_id == Alert.id)
        .join(AlertRule, Alert.rule_id == AlertRule.id)
        .order_by(AlertEvent.id.desc())
        .limit(limit)
    )
    return [(e, a, r) for e, a, r in session.execute(stmt)]


def messages(session: Session, *, limit: int) -> list[OutboxMessage]:
    """Outbox rows, newest first."""
    return list(session.scalars(select(OutboxMessage).order_by(OutboxMessage.id.desc()).limit(limit)))


def message_exists(session: Session, idempotency_key: str) -> bool:
    """Whether a delivery with this idempotency key was enqueued already."""
    stmt = select(OutboxMessage.id).where(OutboxMessage.idempotency_key == idempotency_key)
    return session.scalars(stmt).first() is not None


def _skip_locked(session: Session) -> bool:
    """Whether the database takes row locks that others skip (PostgreSQL); SQLite serialises writers anyway."""
    return session.bind is not None and session.bind.dialect.name == "postgresql"


def lock_due_rule(session: Session, rule_id: int, *, now: datetime) -> AlertRule | None:
    """The rule, locked for this transaction, if it is still due and no other worker holds it (SKIP LOCKED);
    None when another worker is evaluating it, has evaluated it meanwhile, or it was disabled or deleted."""
    stmt = (
        select(AlertRule)
        .where(AlertRule.id == rule_id, AlertRule.enabled.is_(True))
        .where((AlertRule.next_due_at.is_(None)) | (AlertRule.next_due_at <= now))
    )
    if _skip_locked(session):
        stmt = stmt.with_for_update(skip_locked=True)
    return session.scalars(stmt).first()


def claimable_message(session: Session, *, now: datetime) -> OutboxMessage | None:
    """The next due row: pending and due, or 'sending' with its lease run out (its worker died); locked with SKIP
    LOCKED on PostgreSQL so two workers never get the same row."""
    stmt = (
        select(OutboxMessage)
        .where(
            or_(
                (OutboxMessage.status == "pending") & (OutboxMessage.next_attempt_at <= now),
                (OutboxMessage.status == "sending") & (OutboxMessage.lease_until <= now),
            )
        )
        .order_by(OutboxMessage.next_attempt_at, OutboxMessage.id)
        .limit(1)
    )
    if _skip_locked(session):
        stmt = stmt.with_for_update(skip_locked=True)
    return session.scalars(stmt).first()


def finish_message(session: Session, message_id: int, *, owner: str, values: dict[str, Any]) -> bool:
    """Set a row's outcome only while `owner` still holds its lease (compare-and-set); False when it does not."""
    stmt = (
        update(OutboxMessage)
        .where(OutboxMessage.id == message_id, OutboxMessage.status == "sending", OutboxMessage.lease_owner == owner)
        .values(**values)
        .execution_options(synchronize_session=False)
    )
    done = session.execute(stmt)
    return bool(getattr(done, "rowcount", 0) == 1)


def fired_since(session: Session, rule_ids: list[int], since: datetime) -> dict[int, list[datetime]]:
    """When each of the rules fired (any dimension) after `since`, oldest first."""
    out: dict[int, list[datetime]] = {}
    if not rule_ids:
        return out
    stmt = (
        select(Alert.rule_id, AlertEvent.at)
        .join(Alert, AlertEvent.alert_id == Alert.id)
        .where(Alert.rule_id.in_(rule_ids), AlertEvent.state == "fired", AlertEvent.at > since)
        .order_by(AlertEvent.at)
    )
    for rule_id, at in session.execute(stmt):
        out.setdefault(int(rule_id), []).append(at)
    return out
