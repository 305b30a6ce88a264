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
from services.postmortems.impact import Signature, compute_impact
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
        incident_response.transition(s, actor=OPS, incident_id=iid, to="resolved", reason="DOPA answers again")
        return iid


def test_sev0_to_sev2_get_a_postmortem_when_resolved(sqlite_engine: Engine) -> None:
    sev2, sev3 = _resolved("Sev2"), _resolved("Sev3")
    with session_scope() as s:
        pm = postmortems.get_for_incident(s, actor=OPS, incident_id=sev2)
        assert pm is not None and pm.status == "draft"
        assert [t["text"] for t in pm.timeline] == [
            "olli: Opened as Sev2 by olli (manual).",
            "olli: Status new → resolved",
            "olli: Resolved without mitigating (from new). Reason: DOPA answers again",
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
    mine, whole = imp["incident"], imp["service_wide"]
    assert imp["signature"] == {} and mine == whole  # no signature: the incident's figures are the service's
    assert (whole["requests"], whole["failed"]) == (len(win), len(failed))
    assert whole["users"] == failed.UserId.nunique() and whole["accounts"] == failed.Properties.nunique()
    upto = df[df.TimeGenerated <= end]  # the 30-day SLO window ending at `end` holds every earlier row here
    avail, lat = imp["slos"]
    assert avail["bad"] == len(failed) and avail["burned"] == pytest.approx(len(failed) / (0.01 * len(upto)))
    slow = (win.DurationMs >= 300).sum()
    assert lat["bad"] == slow and lat["burned"] == pytest.approx(slow / (0.01 * len(upto)))


def _signature_store(root: Path) -> LocalTelemetrySource:
    """In the last hour: DOPA verifications, three of them failing on DOPA (two 504s and one 500 with a
    TimeoutException), two 401 logins, two 404 shops, one 500 shop, and successes of each operation."""
    dopa, login, shop = "POST /api/identity/dopa-verify", "POST /api/auth/login", "GET /api/shops/{id}"
    rows = [
        req(5, name=dopa, ok=False, code="504", op="d1", ms=30_000.0, UserId="u1"),
        req(6, name=dopa, ok=False, code="504", op="d2", ms=30_000.0, UserId="u2"),
        req(7, name=dopa, ok=False, code="500", op="d3", ms=250.0, UserId="u3"),
        req(8, name=dopa, op="d4", UserId="u4"),
        req(9, name=login, ok=False, code="401", op="l1", UserId="u5"),
        req(10, name=login, ok=False, code="401", op="l2", UserId="u5"),
        req(11, name=shop, ok=False, code="404", op="s1", UserId="u6"),
        req(12, name=shop, ok=False, code="404", op="s2", UserId="u7"),
        req(13, name=shop, ok=False, code="500", op="s3", UserId="u8"),
        req(14, name=shop, op="s4", ms=400.0),
        req(90, name=dopa, ok=False, code="504", op="old"),  # before the window
    ]
    deps = [
        {
            "TimeGenerated": AT - timedelta(minutes=m),
            "AppRoleName": "mana",
            "Target": "api.dopa.go.th",
            "Name": "POST",
            "DependencyType": "HTTP",
            "Success": False,
            "ResultCode": "Timeout",
            "DurationMs": 30_000.0,
            "ItemCount": 1,
            "OperationId": op,
        }
        for m, op in ((5, "d1"), (6, "d2"), (90, "old"))
    ]
    exceptions = [
        {
            "TimeGenerated": AT - timedelta(minutes=7),
            "AppRoleName": "mana",
            "ExceptionType": "System.TimeoutException",
            "OperationName": dopa,
            "OperationId": "d3",
            "ItemCount": 1,
            "HandledAt": "Unhandled",
        },
        {
            "TimeGenerated": AT - timedelta(minutes=13),
            "AppRoleName": "mana",
            "ExceptionType": "System.IO.IOException",
            "OperationName": shop,
            "OperationId": "s3",
            "ItemCount": 1,
            "HandledAt": "Unhandled",
        },
    ]
    write(root, "AppRequests", rows)
    write(root, "AppDependencies", deps)
    write(root, "AppExceptions", exceptions)
    return LocalTelemetrySource(root)


def test_impact_counts_the_incidents_signature_beside_the_whole_service(tmp_path: Path) -> None:
    src = _signature_store(tmp_path / "t")
    slos = [SloDefinition(1, "avail", "mana", None, "availability", 99.0, None, 30)]
    window = {"service": "mana", "start": AT - timedelta(hours=1), "end": AT, "slos": slos}
    dopa = Signature(result_code="504", dependency="api.dopa.go.th", exception_type="System.TimeoutException")
    imp = compute_impact(src, actor=OPS, signature=dopa, **window)
    # the window holds 10 requests, 8 failed (3 DOPA, 2 logins with 401, 2 shops with 404, 1 shop 500), 3 slow
    # (the two DOPA timeouts and a 400 ms shop); 7 users saw a failure (u5 twice)
    assert imp["service_wide"] == {"requests": 10, "failed": 8, "slow": 3, "users": 7, "accounts": 0}
    # DOPA's: d1 and d2 (504 and a failed DOPA call) and d3 (a 500 whose operation threw the TimeoutException);
    # the 401s, 404s and the shop's 500 (another exception type) are not the incident's
    assert imp["incident"] == {"requests": 10, "failed": 3, "slow": 2, "users": 3, "accounts": 0}
    assert imp["signature"] == {
        "result_code": "504",
        "dependency": "api.dopa.go.th",
        "exception_type": "System.TimeoutException",
    }
    [avail] = imp["slos"]
    # allowed bad = 1 % of the 11 requests of the 30-day SLO window ending at AT
    assert (avail["bad"], avail["service_bad"]) == (3, 8)
    assert avail["burned"] == pytest.approx(3 / 0.11) and avail["service_burned"] == pytest.approx(8 / 0.11)

    logins = compute_impact(src, actor=OPS, signature=Signature("POST /api/auth/login", "401"), **window)
    assert logins["incident"] == {"requests": 2, "failed": 2, "slow": 0, "users": 1, "accounts": 0}
    shops = compute_impact(src, actor=OPS, signature=Signature(operation="GET /api/shops/{id}"), **window)
    # an operation with no marks: every failed request of it (404s included), and its slow one
    assert shops["incident"] == {"requests": 4, "failed": 3, "slow": 1, "users": 3, "accounts": 0}


def test_record_impact_uses_the_incidents_signature_and_an_adjusted_window(
    sqlite_engine: Engine, isolated_settings: Path
) -> None:
    src = _signature_store(isolated_settings / "telemetry")
    data = parse_incident_input(
        {
            "title": "DOPA timeouts",
            "service": "mana",
            "severity": "Sev1",
            "dependency": "api.dopa.go.th",
            "detected_at": AT - timedelta(minutes=30),
        }
    )
    with session_scope() as s:
        iid = incidents.create_incident(s, actor=OPS, data=data).id
        pid = postmortems.ensure_postmortem(s, actor=OPS, incident_id=iid).id
        with pytest.raises(InvalidInput, match="ends .* before it starts"):
            postmortems.record_impact(s, actor=OPS, postmortem_id=pid, source=src, start=AT, end=AT - timedelta(1))
        pm = postmortems.record_impact(s, actor=OPS, postmortem_id=pid, source=src, end=AT)
        assert pm.impact["window_start"] == (AT - timedelta(minutes=30)).isoformat()  # detected → the given end
        assert (pm.impact["incident"]["failed"], pm.impact["service_wide"]["failed"]) == (2, 8)  # d1, d2
        pm = postmortems.record_impact(
            s, actor=OPS, postmortem_id=pid, source=src, start=AT - timedelta(minutes=5, seconds=30), end=AT
        )
        assert (pm.impact["incident"]["failed"], pm.impact["service_wide"]["failed"]) == (1, 1)  # d1 alone
        md = postmortems.to_markdown(pm, incidents.get_incident(s, actor=OPS, incident_id=iid).as_dict())
    assert "- Signature: dependency api.dopa.go.th\n" in md
    assert "- Failed requests with the signature: 1 (the whole service: 1 of 1 requests)" in md


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
