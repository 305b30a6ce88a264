"""The notification outbox: rows written with the alert decision, delivered by the worker at most once each.

A row is claimed (status 'sending', attempts + 1) and committed before the transport is called, so two workers
never send the same row; a row left 'sending' by a crash after the transport answered is not sent again blindly:
it waits `stale_after` and is then retried with its idempotency key, which the transports pass on for receivers.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Any, Protocol

from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from services.alerts.models import OutboxMessage

MAX_ATTEMPTS = 8


class Delivery(Protocol):
    """What a notifier returns (services.notify.base.DeliveryResult)."""

    @property
    def ok(self) -> bool: ...

    @property
    def detail(self) -> str: ...

    @property
    def retry_after_s(self) -> float | None: ...

    @property
    def permanent(self) -> bool: ...


def enqueue(
    session: Session,
    *,
    key: str,
    channel: str,
    target: str,
    payload: dict[str, Any],
    now: datetime,
    not_before: datetime | None = None,
) -> OutboxMessage | None:
    """Add a delivery, due at `not_before` (default now), unless one with this idempotency key exists already;
    returns the new row or None."""
    if session.scalars(select(OutboxMessage.id).where(OutboxMessage.idempotency_key == key)).first() is not None:
        return None
    msg = OutboxMessage(
        idempotency_key=key,
        channel=channel,
        target=target,
        payload=payload,
        status="pending",
        attempts=0,
        next_attempt_at=not_before or now,
        created_at=now,
    )
    session.add(msg)
    session.flush()
    return msg


def backoff(attempts: int, retry_after_s: float | None) -> timedelta:
    """30 s, 1, 2, 4 … minutes, capped at an hour; a transport's retry-after wins when longer."""
    wait = timedelta(seconds=min(30 * 2 ** max(attempts - 1, 0), 3600))
    return max(wait, timedelta(seconds=retry_after_s or 0))


def claim(
    session: Session, *, now: datetime, limit: int = 50, stale_after: timedelta = timedelta(minutes=5)
) -> list[OutboxMessage]:
    """Due rows, locked for this worker (SKIP LOCKED on PostgreSQL), marked 'sending'."""
    stmt = (
        select(OutboxMessage)
        .where(
            or_(
                OutboxMessage.status == "pending",
                (OutboxMessage.status == "sending") & (OutboxMessage.next_attempt_at <= now - stale_after),
            )
        )
        .where(OutboxMessage.next_attempt_at <= now)
        .order_by(OutboxMessage.next_attempt_at, OutboxMessage.id)
        .limit(limit)
    )
    if session.bind is not None and session.bind.dialect.name == "postgresql":
        stmt = stmt.with_for_update(skip_locked=True)
    rows = list(session.scalars(stmt))
    for m in rows:
        m.status, m.attempts, m.next_attempt_at = "sending", m.attempts + 1, now
    session.flush()
    return rows


def record(session: Session, *, message_id: int, result: Delivery, now: datetime) -> OutboxMessage:
    """Store a delivery's outcome: sent, failed for good, or pending again after a backoff."""
    m = session.get(OutboxMessage, message_id)
    assert m is not None
    if result.ok:
        m.status, m.sent_at, m.last_error = "sent", now, None
    elif result.permanent or m.attempts >= MAX_ATTEMPTS:
        m.status, m.last_error = "failed", result.detail
    else:
        m.status, m.last_error = "pending", result.detail
        m.next_attempt_at = now + backoff(m.attempts, result.retry_after_s)
    session.flush()
    return m


def deliver_due(
    scope: Callable[[], Any], send: Callable[[Session, OutboxMessage], Delivery], *, now: datetime, limit: int = 50
) -> list[tuple[int, bool]]:
    """Claim due rows in one transaction; then send each and record its outcome in a transaction of its own."""
    with scope() as s:
        ids = [m.id for m in claim(s, now=now, limit=limit)]
    done = []
    for mid in ids:
        with scope() as s:
            msg = s.get(OutboxMessage, mid)
            assert msg is not None
            result = send(s, msg)
            record(s, message_id=mid, result=result, now=now)
        done.append((mid, result.ok))
    return done
