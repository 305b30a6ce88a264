"""The notification outbox: rows written with the alert decision, delivered by the worker at most once each.

A row is claimed (status 'sending', attempts + 1) and committed before the transport is called, so two workers
never send the same row; a row left 'sending' by a crash after the transport answered is not sent again blindly:
it waits `stale_after` and is then retried with its idempotency key, which the transports pass on for receivers.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy.orm import Session

from services.alerts import repository as alert_repo
from services.alerts.models import OutboxMessage
from services.notify.base import DeliveryResult
from services.repository import get_or_raise

MAX_ATTEMPTS = 8


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
    if alert_repo.message_exists(session, key):
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
    alert_repo.add(session, msg)
    return msg


def backoff(attempts: int, retry_after_s: float | None) -> timedelta:
    """30 s, 1, 2, 4 … minutes, capped at an hour; a transport's retry-after wins when longer."""
    wait = timedelta(seconds=min(30 * 2 ** max(attempts - 1, 0), 3600))
    return max(wait, timedelta(seconds=retry_after_s or 0))


def claim(
    session: Session, *, now: datetime, limit: int = 50, stale_after: timedelta = timedelta(minutes=5)
) -> list[OutboxMessage]:
    """Due rows, locked for this worker (SKIP LOCKED on PostgreSQL), marked 'sending'."""
    rows = alert_repo.claimable_messages(session, now=now, limit=limit, stale_after=stale_after)
    for m in rows:
        m.status, m.attempts, m.next_attempt_at = "sending", m.attempts + 1, now
    session.flush()
    return rows


def record(session: Session, *, message_id: int, result: DeliveryResult, now: datetime) -> OutboxMessage:
    """Store a delivery's outcome: sent, failed for good, or pending again after a backoff."""
    m = _message(session, message_id)
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
    scope: Callable[[], Any],
    send: Callable[[Session, OutboxMessage], DeliveryResult],
    *,
    now: datetime,
    limit: int = 50,
) -> list[tuple[int, bool]]:
    """Claim due rows in one transaction; then send each and record its outcome in a transaction of its own."""
    with scope() as s:
        ids = [m.id for m in claim(s, now=now, limit=limit)]
    done = []
    for mid in ids:
        with scope() as s:
            msg = _message(s, mid)
            result = send(s, msg)
            record(s, message_id=mid, result=result, now=now)
        done.append((mid, result.ok))
    return done


def _message(session: Session, message_id: int) -> OutboxMessage:
    return get_or_raise(session, OutboxMessage, message_id, missing=f"Outbox message {message_id} does not exist.")
