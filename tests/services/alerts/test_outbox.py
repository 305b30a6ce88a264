"""The outbox: one row per idempotency key; a row is claimed one at a time under a worker's lease, no other worker
takes it while the lease runs, a killed worker's row is retried once after it, and a worker that lost its lease
cannot overwrite the outcome of the worker that took the row over."""

from __future__ import annotations

from datetime import timedelta
from urllib.parse import quote

import pytest
from sqlalchemy import select, text
from sqlalchemy.engine import Engine

from services.alerts import outbox
from services.alerts.models import OutboxMessage
from services.config import get_settings
from services.db import session_scope
from services.notify.base import DeliveryResult
from tests.telemetry_fixtures import AT

LEASE = timedelta(minutes=1)
A, B = "host-a:101:aaaa", "host-b:202:bbbb"


def _enqueue(engine: Engine, *keys: str) -> None:
    with session_scope(engine) as s:
        for key in keys:
            outbox.enqueue(s, key=key, channel="email", target="ops@mana.example", payload={"subject": key}, now=AT)


def _claim(engine: Engine, worker: str, at: timedelta = timedelta(0)) -> str | None:
    with session_scope(engine) as s:
        m = outbox.claim(s, worker=worker, now=AT + at, lease=LEASE)
        return None if m is None else m.idempotency_key


def test_one_row_per_idempotency_key(engine: Engine) -> None:
    _enqueue(engine, "alert-1-fired", "alert-1-fired", "alert-2-fired")
    assert [_claim(engine, A), _claim(engine, A), _claim(engine, A)] == ["alert-1-fired", "alert-2-fired", None]


def test_two_workers_on_postgresql_never_claim_the_same_row(pg_engine: Engine) -> None:
    _enqueue(pg_engine, "a", "b")
    with session_scope(pg_engine) as first:
        assert outbox.claim(first, worker=A, now=AT, lease=LEASE).idempotency_key == "a"  # type: ignore[union-attr]
        with session_scope(pg_engine) as second:  # before the first commits: its row is locked, and skipped
            second.execute(text("SET LOCAL lock_timeout = '2s'"))  # waiting on it instead fails, not hangs
            assert outbox.claim(second, worker=B, now=AT, lease=LEASE).idempotency_key == "b"  # type: ignore[union-attr]


def test_a_row_being_sent_is_not_claimed_again_while_its_lease_runs(engine: Engine) -> None:
    """The duplicate found on main: a worker still sending its batch after 5 minutes saw its rows claimed again."""
    _enqueue(engine, "a")
    with session_scope(engine) as s:
        outbox.claim(s, worker=A, now=AT, lease=timedelta(minutes=10))
    assert _claim(engine, B, timedelta(minutes=5)) is None
    assert _claim(engine, B, timedelta(minutes=9, seconds=59)) is None


def test_a_killed_workers_row_is_retried_once_after_its_lease_with_the_same_key(engine: Engine) -> None:
    _enqueue(engine, "a")
    assert _claim(engine, A) == "a"  # worker A is killed while sending
    assert _claim(engine, B, LEASE - timedelta(seconds=1)) is None  # it may still be sending
    assert _claim(engine, B, LEASE) == "a"  # the lease ran out: B retries it, with the same key
    assert _claim(engine, A, LEASE) is None  # and nobody else gets it too
    with session_scope(engine) as s:
        (m,) = s.scalars(select(OutboxMessage)).all()
        assert (m.status, m.attempts, m.lease_owner, m.lease_until) == ("sending", 2, B, AT + 2 * LEASE)
        outbox.record(s, message_id=m.id, worker=B, result=DeliveryResult(False, "421 try later"), now=AT + LEASE)
        # the second attempt failed: 30 s × 2 ** (2 - 1) = 1 minute
        assert (m.status, m.next_attempt_at) == ("pending", AT + LEASE + timedelta(minutes=1))


def test_a_worker_that_lost_its_lease_cannot_overwrite_the_outcome(engine: Engine) -> None:
    _enqueue(engine, "a")
    _claim(engine, A)
    _claim(engine, B, LEASE)  # A outlived its lease; B took the row over and is sending it
    with session_scope(engine) as s:
        (m,) = s.scalars(select(OutboxMessage)).all()
        with pytest.raises(outbox.LeaseLost, match="another worker took it"):
            outbox.record(s, message_id=m.id, worker=A, result=DeliveryResult(False, "550", permanent=True), now=AT)
    with session_scope(engine) as s:
        (m,) = s.scalars(select(OutboxMessage)).all()
        assert (m.status, m.lease_owner, m.last_error) == ("sending", B, None)
        outbox.record(s, message_id=m.id, worker=B, result=DeliveryResult(True, "250 ok"), now=AT + LEASE)
        assert (m.status, m.sent_at) == ("sent", AT + LEASE)


def test_no_configured_secret_is_stored_in_any_spelling(engine: Engine, monkeypatch: pytest.MonkeyPatch) -> None:
    """Whatever a notifier reports, the outbox stores it only after every configured secret is masked."""
    token = "123456789:AAHdqTcvCH1vGWJxfSeofSAs0K5PALDsawDONOTLEAK"
    monkeypatch.setenv("SRE_TELEGRAM_BOT_TOKEN", token)
    get_settings.cache_clear()
    _enqueue(engine, "a")
    _claim(engine, A)
    said = f"400 for /bot{quote(token, safe='').lower()}/sendMessage; cut: {token[:15]}…"
    with session_scope(engine) as s:
        (m,) = s.scalars(select(OutboxMessage)).all()
        outbox.record(s, message_id=m.id, worker=A, result=DeliveryResult(False, said), now=AT)
    with session_scope(engine) as s:
        (m,) = s.scalars(select(OutboxMessage)).all()
        assert m.last_error == "400 for /bot***/sendMessage; cut: ***…"
