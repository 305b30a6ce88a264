"""SLO create/edit/delete: validation, permissions, audit, uniqueness and concurrent edits, on SQLite and PostgreSQL."""

from __future__ import annotations

import pytest
from sqlalchemy import select
from sqlalchemy.engine import Engine

from services import audit
from services.auth import Actor
from services.db import session_scope
from services.errors import Conflict, InvalidInput, NotFound, PermissionDenied
from services.slos import service as slo_service
from services.slos.models import Slo
from services.slos.schemas import parse_slo_input

LEAD = Actor("lena", "lead")
OPERATOR = Actor("olli", "operator")
VIEWER = Actor("vic", "viewer")
FORM = {
    "name": "checkout availability",
    "service": "mana",
    "operation": "POST /api/orders",
    "kind": "availability",
    "objective": 99.5,
    "window_days": 28,
}


def test_create_edit_delete_are_audited_with_before_and_after(engine: Engine) -> None:
    with session_scope(engine) as s:
        slo = slo_service.create_slo(s, actor=LEAD, data=parse_slo_input(FORM))
        slo_id, version = slo.id, slo.version
    with session_scope(engine) as s:
        slo_service.update_slo(
            s, actor=LEAD, slo_id=slo_id, data=parse_slo_input({**FORM, "objective": 99.9}), expected_version=version
        )
    with session_scope(engine) as s:
        slo_service.delete_slo(s, actor=LEAD, slo_id=slo_id)
    with session_scope(engine) as s:
        records = [r for r in audit.list_records(s, actor=VIEWER) if r.entity == "slo"]  # rules: test_slo_rules.py
        assert [r.action for r in records] == ["slo.delete", "slo.update", "slo.create"]
        assert records[1].before["objective"] == 99.5 and records[1].after["objective"] == 99.9
        assert records[2].actor == "lena" and records[2].role == "lead"
        assert records[0].after is None and records[0].before["name"] == "checkout availability"
        assert records[2].at.tzinfo is not None
        assert s.scalars(select(Slo)).all() == []


def test_seeded_team_targets(engine: Engine) -> None:
    with session_scope(engine) as s:
        created = slo_service.seed_team_targets(s, actor=Actor("admin", "admin"))
        assert [(x.name, x.kind, x.objective, x.threshold_ms, x.window_days) for x in created] == [
            ("mana availability", "availability", 99.0, None, 30),
            ("mana latency", "latency", 99.0, 300.0, 30),
        ]
    with session_scope(engine) as s:
        assert slo_service.seed_team_targets(s, actor=Actor("admin", "admin")) == []  # idempotent


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"objective": 100}, "objective: must be strictly between 0 and 100"),
        ({"objective": 0}, "objective: must be strictly between 0 and 100"),
        ({"name": "  "}, "name: must not be empty"),
        ({"kind": "latency", "threshold_ms": 0}, "latency SLO needs a threshold in ms greater than 0"),
        ({"kind": "latency", "threshold_ms": None}, "latency SLO needs a threshold"),
        ({"window_days": 14}, "window_days"),
        ({"kind": "throughput"}, "kind"),
    ],
)
def test_invalid_forms_are_refused_with_a_message_naming_the_field(change: dict, message: str) -> None:
    with pytest.raises(InvalidInput, match="The SLO was not saved") as exc:
        parse_slo_input({**FORM, **change})
    assert message in str(exc.value)


def test_permissions_live_in_the_service_layer(engine: Engine) -> None:
    with session_scope(engine) as s, pytest.raises(PermissionDenied, match="needs the lead role"):
        slo_service.create_slo(s, actor=OPERATOR, data=parse_slo_input(FORM))
    with session_scope(engine) as s:
        slo = slo_service.create_slo(s, actor=LEAD, data=parse_slo_input(FORM))
        slo_id = slo.id
    with session_scope(engine) as s, pytest.raises(PermissionDenied):
        slo_service.delete_slo(s, actor=VIEWER, slo_id=slo_id)
    with session_scope(engine) as s:
        assert len(slo_service.list_slos(s, actor=VIEWER)) == 1  # nothing lost
        assert [r.action for r in audit.list_records(s, actor=VIEWER) if r.entity == "slo"] == ["slo.create"]


def test_duplicate_names_and_unknown_ids(engine: Engine) -> None:
    with session_scope(engine) as s:
        slo_service.create_slo(s, actor=LEAD, data=parse_slo_input(FORM))
    with session_scope(engine) as s, pytest.raises(Conflict, match="already exists"):
        slo_service.create_slo(s, actor=LEAD, data=parse_slo_input(FORM))
    with session_scope(engine) as s, pytest.raises(NotFound, match="SLO 999 does not exist"):
        slo_service.update_slo(s, actor=LEAD, slo_id=999, data=parse_slo_input(FORM))


def test_a_stale_edit_is_refused_and_the_other_edit_kept(engine: Engine) -> None:
    with session_scope(engine) as s:
        slo = slo_service.create_slo(s, actor=LEAD, data=parse_slo_input(FORM))
        slo_id, version = slo.id, slo.version
    with session_scope(engine) as s:  # the first editor saves
        slo_service.update_slo(
            s, actor=LEAD, slo_id=slo_id, data=parse_slo_input({**FORM, "objective": 99.9}), expected_version=version
        )
    with session_scope(engine) as s, pytest.raises(Conflict, match="changed by someone else meanwhile"):
        slo_service.update_slo(
            s, actor=LEAD, slo_id=slo_id, data=parse_slo_input({**FORM, "objective": 95}), expected_version=version
        )
    with session_scope(engine) as s:
        assert slo_service.get_slo(s, actor=VIEWER, slo_id=slo_id).objective == 99.9
