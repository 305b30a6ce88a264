"""MTTA/MTTR by severity and month against hand-computed values."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy.engine import Engine

from services.auth import Actor
from services.db import session_scope
from services.incidents import metrics
from services.incidents.models import Incident
from services.postmortems.models import Postmortem

T0 = datetime(2026, 10, 5, 8, 0, tzinfo=UTC)
V = Actor("v", "viewer")


def _inc(s, sev: str, detected: datetime, ack_min: float | None, res_min: float | None, cls: str) -> None:  # type: ignore[no-untyped-def]
    s.add(
        Incident(
            title="t",
            service="mana",
            severity=sev,
            classification=cls,
            detected_at=detected,
            status="resolved" if res_min is not None else "acknowledged" if ack_min is not None else "new",
            acknowledged_at=None if ack_min is None else detected + timedelta(minutes=ack_min),
            resolved_at=None if res_min is None else detected + timedelta(minutes=res_min),
        )
    )


def test_mtta_mttr_by_month_and_severity(sqlite_engine: Engine) -> None:
    with session_scope() as s:
        _inc(s, "Sev1", T0, 4, 60, "critical")
        _inc(s, "Sev1", T0 + timedelta(days=3), 10, 120, "critical")
        _inc(s, "Sev1", T0 + timedelta(days=4), None, None, "unknown")  # not acknowledged: out of MTTA and MTTR
        _inc(s, "Sev3", T0 + timedelta(days=40), 30, None, "non-critical")
        s.flush()
        s.add(
            Postmortem(
                incident_id=1,
                status="published",
                action_items=[{"text": "a", "done": True}, {"text": "b"}],
                impact={"slos": [{"slo": "avail", "burned": 0.25}]},
            )
        )
    with session_scope() as s:
        f = metrics.incident_frame(s, actor=V)
        table = metrics.mtta_mttr(f).set_index(["month", "severity"])
        assert table.loc[("2026-10", "Sev1"), "incidents"] == 3
        assert table.loc[("2026-10", "Sev1"), "mtta_min"] == pytest.approx(7.0)  # (4 + 10) / 2
        assert table.loc[("2026-10", "Sev1"), "mttr_min"] == pytest.approx(90.0)  # (60 + 120) / 2
        assert table.loc[("2026-11", "Sev3"), "mtta_min"] == pytest.approx(30.0)
        assert table.loc[("2026-11", "Sev3"), "mttr_min"] != table.loc[("2026-11", "Sev3"), "mttr_min"]  # NaN
        cls = metrics.by_classification(f).set_index("classification")["incidents"].to_dict()
        assert cls == {"critical": 2, "non-critical": 1, "unknown": 1}
        ft = metrics.postmortem_follow_through(s, actor=V)
        assert (ft["published"], ft["in_progress"], ft["open_action_items"]) == (1, 0, 1)
        assert ft["budget_burned"] == [{"incident_id": 1, "slo": "avail", "burned": 0.25}]


def test_no_incidents(sqlite_engine: Engine) -> None:
    with session_scope() as s:
        f = metrics.incident_frame(s, actor=V)
        assert metrics.mtta_mttr(f).empty and f.empty
