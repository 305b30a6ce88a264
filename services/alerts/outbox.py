"""The notification outbox: rows written with the alert decision, delivered by the workers exactly once each.

A worker claims one row at a time: it marks it 'sending' under a lease of its own (its worker id, host:pid:uuid, and
`lease_until`), commits, sends, and records the outcome only if it still holds the lease (compare-and-set on the
worker id). No other worker takes a row whose lease runs; a worker killed mid-send leaves its row to be claimed once
its lease has run out, and retried with the same idempotency key, which the transports pass on for receivers.
"""

from __future__ import annotations

import logging
import os
import socket
import uuid
from collections.abc import Callable
from datetime import datetime, timedelta
from functools import cache
from typing import Any

from sqlalchemy.orm import Session

from services.alerts import repository as alert_repo
from services.alerts.models import OutboxMessage
from services.config import get_settings
from services.errors import Conflict
from services.notify.base import DeliveryResult
from services.redaction import redact_configured
from services.repository import get_or_raise

log = logging.getLogger("sre_backoffice.worker")
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


class LeaseLost(Conflict):
    """The row's lease ran out and another worker claimed it: this worker's outcome is not recorded."""


@cache
def _worker_id(pid: int) -> str:
    return f"{socket.gethostname()}:{pid}:{uuid.uuid4().hex[:12]}"


def worker_id() -> str:
    """This process's worker id, host:pid:uuid (a new one in a forked child)."""
    return _worker_id(os.getpid())


def claim(session: Session, *, worker: str, now: datetime, lease: timedelta) -> OutboxMessage | None:
    """The next due row (SKIP LOCKED on PostgreSQL), marked 'sending' under `worker`'s lease until now + lease."""
    m = alert_repo.claimable_message(session, now=now)
    if m is None:
        return None
    m.status, m.attempts, m.next_attempt_at = "sending", m.attempts + 1, now
    m.lease_owner, m.lease_until = worker, now + lease
    session.flush()
    return m


def record(session: Session, *, message_id: int, worker: str, result: DeliveryResult, now: datetime) -> OutboxMessage:
    """Store a delivery's outcome (sent, failed for good, or pending again after a backoff) if `worker` still holds
    the row's lease; raises LeaseLost otherwise, so the caller's transaction (an internal action's rows) rolls back."""
    m = _message(session, message_id)
    error = redact_configured(result.detail, get_settings())  # a last mask of every configured secret, before storing
    values: dict[str, Any]
    if result.ok:
        values = {"status": "sent", "sent_at": now, "last_error": None}
    elif result.permanent or m.attempts >= MAX_ATTEMPTS:
        values = {"status": "failed", "last_error": error}
    else:
        values = {"status": "pending", "last_error": error}
        values["next_attempt_at"] = now + backoff(m.attempts, result.retry_after_s)
    if not alert_repo.finish_message(session, message_id, owner=worker, values=values):
        raise LeaseLost(f"Outbox message {message_id}: the lease of {worker} ran out and another worker took it.")
    session.refresh(m)
    return m


def deliver_due(
    scope: Callable[[], Any],
    send: Callable[[Session, OutboxMessage], DeliveryResult],
    *,
    worker: str,
    lease: timedelta,
    clock: Callable[[], datetime],
    limit: int = 50,
) -> list[tuple[int, bool]]:
    """Deliver up to `limit` due rows, one at a time: claim it in one transaction, then send it and record its
    outcome in another. A row whose lease was lost meanwhile is left to the worker that holds it now."""
    done: list[tuple[int, bool]] = []
    for _ in range(limit):
        with scope() as s:
            claimed = claim(s, worker=worker, now=clock(), lease=lease)
            if claimed is None:
                break
            mid = claimed.id
        try:
            with scope() as s:
                result = send(s, _message(s, mid))
                record(s, message_id=mid, worker=worker, result=result, now=clock())
        except LeaseLost as exc:
            log.warning("%s", exc)
            continue
        done.append((mid, result.ok))
    return done


def _message(session: Session, message_id: int) -> OutboxMessage:
    return get_or_raise(session, OutboxMessage, message_id, missing=f"Outbox message {message_id} does not exist.")
