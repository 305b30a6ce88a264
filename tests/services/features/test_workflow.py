"""Moving features through the phases: refused with the open items, allowed once they pass, sign-offs by role,
waivers by leads, the template's versions, entry points, and two people moving one feature at once."""

from __future__ import annotations

import pytest
from sqlalchemy.engine import Engine

from services.audit import AuditRecord
from services.db import session_scope
from services.errors import Conflict, InvalidInput, NotFound, PermissionDenied
from services.features import service
from services.features.schemas import parse_feature_input
from services.features.template import DEFAULT_ITEMS, validate_items
from services.telemetry.local import LocalTelemetrySource
from tests.services.features.conftest import DEV, LEAD, OPS, VIEWER, create, judge, source
from tests.telemetry_fixtures import AT, req, write


def advance(engine: Engine, feature_id: int, *, actor=LEAD, expected_version=None) -> str:
    with session_scope(engine) as s:
        f = service.advance(s, actor=actor, source=source(), feature_id=feature_id, at=AT,
                            expected_version=expected_version)  # fmt: skip
        return f.phase


def sign(engine: Engine, feature_id: int, key: str, *, actor=LEAD, evidence: str = "https://ci/run/1") -> None:
    with session_scope(engine) as s:
        service.sign_off(s, actor=actor, feature_id=feature_id, item_key=key, evidence=evidence)


def test_the_migrations_store_the_team_checklist_then_test_items_checked_from_test_runs(db: Engine) -> None:
    with session_scope(db) as s:
        versions = {t.version: t.items for t, _ in service.list_templates(s, actor=VIEWER)}
        current = service.current_template(s, actor=VIEWER)
    assert versions[1] == validate_items(DEFAULT_ITEMS)
    assert current.version == 2
    changed = [(a["key"], b["kind"], b["check"]) for a, b in zip(versions[1], versions[2], strict=True) if a != b]
    assert changed == [
        ("implementation.unit_tests", "data", "unit_tests_passed"),
        ("implementation.integration_tests", "data", "integration_tests_passed"),
    ]


def test_advance_is_refused_with_each_open_item_and_why_then_allowed_once_signed_off(db: Engine) -> None:
    with session_scope(db) as s:
        fid = create(s)
    with pytest.raises(Conflict) as refused:
        advance(db, fid)
    assert str(refused.value) == (
        f"Feature #{fid} cannot leave Planning: 1 required item(s) open.\n"
        "- planning.scope (Scope, owner and target release agreed): Waiting for a sign-off"
    )
    sign(db, fid, "planning.scope", evidence="")
    assert advance(db, fid) == "analysis"
    with pytest.raises(Conflict, match="analysis.requirements .*Waiting for a sign-off with evidence"):
        advance(db, fid)
    with session_scope(db) as s:
        moves = [(m.kind, m.from_phase, m.to_phase, m.actor) for m in service.history(s, actor=VIEWER, feature_id=fid)]
    assert moves == [("entry", None, "planning", "lee"), ("advance", "planning", "analysis", "lee")]


def test_a_data_item_blocks_design_with_the_numbers_until_the_data_passes_it(db: Engine) -> None:
    with session_scope(db) as s:
        fid = create(s, operations=["GET /api/shops"])
        for key in ("planning.scope", "analysis.requirements"):
            service.sign_off(s, actor=LEAD, feature_id=fid, item_key=key, evidence="doc")
        service.advance(s, actor=LEAD, source=source(), feature_id=fid, at=AT)
        service.advance(s, actor=LEAD, source=source(), feature_id=fid, at=AT)
        for key in ("design.interfaces", "design.monitoring"):
            service.sign_off(s, actor=LEAD, feature_id=fid, item_key=key, evidence="doc")
    with pytest.raises(Conflict) as refused:
        advance(db, fid)
    assert "- design.slo (An SLO covers each operation): No SLO covers GET /api/shops; add an SLO" in str(refused.value)
    assert "- design.alert (Incident Response designed: an alert rule watches it): No enabled alert rule" in str(
        refused.value
    )
    assert "design.ui" not in str(refused.value)  # optional items never block


