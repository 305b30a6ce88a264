"""SLOs as code: `apply` makes the stored SLOs match the files through the SLO service (permissions, audit, burn-rate
rules in the same transaction); it is idempotent, its dry run changes nothing, and --prune deletes what the files
leave out. On SQLite and PostgreSQL."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy.engine import Engine

from services import audit
from services.alerts import repository as alert_repo
from services.auth import Actor
from services.db import session_scope
from services.errors import InvalidInput, PermissionDenied
from services.slos import apply, documents
from services.slos import service as slo_service

LEAD = Actor("lena", "lead")
DEVELOPER = Actor("dev", "developer")
TEAM = (Path(__file__).with_name("files") / "team.openslo.yaml").read_text()
NAMES = ["mana availability", "shops latency", "DOPA success", "login-failures"]


def _wanted(text: str = TEAM) -> list:
    return [d.slo for d in documents.read(text, file_name="team.openslo.yaml")]


def _actions(engine: Engine) -> list[str]:
    with session_scope(engine) as s:
        return [r.action for r in audit.list_records(s, actor=LEAD)]


def test_applying_twice_changes_nothing_the_second_time(engine: Engine) -> None:
    with session_scope(engine) as s:
        plan = apply.apply_slos(s, actor=LEAD, wanted=_wanted())
    assert [c.line() for c in plan.changes] == [
        "+ create 'mana availability': availability, 99 % over 30 days",
        "+ create 'shops latency': latency, 99.9 % over 28 days",
        "+ create 'DOPA success': ratio, 99.5 % over 7 days",
        "+ create 'login-failures': ratio, 95 % over 30 days",
    ]
    assert plan.summary(dry_run=False) == "applied: 4 created, 0 changed, 0 unchanged, 0 deleted"
    first = _actions(engine)
    assert first.count("slo.create") == 4 and first.count("alert_rule.create") == 12  # each SLO with its 3 rules
    with session_scope(engine) as s:
        dopa = slo_service.get_slo_by_name(s, actor=LEAD, name="DOPA success")
        assert len(alert_repo.slo_rules(s, dopa.id)) == 3  # a ratio SLO applied from a file gets its rules too
        again = apply.apply_slos(s, actor=LEAD, wanted=_wanted())
    assert [c.action for c in again.changes] == ["unchanged"] * 4
    assert again.summary(dry_run=False) == "nothing to change: the 4 SLO(s) of the files already match"
    assert _actions(engine) == first  # no audit record: nothing was written


def test_a_dry_run_shows_the_diff_and_changes_nothing(engine: Engine) -> None:
    with session_scope(engine) as s:
        apply.apply_slos(s, actor=LEAD, wanted=_wanted())
    before = _actions(engine)
    edited = TEAM.replace("target: 0.995", "target: 0.999").replace("Calls to DOPA that succeed.", "DOPA calls")
    edited = edited.replace("duration: 28d", "duration: 30d")
    with session_scope(engine) as s:
        plan = apply.plan_apply(s, actor=DEVELOPER, wanted=_wanted(edited))  # a dry run only reads
    assert [c.line() for c in plan.changes] == [
        "= unchanged 'mana availability'",
        "~ change 'shops latency': window_days 28 → 30",
        "~ change 'DOPA success': objective 99.5 → 99.9; description 'Calls to DOPA that succeed.' → 'DOPA calls'",
        "= unchanged 'login-failures'",
    ]
    summary = "dry run: 0 to create, 2 to change, 2 unchanged, 0 to delete; nothing was changed"
    assert plan.summary(dry_run=True) == summary
    assert _actions(engine) == before
    with session_scope(engine) as s:
        assert slo_service.get_slo_by_name(s, actor=LEAD, name="DOPA success").objective == 99.5
        apply.apply_slos(s, actor=LEAD, wanted=_wanted(edited))
    new = _actions(engine)[: len(_actions(engine)) - len(before)]
    # each changed SLO once, its rules following (the objective and the window are in their thresholds)
    assert sorted(set(new)) == ["alert_rule.update", "slo.update"] and new.count("slo.update") == 2


def test_prune_deletes_the_slos_the_files_leave_out(engine: Engine) -> None:
    with session_scope(engine) as s:
        apply.apply_slos(s, actor=LEAD, wanted=_wanted())
    fewer = [w for w in _wanted() if w.name != "login-failures"]
    with session_scope(engine) as s:
        kept = apply.apply_slos(s, actor=LEAD, wanted=fewer)
        assert kept.summary(dry_run=False) == (
            "nothing to change: the 3 SLO(s) of the files already match; 1 stored SLO(s) not in the files kept "
            "(--prune deletes them)"
        )
        pruned = apply.apply_slos(s, actor=LEAD, wanted=fewer, prune=True)
        assert [c.line() for c in pruned.changes if c.action == "delete"] == ["- delete 'login-failures'"]
        assert [x.name for x in slo_service.list_slos(s, actor=LEAD)] == sorted(NAMES[:3])
    assert _actions(engine)[:4] == ["slo.delete", *["alert_rule.delete"] * 3]


def test_only_a_lead_applies_and_a_refused_apply_stores_nothing(engine: Engine) -> None:
    with pytest.raises(PermissionDenied, match="needs the lead role"), session_scope(engine) as s:
        apply.apply_slos(s, actor=DEVELOPER, wanted=_wanted())
    with session_scope(engine) as s:
        assert slo_service.list_slos(s, actor=LEAD) == []
    twice = _wanted() + _wanted()[:1]
    with pytest.raises(InvalidInput, match="SLO 'mana availability' is defined twice"), session_scope(engine) as s:
        apply.plan_apply(s, actor=LEAD, wanted=twice)
