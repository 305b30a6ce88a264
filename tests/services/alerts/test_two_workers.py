"""Two `sre-backoffice worker` processes on one PostgreSQL database against a slow webhook receiver, one of them
killed with SIGKILL in the middle of a send and started again: every notification is received exactly once, by its
Idempotency-Key, except the one in flight at the kill, which is received twice with the same key (once from the
killed worker, whose answer never got recorded, and once more after its lease expired); none is lost."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections import Counter
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import select
from sqlalchemy.engine import Engine

from services.alerts import outbox
from services.alerts import service as alert_service
from services.alerts.models import OutboxMessage
from services.auth import Actor
from services.db import session_scope
from tests.services.alerts.slow_receiver import slow_receiver
from tests.services.alerts.test_service import RULE
from tests.services.notify.conftest import free_port
from tests.telemetry_fixtures import write

pytestmark = [pytest.mark.postgres, pytest.mark.heavy]

ROOT = Path(__file__).resolve().parents[3]
LEAD = Actor("lena", "lead")
# longer than one delivery takes on a loaded machine (the suite runs on two workers): a live worker's lease must
# not run out mid-send, or a second copy is an expired lease, not the kill this test is about
LEASE_S = 15.0
NOTIFICATIONS = 24
RULES = 2
START_S = 90  # a ceiling, not the usual time: a worker on a loaded machine takes a while to import and start


def _worker(pg_url: str, telemetry: Path, log: Path) -> subprocess.Popen[bytes]:
    env = {
        **os.environ,
        "PYTHONPATH": str(ROOT),
        "SRE_DATABASE_URL": pg_url,
        "SRE_TELEMETRY_DIR": str(telemetry),
        "SRE_WORKER_INTERVAL_S": "0.2",
        "SRE_WORKER_LEASE_S": str(LEASE_S),
        "SRE_NOTIFY_TIMEOUT_S": "0.9",
        "SRE_BOARD_TIMEOUT_S": "0.9",
        "SRE_WEBHOOK_PORT": str(free_port()),
        "SRE_API_PORT": str(free_port()),
    }
    with log.open("ab") as out:
        command = [sys.executable, "-m", "services.cli", "worker"]
        return subprocess.Popen(command, cwd=ROOT, env=env, stdout=out, stderr=out)


def _setup(engine: Engine, telemetry: Path, url: str) -> set[str]:
    """Notifications already due, and rules due now that fire (8 failed logins for somchai in the last minutes)."""
    now = datetime.now(UTC)
    login = {"Name": "LoginFailed", "Properties": '{"account": "somchai"}', "ItemCount": 1}
    write(telemetry, "AppEvents", [{**login, "TimeGenerated": now - timedelta(minutes=m)} for m in range(1, 9)])
    keys = {f"outbox-{i}" for i in range(NOTIFICATIONS)}
    payload = {"subject": "[Sev3] FIRED: checkout", "text": "checkout failing", "severity": "Sev3", "state": "fired"}
    with session_scope(engine) as s:
        for key in sorted(keys):
            outbox.enqueue(s, key=key, channel="webhook", target=url, payload=payload, now=now)
        for i in range(RULES):
            action = {"channel": "webhook", "target": url, "on": "fired"}
            alert_service.create_rule(s, actor=LEAD, data={**RULE, "name": f"failed logins {i}", "actions": [action]})
    return keys


def _rows(engine: Engine) -> list[tuple[str, str, str | None]]:
    with session_scope(engine) as s:
        return [(m.idempotency_key, m.status, m.lease_owner) for m in s.scalars(select(OutboxMessage))]


def _in_flight(engine: Engine, pid: int, answered: set[str], received: list[str]) -> str | None:
    """The key worker `pid` holds while the receiver has the request and has not answered yet."""
    with session_scope(engine) as s:
        stmt = select(OutboxMessage.idempotency_key).where(
            OutboxMessage.status == "sending", OutboxMessage.lease_owner.like(f"%:{pid}:%")
        )
        held = list(s.scalars(stmt))
    return next((k for k in held if k in received and k not in answered), None)


def test_two_workers_and_a_kill_deliver_every_notification_once(pg_engine: Engine, pg_url: str, tmp_path: Path) -> None:
    log = tmp_path / "workers.log"
    with slow_receiver(delay_s=0.3) as (url, received):
        keys = _setup(pg_engine, tmp_path / "telemetry", url)
        first, second = _worker(pg_url, tmp_path / "telemetry", log), _worker(pg_url, tmp_path / "telemetry", log)
        restarted = None
        try:
            deadline = time.monotonic() + START_S
            while (killed_key := _in_flight(pg_engine, first.pid, received.answered, received.keys())) is None:
                assert time.monotonic() < deadline, f"nothing sent: {_rows(pg_engine)}\n{log.read_text()}"
                time.sleep(0.02)
            first.send_signal(signal.SIGKILL)
            first.wait(timeout=10)
            killed_at = received.arrivals(killed_key)[0]
            restarted = _worker(pg_url, tmp_path / "telemetry", log)
            deadline = time.monotonic() + START_S
            while True:
                with session_scope(pg_engine) as s:
                    rows = list(s.scalars(select(OutboxMessage)))
                if len(rows) == NOTIFICATIONS + RULES and all(m.status == "sent" for m in rows):
                    break
                assert time.monotonic() < deadline, f"not delivered: {[m.status for m in rows]}\n{log.read_text()}"
                time.sleep(0.1)
        finally:
            for proc in (first, second, restarted):
                if proc is not None and proc.poll() is None:
                    proc.terminate()
            for proc in (first, second, restarted):
                if proc is not None and proc.poll() is None:
                    try:
                        proc.wait(timeout=30)
                    except subprocess.TimeoutExpired:
                        proc.kill()
                        proc.wait()
    counts = Counter(received.keys())
    alert_keys = {k for k in counts if k.startswith("alert-")}
    # each rule fired once, evaluated by one of the two workers: one notification per rule, not one per worker
    assert len(alert_keys) == RULES
    assert set(counts) == keys | alert_keys  # none lost, none made up
    assert {k: n for k, n in counts.items() if n != 1} == {killed_key: 2}
    retried_at = received.arrivals(killed_key)[1]
    assert retried_at >= killed_at + LEASE_S - 0.5  # not before the killed worker's lease ran out
    attempts = {m.idempotency_key: m.attempts for m in rows}
    assert attempts.pop(killed_key) == 2 and set(attempts.values()) == {1}
