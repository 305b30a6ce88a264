"""Postmortems: created for Sev0–Sev2 on resolution, impact recomputed from raw rows, editing and publishing rules,
Markdown export."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import pandas as pd
import pytest
from sqlalchemy.engine import Engine

from services import incident_response
from services.auth import Actor
from services.db import session_scope
from services.errors import Conflict, InvalidInput, PermissionDenied
from services.incidents import service as incidents
from services.incidents.schemas import parse_incident_input
from services.postmortems import service as postmortems
from services.postmortems.impact import compute_impact
from services.slos.evaluation import SloDefinition
from services.telemetry.local import LocalTelemetrySource
from tests.telemetry_fixtures import AT, req, write

OPS = Actor("olli", "operator")
LEAD = Actor("lena", "lead")


def _resolved(sev: str) -> int:
    with session_scope() as s:
        iid = incidents.create_incident(
            s, actor=OPS, data=parse_incident_input({"title": "DOPA timeouts", "service": "mana", "severity": sev})
        ).id
        incident_response.transition(s, actor=OPS, incident_id=iid, to="resolved")
        return iid


def test_sev0_to_sev2_get_a_postmortem_when_resolved(sqlite_engine: Engine) -> None:
    sev2, sev3 = _resolved("Sev2"), _resolved("Sev3")
    with session_scope() as s:
        pm = postmortems.get_for_incident(s, actor=OPS, incident_id=sev2)
        assert pm is not None and pm.status == "draft"
        assert [t["text"] for t in pm.timeline] == [
            "olli: Opened as Sev2 by olli (manual).",
            "olli: Status new → resolved",
        ]
        assert postmortems.get_for_incident(s, actor=OPS, incident_id=sev3) is None
        on_demand = postmortems.ensure_postmortem(s, actor=OPS, incident_id=sev3)
        assert postmortems.ensure_postmortem(s, actor=OPS, incident_id=sev3).id == on_demand.id


def test_edit_review_publish(sqlite_engine: Engine) -> None:
    iid = _resolved("Sev1")
    with session_scope() as s:
        pm = postmortems.get_for_incident(s, actor=OPS, incident_id=iid)
        assert pm is not None
        pid, v = pm.id, pm.version
        postmortems.update_postmortem(
            s,
            actor=OPS,
            postmortem_id=pid,
            expected_version=v,
            fields={
                "five_whys": ["Verifications failed", "DOPA timed out", "No timeout budget", "", ""],
                "action_items": [{"text": "Add a circuit breaker", "owner": "olli"}],
            },
        )
    with session_scope() as s:
        with pytest.raises(Conflict, match="changed by olli meanwhile"):
            postmortems.update_postmortem(s, actor=OPS, postmortem_id=pid, expected_version=v, fields={"summary": "x"})
        with pytest.raises(InvalidInput, match="needs a text"):
            postmortems.update_postmortem(s, actor=OPS, postmortem_id=pid, fields={"action_items": [{"text": " "}]})
        postmortems.move_postmortem(s, actor=OPS, postmortem_id=pid, to="in_review")
        with pytest.raises(PermissionDenied, match="needs the lead role"):
            postmortems.move_postmortem(s, actor=OPS, postmortem_id=pid, to="published")
        with pytest.raises(InvalidInput, match="root cause"):
            postmortems.move_postmortem(s, actor=LEAD, postmortem_id=pid, to="published")
        postmortems.update_postmortem(s, actor=OPS, postmortem_id=pid, fields={"root_cause": "No timeout on DOPA"})
        pm = postmortems.move_postmortem(s, actor=LEAD, postmortem_id=pid, to="published")
        assert pm.published_at is not None
        with pytest.raises(Conflict, match="published and read-only"):
            postmortems.update_postmortem(s, actor=LEAD, postmortem_id=pid, fields={"summary": "x"})
        md = postmortems.to_markdown(pm, incidents.get_incident(s, actor=OPS, incident_id=iid).as_dict())
    assert md.startswith("# Postmortem: DOPA timeouts\n")
    assert "## Root cause\n\nNo timeout on DOPA\n" in md
    assert "1. Verifications failed\n2. DOPA timed out\n3. No timeout budget\n\n" in md
    assert "- [ ] Add a circuit breaker — olli" in md
    assert "*Blameless:" in md


def test_impact_equals_an_independent_computation(tmp_path: Path) -> None:
    rows = [
        req(
            m,
            ok=m % 4 != 0,
            ms=500.0 if m % 3 == 0 else 50.0,
            UserId=f"u{m % 7}",
            Properties=f'{{"account": "a{m % 5}"}}',
        )
        for m in range(0, 24 * 60 * 2, 2)
    ]
    write(tmp_path / "t", "AppRequests", rows)
    src = LocalTelemetrySource(tmp_path / "t")
    slos = [
        SloDefinition(1, "avail", "mana", None, "availability", 99.0, None, 30),
        SloDefinition(2, "lat", "mana", None, "latency", 99.0, 300.0, 30),
    ]
    start, end = AT - timedelta(hours=3), AT - timedelta(hours=1)
    imp = compute_impact(src, actor=OPS, service="mana", start=start, end=end, slos=slos)
    df = pd.DataFrame(rows)
    win = df[(df.TimeGenerated > start) & (df.TimeGenerated <= end)]
    failed = win[~win.Success]
    assert (imp["requests"], imp["failed"]) == (len(win), len(failed))
    assert imp["users"] == failed.UserId.nunique() and imp["accounts"] == failed.Properties.nunique()
    upto = df[df.TimeGenerated <= end]  # the 30-day SLO window ending at `end` holds every earlier row here
    avail, lat = imp["slos"]
    assert avail["bad"] == len(failed) and avail["burned"] == pytest.approx(len(failed) / (0.01 * len(upto)))
    slow = (win.DurationMs >= 300).sum()
    assert lat["bad"] == slow and lat["burned"] == pytest.approx(slow / (0.01 * len(upto)))


def test_telemetry_markers(tmp_path: Path) -> None:
    from services.postmortems.impact import telemetry_markers

    rows = [req(m, ok=not (20 <= m <= 30), version="1.0" if m > 40 else "1.1") for m in range(0, 120)]
    rows += [req(25.5, ok=False), req(25.2, ok=False)]
    write(tmp_path / "t", "AppRequests", rows)
    src = LocalTelemetrySource(tmp_path / "t")
    marks = telemetry_markers(src, actor=OPS, service="mana", start=AT - timedelta(minutes=60), end=AT)
    # 1.1 first served 40 minutes ago; failures from 30 to 20 minutes ago; three of them in the minute 26–25 ago
    assert [m["text"] for m in marks] == [
        "Telemetry: release 1.1 first served requests",
        "Telemetry: first failed requests (1 in that minute)",
        "Telemetry: failures peaked at 3 of 3 requests in one minute",
    ]
    assert marks[0]["at"] == (AT - timedelta(minutes=40)).isoformat()
    assert marks[1]["at"] == (AT - timedelta(minutes=30)).isoformat()
    assert marks[2]["at"] == (AT - timedelta(minutes=26)).isoformat()
