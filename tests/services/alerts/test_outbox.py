"""The outbox: one row per idempotency key, two workers never claim the same row, a crashed send is retried."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import text
from sqlalchemy.engine import Engine

from services.alerts import outbox
from services.db import session_scope
from services.notify.base import DeliveryResult
from tests.telemetry_fixtures import AT


def _enqueue(engine: Engine, *keys: str) -> None:
    with session_scope(engine) as s:
        for key in keys:
            outbox.enqueue(s, key=key, channel="email", target="ops@mana.example", payload={"subject": key}, now=AT)


def test_one_row_per_idempotency_key(engine: Engine) -> None:
    _enqueue(engine, "alert-1-fired", "alert-1-fired", "alert-2-fired")
    with session_scope(engine) as s:
        assert sorted(m.idempotency_key for m in outbox.claim(s, now=AT)) == ["alert-1-fired", "alert-2-fired"]


def test_two_workers_on_postgresql_never_claim_the_same_row(pg_engine: Engine) -> None:
    _enqueue(pg_engine, "a", "b", "c")
    with session_scope(pg_engine) as first:
        assert [m.idempotency_key for m in outbox.claim(first, now=AT, limit=2)] == ["a", "b"]
        with session_scope(pg_engine) as second:  # before the first commits: its rows are locked, and skipped
            second.execute(text("SET LOCAL lock_timeout = '2s'"))  # waiting on them instead fails, not hangs
            assert [m.idempotency_key for m in outbox.claim(second, now=AT)] == ["c"]


def test_a_row_left_sending_is_retried_once_stale_then_backs_off(engine: Engine) -> None:
    _enqueue(engine, "a")
    with session_scope(engine) as s:
        outbox.claim(s, now=AT)  # the worker dies before recording the outcome
    with session_scope(engine) as s:
        assert outbox.claim(s, now=AT + timedelta(minutes=4)) == []  # it may still be sending
        (m,) = outbox.claim(s, now=AT + timedelta(minutes=5))
        assert (m.status, m.attempts) == ("sending", 2)
        outbox.record(s, message_id=m.id, result=DeliveryResult(False, "421 try later"), now=AT + timedelta(minutes=5))
        # the second attempt failed: 30 s × 2 ** (2 - 1) = 1 minute
        assert (m.status, m.next_attempt_at) == ("pending", AT + timedelta(minutes=6))
