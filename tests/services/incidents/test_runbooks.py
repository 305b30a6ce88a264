"""Runbooks: signature matching, versions, ticking steps into the timeline."""

from __future__ import annotations

import pytest
from sqlalchemy.engine import Engine

from services import audit
from services.auth import Actor
from services.db import session_scope
from services.errors import InvalidInput, PermissionDenied
from services.incidents import runbooks
from services.incidents import service as incidents
from services.incidents.schemas import parse_incident_input

LEAD = Actor("lena", "lead")
OPS = Actor("olli", "operator")


def _incident(s, **sig: str) -> int:  # type: ignore[no-untyped-def]
    data = parse_incident_input({"title": "t", "service": "mana", "severity": "Sev2", **sig})
    return incidents.create_incident(s, actor=OPS, data=data).id


def test_the_most_specific_matching_runbook_wins(engine: Engine) -> None:
    with session_scope(engine) as s:
        assert runbooks.seed_demo_runbooks(s, actor=LEAD) == 3
        assert runbooks.seed_demo_runbooks(s, actor=LEAD) == 0
        runbooks.save_runbook(
            s, actor=LEAD, key="mana-generic", title="Anything on mana", steps=["Look"], signature={"service": "mana"}
        )
        rbs = runbooks.latest(s)
        pick = lambda **sig: getattr(runbooks.match({"service": "mana", **sig}, rbs), "key", None)  # noqa: E731
        assert pick(dependency="api.dopa.go.th", exception_type="System.TimeoutException") == "dopa-timeouts"
        assert pick(operation="POST /api/auth/login", result_code="401") == "login-brute-force"
        assert pick(operation="POST /api/auth/login", result_code="500") == "mana-generic"
        assert runbooks.match({"service": "other"}, rbs) is None


def test_a_new_version_keeps_the_old_one_for_incidents_that_used_it(engine: Engine) -> None:
    with session_scope(engine) as s:
        runbooks.seed_demo_runbooks(s, actor=LEAD)
        iid = _incident(s, dependency="api.dopa.go.th")
        view = runbooks.runbook_for(s, actor=OPS, incident_id=iid)
        assert view is not None and (view.key, view.version, view.done) == ("dopa-timeouts", 1, [False] * 6)
        runbooks.tick_step(s, actor=OPS, incident_id=iid, runbook_id=view.id, step=1)
        runbooks.save_runbook(
            s,
            actor=LEAD,
            key="dopa-timeouts",
            title="DOPA v2",
            steps=["Only step"],
            signature={"service": "mana", "dependency": "api.dopa.go.th"},
        )
        again = runbooks.runbook_for(s, actor=OPS, incident_id=iid)
        assert again is not None and again.version == 1 and again.done == [False, True, False, False, False, False]
        fresh = runbooks.runbook_for(s, actor=OPS, incident_id=_incident(s, dependency="api.dopa.go.th"))
        assert fresh is not None and (fresh.version, fresh.steps) == (2, ["Only step"])
        events = incidents.timeline(s, actor=OPS, incident_id=iid)
        assert events[-1].kind == "runbook_step"
        assert events[-1].message == (
            "Done: step 2 of DOPA identity verification timing out (v1): Confirm the circuit breaker is open "
            "(trace 'Circuit breaker opened' at severity 4)"
        )


def test_untick_and_bad_steps(engine: Engine) -> None:
    with session_scope(engine) as s:
        runbooks.seed_demo_runbooks(s, actor=LEAD)
        iid = _incident(s, operation="GET /api/shops")
        view = runbooks.runbook_for(s, actor=OPS, incident_id=iid)
        assert view is not None and view.key == "latency-regression"
        runbooks.tick_step(s, actor=OPS, incident_id=iid, runbook_id=view.id, step=0)
        runbooks.tick_step(s, actor=OPS, incident_id=iid, runbook_id=view.id, step=0, done=False)
        assert runbooks.runbook_for(s, actor=OPS, incident_id=iid).done == [False] * 4  # type: ignore[union-attr]
        ticks = [r for r in audit.list_records(s, actor=OPS, entity="incident") if r.action.startswith("runbook.")]
        assert [(r.action, r.actor, r.entity_id, r.after["step"], r.after["done"]) for r in reversed(ticks)] == [
            ("runbook.tick", "olli", str(iid), 1, True),
            ("runbook.untick", "olli", str(iid), 1, False),
        ]
        assert ticks[0].after["runbook"] == "latency-regression@1"
        with pytest.raises(InvalidInput, match="has steps 1–4; there is no step 9"):
            runbooks.tick_step(s, actor=OPS, incident_id=iid, runbook_id=view.id, step=8)
        with pytest.raises(PermissionDenied):
            runbooks.save_runbook(s, actor=OPS, key="x", title="x", steps=["a"], signature={})
        with pytest.raises(InvalidInput, match="at least one step"):
            runbooks.save_runbook(s, actor=LEAD, key="x", title="x", steps=[" "], signature={})