def test_a_lead_waives_an_item_with_a_reason_that_stays_on_the_feature_and_an_operator_may_not(db: Engine) -> None:
    with session_scope(db) as s:
        fid = create(s)
    refusal = "Waiving a gate needs the lead role; you are operator"
    with session_scope(db) as s, pytest.raises(PermissionDenied, match=refusal):
        service.waive(s, actor=OPS, feature_id=fid, item_key="planning.scope", reason="agreed on the phone")
    with session_scope(db) as s, pytest.raises(InvalidInput, match="A waiver needs a reason"):
        service.waive(s, actor=LEAD, feature_id=fid, item_key="planning.scope", reason="  ")
    with session_scope(db) as s:
        service.waive(s, actor=LEAD, feature_id=fid, item_key="planning.scope", reason="agreed on the phone")
    waived = next(i for i in judge(db, fid).items if i.key == "planning.scope")
    assert (waived.state, waived.waiver.actor if waived.waiver else None) == ("waived", "lee")
    assert waived.detail == "Waived by lee: agreed on the phone (without the waiver: Waiting for a sign-off)"
    assert advance(db, fid) == "analysis"
    with session_scope(db) as s:
        moves = service.history(s, actor=VIEWER, feature_id=fid)
        assert moves[-1].note == "waived: planning.scope"
        actions = [r.action for r in s.query(AuditRecord).order_by(AuditRecord.id)]
    assert actions[-2:] == ["feature.waive", "feature.advance"]
    # moving back keeps the waiver: it is on the feature for good
    with session_scope(db) as s:
        service.move_back(s, actor=DEV, feature_id=fid, reason="scope changed")
    assert next(i for i in judge(db, fid).items if i.key == "planning.scope").state == "waived"


def test_sign_offs_by_role_and_evidence_where_the_template_asks(db: Engine) -> None:
    with session_scope(db) as s:
        fid = create(s, entry="pull-request")
    sign(db, fid, "implementation.pilot", actor=DEV)
    with session_scope(db) as s, pytest.raises(PermissionDenied, match="may not sign off a Testing & Integration"):
        service.sign_off(s, actor=DEV, feature_id=fid, item_key="testing.security", evidence="pentest report")
    with session_scope(db) as s, pytest.raises(InvalidInput, match="needs evidence: give a link"):
        service.sign_off(s, actor=OPS, feature_id=fid, item_key="testing.security", evidence=" ")
    sign(db, fid, "testing.security", actor=OPS, evidence="pentest report")
    with session_scope(db) as s, pytest.raises(PermissionDenied, match="it needs the lead role"):
        service.sign_off(s, actor=OPS, feature_id=fid, item_key="design.interfaces", evidence="doc")
    with session_scope(db) as s, pytest.raises(InvalidInput, match="is checked from data, not signed off"):
        service.sign_off(s, actor=LEAD, feature_id=fid, item_key="implementation.unit_tests")
    with session_scope(db) as s, pytest.raises(NotFound, match="has no item 'testing.chaos'"):
        service.sign_off(s, actor=LEAD, feature_id=fid, item_key="testing.chaos")
    with session_scope(db) as s, pytest.raises(Conflict, match="was signed off by dana already"):
        service.sign_off(s, actor=LEAD, feature_id=fid, item_key="implementation.pilot", evidence="again")
    refusal = "Creating a feature needs the developer role; you are viewer"
    with session_scope(db) as s, pytest.raises(PermissionDenied, match=refusal):
        service.create_feature(s, actor=VIEWER, data=parse_feature_input({"title": "x", "service": "mana"}))
    got = {i.key: i for i in judge(db, fid).items}
    assert got["implementation.pilot"].detail == "Signed off by dana (developer): https://ci/run/1"
    assert got["testing.security"].sign_off is not None and got["testing.security"].sign_off.role == "operator"


def test_entry_points_set_the_first_phase_and_skip_the_items_before_it(db: Engine) -> None:
    with session_scope(db) as s:
        pr = create(s, entry="pull-request")
        bug = create(s, entry="bug")
        single = create(s, entry="single-environment")
        phases = {f.id: f.phase for f in service.list_features(s, actor=VIEWER)}
    assert (phases[pr], phases[bug], phases[single]) == ("implementation", "testing", "implementation")
    assert {i.phase for i in judge(db, pr).items} == {"implementation", "testing", "maintenance"}
    assert {i.phase for i in judge(db, bug).items} == {"testing", "maintenance"}
    with session_scope(db) as s:  # moved back into Design, the Design items count again
        service.move_back(s, actor=LEAD, feature_id=pr)
    assert "design" in {i.phase for i in judge(db, pr).items}


def test_a_template_edit_is_a_new_version_and_features_keep_theirs(db: Engine) -> None:
    with session_scope(db) as s:
        before = create(s)
    items = [i for i in DEFAULT_ITEMS if i["key"] != "planning.scope"]
    items.append({"key": "planning.budget", "phase": "planning", "title": "Budget approved", "kind": "sign-off",
                  "required": False})  # fmt: skip
    with session_scope(db) as s, pytest.raises(PermissionDenied):
        service.save_template(s, actor=OPS, items=items)
    with session_scope(db) as s:
        v3 = service.save_template(s, actor=LEAD, items=items, note="scope is agreed on the board", expected_version=2)
        assert v3.version == 3
        after = create(s)
    with session_scope(db) as s, pytest.raises(Conflict, match="at version 3 now"):
        service.save_template(s, actor=LEAD, items=DEFAULT_ITEMS, expected_version=2)
    assert "planning.scope" in {i.key for i in judge(db, before).items}  # it still waits on the removed item
    assert [i.key for i in judge(db, after).items if i.phase == "planning"] == ["planning.budget"]
    assert advance(db, after) == "analysis"  # the only Planning item is optional now
    with pytest.raises(Conflict, match="planning.scope"):
        advance(db, before)
    with session_scope(db) as s:
        used = {t.version: n for t, n in service.list_templates(s, actor=VIEWER)}
    assert used == {3: 1, 2: 1, 1: 0}


