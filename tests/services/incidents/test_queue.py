"""The triage queue's order, filters and acknowledge clocks; severity definitions edited by leads only."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy.engine import Engine

from services.auth import Actor
from services.db import session_scope
from services.errors import InvalidInput, PermissionDenied
from services.incidents import service as incidents
from services.incidents.queue import triage_queue
from services.incidents.schemas import parse_incident_input
from services.incidents.severities import definitions, update_definition

OPS = Actor("olli", "operator")
LEAD = Actor("lena", "lead")
NOW = datetime(2026, 11, 1, 12, 0, tzinfo=UTC)


def _open(s, title: str, sev: str, minutes_ago: int, service: str = "mana") -> int:  # type: ignore[no-untyped-def]
    data = parse_incident_input(
        {"title": title, "service": service, "severity": sev, "detected_at": NOW - timedelta(minutes=minutes_ago)}
    )
    return incidents.create_incident(s, actor=OPS, data=data).id


def test_queue_order_filters_and_clocks(sqlite_engine: Engine) -> None:
    with session_scope() as s:
        a = _open(s, "DOPA timeouts", "Sev2", 90)
        b = _open(s, "Login brute force", "Sev1", 10)
        c = _open(s, "Typo on receipt", "Sev4", 600, service="mana-worker")
        done = _open(s, "Old one", "Sev1", 900)
        incidents.transition(s, actor=OPS, incident_id=done, to="resolved", reason="fixed itself")
    with session_scope() as s:
        q = triage_queue(s, actor=Actor("v", "viewer"), now=NOW)
        assert [i.incident["id"] for i in q] == [b, a, c]  # Sev1, Sev2, Sev4; the resolved one is gone
        sev1, sev2, sev4 = q
        assert sev1.age == timedelta(minutes=10) and sev1.clock.remaining == timedelta(minutes=20)
        assert sev2.clock.breached and sev2.clock.remaining == timedelta(minutes=-30)  # 60-minute target
        assert not sev4.clock.breached  # 600 of 1440 minutes
        assert [i.incident["id"] for i in triage_queue(s, actor=OPS, now=NOW, services=["mana-worker"])] == [c]
        assert [i.incident["id"] for i in triage_queue(s, actor=OPS, now=NOW, severities=["Sev2"])] == [a]


def test_the_clock_stops_at_acknowledgement(sqlite_engine: Engine) -> None:
    now = datetime.now(UTC)
    with session_scope() as s:
        data = parse_incident_input(
            {"title": "t", "service": "mana", "severity": "Sev2", "detected_at": now - timedelta(minutes=5)}
        )
        iid = incidents.create_incident(s, actor=OPS, data=data).id
        incidents.acknowledge(s, actor=OPS, incident_id=iid)
    with session_scope() as s:
        (item,) = triage_queue(s, actor=OPS, now=now + timedelta(hours=5))
        assert item.clock.waited < timedelta(minutes=6) and item.age > timedelta(hours=5)
        assert item.clock.acknowledged and not item.clock.breached


def test_severity_definitions_are_edited_by_leads(sqlite_engine: Engine) -> None:
    with session_scope() as s:
        defs = definitions(s, actor=OPS)
        assert defs["Sev0"].ack_target_minutes == 15 and "Critical" in defs["Sev1"].scope
        with pytest.raises(PermissionDenied, match="needs the lead role"):
            update_definition(s, actor=OPS, severity="Sev3", scope="x", ack_target_minutes=10)
        with pytest.raises(InvalidInput, match="between 1 minute and 7 days"):
            update_definition(s, actor=LEAD, severity="Sev3", scope="Minor", ack_target_minutes=0)
        update_definition(s, actor=LEAD, severity="Sev3", scope="Minor, with a workaround", ack_target_minutes=120)
    with session_scope() as s:
        assert definitions(s, actor=OPS)["Sev3"].ack_target_minutes == 120
