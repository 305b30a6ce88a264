"""`demo seed` puts an incident for each injected incident in the triage queue, once, with a matching runbook."""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy.engine import Engine

from services.auth import Actor
from services.db import session_scope
from services.demo.incidents import incident_windows
from services.demo.seed_incidents import seed_demo_incidents
from services.incidents import runbooks
from services.incidents import service as incidents

END = datetime(2026, 11, 1, 12, tzinfo=UTC)
ADMIN = Actor("admin", "admin")


def test_demo_incidents_match_the_injected_windows_and_their_runbooks(sqlite_engine: Engine) -> None:
    with session_scope() as s:
        assert seed_demo_incidents(s, actor=ADMIN, end=END, days=30, service="mana") == 3
        assert seed_demo_incidents(s, actor=ADMIN, end=END, days=30, service="mana") == 0
    with session_scope() as s:
        opened = incidents.list_incidents(s, actor=ADMIN)
        windows = {w.start for w in incident_windows(END, 30)}
        assert {i.detected_at for i in opened} == windows
        keys = {i.title: runbooks.runbook_for(s, actor=ADMIN, incident_id=i.id).key for i in opened}  # type: ignore[union-attr]
        assert keys == {
            "GET /api/shops p95 tripled after release 2026.11.4": "latency-regression",
            "DOPA identity verification timing out": "dopa-timeouts",
            "Login brute force against one account": "login-brute-force",
        }