@pytest.mark.parametrize(
    ("items", "message"),
    [
        ([], "needs at least one item"),
        ([{"key": "a", "phase": "design", "title": "x", "kind": "data", "check": "vibes"}], "names the check 'vibes'"),
        ([{"key": "a", "phase": "build", "title": "x", "kind": "sign-off"}], "phase: must be one of planning"),
        ([{"key": "a", "phase": "design", "title": "x", "kind": "sign-off"}] * 2, "the key 'a' is used twice"),
        ([{"key": "Bad Key", "phase": "design", "title": "x", "kind": "sign-off"}], "key: must be lower-case"),
    ],
)
def test_a_bad_template_is_refused_and_says_why(db: Engine, items: list, message: str) -> None:
    with session_scope(db) as s, pytest.raises(InvalidInput, match=message):
        service.save_template(s, actor=LEAD, items=items)


def test_two_people_advancing_at_once_the_second_is_told_it_moved_meanwhile(db: Engine) -> None:
    with session_scope(db) as s:
        fid = create(s)
        service.sign_off(s, actor=LEAD, feature_id=fid, item_key="planning.scope")
        seen = service.get_feature(s, actor=VIEWER, feature_id=fid).version
    assert advance(db, fid, expected_version=seen) == "analysis"
    with pytest.raises(Conflict, match=f"Feature #{fid} was changed by lee meanwhile"):
        advance(db, fid, expected_version=seen)  # the second browser still shows the old version


@pytest.mark.postgres
def test_two_sessions_interleaved_the_one_that_read_first_and_writes_second_loses(pg_engine: Engine) -> None:
    with session_scope(pg_engine) as s:
        fid = create(s)
        service.sign_off(s, actor=LEAD, feature_id=fid, item_key="planning.scope")
    with pytest.raises(Conflict, match=f"Feature #{fid} was changed by dana meanwhile"), session_scope(pg_engine) as a:
        opened = service.get_feature(a, actor=LEAD, feature_id=fid)  # A has the feature loaded (still in Planning)
        with session_scope(pg_engine) as b:  # B advances it and commits
            service.advance(b, actor=DEV, source=source(), feature_id=fid, at=AT)
        assert opened.phase == "planning"
        service.advance(a, actor=LEAD, source=source(), feature_id=fid, at=AT)
    with session_scope(pg_engine) as s:
        kinds = [m.kind for m in service.history(s, actor=VIEWER, feature_id=fid)]
        phase = service.get_feature(s, actor=VIEWER, feature_id=fid).phase
    assert (phase, kinds) == ("analysis", ["entry", "advance"])  # nothing of A's advance was written


class CountingSource(LocalTelemetrySource):
    """The local store, counting round trips: batches, and single queries sent outside a batch."""

    batches = 0
    singles = 0
    in_batch = False

    def query_batch(self, specs):
        type(self).batches += 1
        self.in_batch = True
        try:
            return super().query_batch(specs)
        finally:
            self.in_batch = False

    def query(self, *args, **kwargs):
        if not self.in_batch:
            type(self).singles += 1
        return super().query(*args, **kwargs)


def test_one_feature_every_item_takes_one_batched_telemetry_round(db: Engine) -> None:
    from services.alerts import service as alerts
    from services.config import get_settings
    from services.slos import service as slos

    write(get_settings().telemetry.dir, "AppRequests", [req(5, version="2026.12.1")])
    with session_scope(db) as s:
        slos.seed_team_targets(s, actor=LEAD)
        alerts.create_rule(s, actor=LEAD, data={
            "name": "shops failing", "query": 'AppRequests | where Name == "GET /api/shops" and Success == false',
            "threshold": 5, "actions": [{"channel": "email", "target": "ops@mana.example"}]})  # fmt: skip
        fid = create(s, release="2026.12.1", service_slos_cover=True)
        counting = CountingSource(get_settings().telemetry.dir)
        judged, ev = service.gates(s, actor=VIEWER, source=counting, feature_ids=[fid], at=AT)
    # one request scan per latency threshold, the exceptions, one backtest per watching query rule
    assert (CountingSource.batches, CountingSource.singles, ev.queries) == (1, 0, 3)
    assert len(judged[0].items) == len(DEFAULT_ITEMS)
