"""The service surface, classified: how each read is called, and the audit records each change must write.

Ids are those of a fresh database: the first incident, postmortem, rule … a setup makes is 1. See test_audit_coverage.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy.orm import Session

from services.alerts import slo_rules
from services.config import get_settings
from services.incidents import runbooks, severities
from services.incidents import service as incidents
from services.loadtests.schemas import ImportOptions, InputFile
from services.postmortems import service as postmortems
from services.slos import service as slos
from services.slos.schemas import SloInput
from services.telemetry.local import LocalTelemetrySource
from services.telemetry.retention import parse_policy
from services.testruns.schemas import parse_run_options
from tests.board_fakes import FakeBoard
from tests.services import audit_fixtures as fx
from tests.services.audit_fixtures import ADMIN, AT, CLEF, INCIDENT, K6_SUMMARY, RULE, SLO

Call = Callable[[Session, Callable[..., Any]], object]  # (session, the function found) -> whatever it returns
Record = tuple[str, str, str | None]  # action, entity, entity_id


@dataclass(frozen=True)
class Mutation:
    """A committed setup, one call of the function, and the audit records that call writes, in order."""

    setup: Callable[[Session], object]
    call: Call
    records: tuple[Record, ...]


@dataclass(frozen=True)
class Bookkeeping:
    """A change nobody decides: why it is not audited, and the only tables it may touch."""

    reason: str
    setup: Callable[[Session], object]
    call: Call
    tables: tuple[str, ...]


HOUR = timedelta(hours=1)
RATIO_SLO = SloInput(name="DOPA success", service="mana", kind="ratio", objective=99.5,
                     good_query='AppDependencies | where Success == true', total_query="AppDependencies")  # fmt: skip


def _one(action: str, entity: str, entity_id: str | None = "1") -> tuple[Record]:
    return ((action, entity, entity_id),)


def _rules(verb: str, ids: str) -> tuple[Record, ...]:
    """An SLO's burn-rate rules, one record each."""
    return tuple((f"alert_rule.{verb}", "alert_rule", i) for i in ids)


INC = "services.incidents.service."
RESP = "services.incident_response."
BOARD = "services.incidents.board_issues."
RB = "services.incidents.runbooks."
PM = "services.postmortems.service."
SL = "services.slos.service."
AL = "services.alerts.service."
QS = "services.saved_queries.service."
LT = "services.loadtests.service."
CLEF_IMPORT = "services.telemetry.clef_import."
FT = "services.features.service."
TR = "services.testruns.service."
SB = "services.stubs.service."
EDITED = '[{"request": {"method": "POST", "urlPath": "/verify"}, "response": {"status": 503}}]'
TEMPLATE_V2 = [
    {"key": "planning.scope", "phase": "planning", "title": "Scope agreed", "kind": "sign-off"},
    {"key": "design.slo", "phase": "design", "title": "SLO", "kind": "data", "check": "slo_covers_operations"},
]


# the demo features driven through their gates on an empty store (nothing passes from data, so the seed waives it):
# L load-test import, T test-run import, C create, S sign-off, W waiver, A advance, then the run or feature id
DEMO_FEATURE_WALK = (
    "L1 T1 T2 T3 T4 T5 T6 C1 S1 A1 S1 A1 S1 S1 W1 W1 A1 W1 A1 C2 S2 A2 S2 A2 S2 S2 W2 W2 A2 W2 A2 C3 C4 S4 A4 S4 A4 "
    "C5 S5 A5 C6 S6 A6 S6 A6 S6 S6 W6 W6 A6 W6 A6 W6 S6 W6 A6 S1 S2 L2"
)
WALK_ACTIONS = {"L": "loadtest.import", "T": "testrun.import", "C": "feature.create", "S": "feature.sign_off",
                "W": "feature.waive", "A": "feature.advance"}  # fmt: skip
WALK_ENTITIES = {"L": "loadtest_run", "T": "test_run"}  # the rest: feature


def _walk(text: str) -> tuple[Record, ...]:
    return tuple((WALK_ACTIONS[c[0]], WALK_ENTITIES.get(c[0], "feature"), c[1:]) for c in text.split())


def _source() -> LocalTelemetrySource:
    return LocalTelemetrySource(fx.store())


MUTATIONS: dict[str, Mutation] = {
    INC + "create_incident": Mutation(
        fx.nothing, lambda s, f: f(s, actor=ADMIN, data=INCIDENT), _one("incident.create", "incident")
    ),
    INC + "transition": Mutation(
        fx.incident,
        lambda s, f: f(s, actor=ADMIN, incident_id=1, to="mitigating"),
        _one("incident.mitigating", "incident"),
    ),
    # acknowledging an incident nobody has takes it: two changes of the incident, two records
    INC + "acknowledge": Mutation(
        fx.incident,
        lambda s, f: f(s, actor=ADMIN, incident_id=1),
        (("incident.acknowledged", "incident", "1"), ("incident.assign", "incident", "1")),
    ),
    INC + "bulk_acknowledge": Mutation(
        fx.two_incidents,
        lambda s, f: f(s, actor=ADMIN, incident_ids=[1, 2]),
        tuple((action, "incident", i) for i in "12" for action in ("incident.acknowledged", "incident.assign")),
    ),
    INC + "assign": Mutation(
        fx.incident, lambda s, f: f(s, actor=ADMIN, incident_id=1, assignee="olli"), _one("incident.assign", "incident")
    ),
    INC + "classify": Mutation(
        fx.incident,
        lambda s, f: f(s, actor=ADMIN, incident_id=1, classification="critical"),
        _one("incident.classify", "incident"),
    ),
    INC + "add_note": Mutation(
        fx.incident,
        lambda s, f: f(s, actor=ADMIN, incident_id=1, text="DOPA answers again since 12:05"),
        _one("incident.note", "incident"),
    ),
    # resolving a Sev2 incident opens its postmortem: the incident and the new postmortem, one record each
    # (straight from new it skips mitigating, so it takes a reason: one more timeline row of the incident)
    RESP + "transition": Mutation(
        fx.incident,
        lambda s, f: f(s, actor=ADMIN, incident_id=1, to="resolved", reason="DOPA answers again"),
        (("incident.resolved", "incident", "1"), ("postmortem.create", "postmortem", "1")),
    ),
    # a critical incident gets its board issue: the classification and the link, both on the incident
    RESP + "classify": Mutation(
        fx.incident,
        lambda s, f: f(s, actor=ADMIN, incident_id=1, classification="critical", board=FakeBoard()),
        (("incident.classify", "incident", "1"), ("board_issue.open", "incident", "1")),
    ),
    # an action item's board task: its link on the incident, its URL on the postmortem's item
    RESP + "open_action_item_issue": Mutation(
        fx.postmortem,
        lambda s, f: f(s, actor=ADMIN, postmortem_id=1, index=0, board=FakeBoard()),
        (("board_issue.open", "incident", "1"), ("postmortem.link_action_item", "postmortem", "1")),
    ),
    BOARD + "open_issue": Mutation(
        fx.incident,
        lambda s, f: f(
            s, actor=ADMIN, incident=incidents.get_incident(s, actor=ADMIN, incident_id=1), board=FakeBoard()
        ),
        _one("board_issue.open", "incident"),
    ),
    BOARD + "note_no_board": Mutation(
        fx.incident,
        lambda s, f: f(s, actor=ADMIN, incident=incidents.get_incident(s, actor=ADMIN, incident_id=1)),
        _one("board_issue.needed", "incident"),
    ),
    RB + "save_runbook": Mutation(
        fx.nothing,
        lambda s, f: f(s, actor=ADMIN, key="dopa-timeouts", title="DOPA timeouts", steps=["Check"], signature={}),
        _one("runbook.save", "runbook", "dopa-timeouts@1"),
    ),
    RB + "seed_demo_runbooks": Mutation(
        fx.nothing,
        lambda s, f: f(s, actor=ADMIN),
        tuple(("runbook.save", "runbook", f"{rb['key']}@1") for rb in runbooks.DEMO_RUNBOOKS),
    ),
    RB + "tick_step": Mutation(
        fx.incident_and_runbook,
        lambda s, f: f(s, actor=ADMIN, incident_id=1, runbook_id=1, step=0),
        _one("runbook.tick", "incident"),
    ),
    "services.incidents.severities.update_definition": Mutation(
        lambda s: severities.definitions(s, actor=ADMIN),
        lambda s, f: f(s, actor=ADMIN, severity="Sev2", scope="Some users fail to log in.", ack_target_minutes=45),
        _one("severity.update", "severity", "Sev2"),
    ),
    PM + "ensure_postmortem": Mutation(
        fx.incident, lambda s, f: f(s, actor=ADMIN, incident_id=1), _one("postmortem.create", "postmortem")
    ),
    PM + "update_postmortem": Mutation(
        fx.postmortem,
        lambda s, f: f(s, actor=ADMIN, postmortem_id=1, fields={"root_cause": "DOPA's TLS certificate expired"}),
        _one("postmortem.update", "postmortem"),
    ),
    PM + "move_postmortem": Mutation(
        fx.postmortem,
        lambda s, f: f(s, actor=ADMIN, postmortem_id=1, to="in_review"),
        _one("postmortem.in_review", "postmortem"),
    ),
    PM + "record_impact": Mutation(
        fx.postmortem,
        lambda s, f: f(s, actor=ADMIN, postmortem_id=1, source=LocalTelemetrySource(fx.store())),
        _one("postmortem.update", "postmortem"),
    ),
    PM + "link_action_item": Mutation(
        fx.postmortem,
        lambda s, f: f(
            s,
            actor=ADMIN,
            postmortem=postmortems.get_postmortem(s, actor=ADMIN, postmortem_id=1),
            index=0,
            url="https://board.example/issues/9",
        ),
        _one("postmortem.link_action_item", "postmortem"),
    ),
    # an SLO owns its three burn-rate rules: they are created, updated (the objective is in their condition) and
    # removed with it, each audited
    SL + "create_slo": Mutation(
        fx.nothing, lambda s, f: f(s, actor=ADMIN, data=SLO), (("slo.create", "slo", "1"), *_rules("create", "123"))
    ),
    SL + "update_slo": Mutation(
        fx.slo,
        lambda s, f: f(s, actor=ADMIN, slo_id=1, data=SLO.model_copy(update={"objective": 99.5})),
        (("slo.update", "slo", "1"), *_rules("update", "123")),
    ),
    SL + "delete_slo": Mutation(
        fx.slo, lambda s, f: f(s, actor=ADMIN, slo_id=1), (*_rules("delete", "123"), ("slo.delete", "slo", "1"))
    ),
    SL + "seed_team_targets": Mutation(
        fx.nothing,
        lambda s, f: f(s, actor=ADMIN),
        (("slo.create", "slo", "1"), *_rules("create", "123"), ("slo.create", "slo", "2"), *_rules("create", "456")),
    ),
    # SLOs as code: the stored SLO 1 changes (its rules follow) and the file's new ratio SLO comes with its rules
    "services.slos.apply.apply_slos": Mutation(
        fx.slo,
        lambda s, f: f(s, actor=ADMIN, wanted=[SLO.model_copy(update={"objective": 99.5}), RATIO_SLO]),
        (("slo.update", "slo", "1"), *_rules("update", "123"), ("slo.create", "slo", "2"), *_rules("create", "456")),
    ),
    # an SLO whose rules were removed (as one from before rules followed their SLO) gets them again
    "services.alerts.slo_rules.sync_for_slo": Mutation(
        lambda s: (
            fx.slo(s),
            slo_rules.sync_for_slo(s, actor=ADMIN, slo=slos.get_slo(s, actor=ADMIN, slo_id=1), remove=True),
        ),
        lambda s, f: f(s, actor=ADMIN, slo=slos.get_slo(s, actor=ADMIN, slo_id=1)),
        _rules("create", "123"),  # SQLite hands out the freed ids again
    ),
    AL + "create_rule": Mutation(
        fx.nothing, lambda s, f: f(s, actor=ADMIN, data=RULE), _one("alert_rule.create", "alert_rule")
    ),
    AL + "update_rule": Mutation(
        fx.rule,
        lambda s, f: f(s, actor=ADMIN, rule_id=1, data={"threshold": 8}),
        _one("alert_rule.update", "alert_rule"),
    ),
    AL + "delete_rule": Mutation(
        fx.rule, lambda s, f: f(s, actor=ADMIN, rule_id=1), _one("alert_rule.delete", "alert_rule")
    ),
    # without SLOs, the team's rules are the failed-login pair, the DOPA one and the stop/start gap one
    "services.alerts.seeds.seed_team_rules": Mutation(
        fx.nothing, lambda s, f: f(s, actor=ADMIN), tuple(("alert_rule.create", "alert_rule", i) for i in "123456")
    ),
    "services.preferences.service.set_display_timezone": Mutation(
        fx.nothing,
        lambda s, f: f(s, actor=ADMIN, zone="Asia/Bangkok"),
        _one("user_preference.update", "user_preference", ADMIN.name),
    ),
    QS + "save_query": Mutation(
        fx.nothing,
        lambda s, f: f(s, actor=ADMIN, name="errors", text="AppExceptions | take 10"),
        _one("saved_query.create", "saved_query"),
    ),
    QS + "rename_query": Mutation(
        fx.query,
        lambda s, f: f(s, actor=ADMIN, query_id=1, name="p95 > 300"),
        _one("saved_query.rename", "saved_query"),
    ),
    QS + "delete_query": Mutation(
        fx.query, lambda s, f: f(s, actor=ADMIN, query_id=1), _one("saved_query.delete", "saved_query")
    ),
    LT + "import_run": Mutation(
        fx.nothing,
        lambda s, f: f(
            s,
            actor=ADMIN,
            files=[InputFile(K6_SUMMARY, "summary.json")],
            options=ImportOptions(service="mana"),
            root=get_settings().loadtests.dir,
        ),
        _one("loadtest.import", "loadtest_run"),
    ),
    LT + "delete_run": Mutation(
        fx.loadtest_run,
        lambda s, f: f(s, actor=ADMIN, run_id=1, root=get_settings().loadtests.dir),
        _one("loadtest.delete", "loadtest_run"),
    ),
    CLEF_IMPORT + "import_sources": Mutation(
        fx.nothing,
        lambda s, f: f(s, fx.store(), [("compact.clef", CLEF.read_bytes())], actor=ADMIN, service="mana"),
        _one("telemetry.import_clef", "telemetry_store", None),
    ),
    CLEF_IMPORT + "import_files": Mutation(
        fx.nothing,
        lambda s, f: f(s, fx.store(), [CLEF], actor=ADMIN, service="mana"),
        _one("telemetry.import_clef", "telemetry_store", None),
    ),
    "services.telemetry.maintenance.compact_store": Mutation(
        fx.small_files,
        lambda s, f: f(s, actor=ADMIN, root=fx.store()),
        _one("telemetry.compact", "telemetry_store", None),
    ),
    # retention (30 days) hides the 40-day-old file and rewrites the other; the worker's pass does the same
    "services.telemetry.maintenance.apply_retention": Mutation(
        fx.aged_files,
        lambda s, f: f(s, actor=ADMIN, root=fx.store(), policy=parse_policy("30"), now=AT),
        _one("telemetry.retention", "telemetry_store", None),
    ),
    "services.telemetry.maintenance.maintain_store": Mutation(
        fx.aged_files,
        lambda s, f: f(s, actor=ADMIN, root=fx.store(), policy=parse_policy("30"), now=AT),
        _one("telemetry.maintenance", "telemetry_store", None),
    ),
    # one record per run of `demo live`, at its start, not per tick
    "services.demo.live.start_live": Mutation(fx.nothing, fx.live_run, _one("demo.live", "telemetry_store", None)),
    TR + "import_run": Mutation(
        fx.nothing,
        lambda s, f: f(
            s,
            actor=ADMIN,
            files=[("unit.xml", fx.TEST_REPORT)],
            options=parse_run_options({"service": "mana", "kind": "unit"}),
            max_bytes=1 << 20,
        ),
        _one("testrun.import", "test_run"),
    ),
    TR + "delete_run": Mutation(
        fx.test_run, lambda s, f: f(s, actor=ADMIN, run_id=1), _one("testrun.delete", "test_run")
    ),
    SB + "build_from_telemetry": Mutation(
        fx.dopa_calls,
        lambda s, f: f(s, _source(), actor=ADMIN, name="DOPA", target="api.dopa.go.th", start=AT - HOUR, end=AT),
        _one("stubset.telemetry", "stub_set"),
    ),
    SB + "upload": Mutation(
        fx.nothing,
        lambda s, f: f(s, actor=ADMIN, name="DOPA", target="api.dopa.go.th", file_name="d.json", data=fx.STUB),
        _one("stubset.upload", "stub_set"),
    ),
    SB + "edit": Mutation(
        fx.stub_set,
        lambda s, f: f(s, actor=ADMIN, set_id=1, base_version=1, mappings_json=EDITED),
        _one("stubset.edit", "stub_set"),
    ),
    SB + "delete_set": Mutation(
        fx.stub_set, lambda s, f: f(s, actor=ADMIN, set_id=1), _one("stubset.delete", "stub_set")
    ),
    "services.demo.seed_stubs.seed_demo_stubs": Mutation(
        fx.dopa_calls,
        lambda s, f: f(s, actor=ADMIN, source=_source(), end=AT),
        _one("stubset.telemetry", "stub_set"),
    ),
    "services.demo.seed_features.import_test_runs": Mutation(
        fx.nothing,
        lambda s, f: f(s, actor=ADMIN, service="mana"),
        tuple(("testrun.import", "test_run", str(i)) for i in range(1, 7)),
    ),
    FT + "create_feature": Mutation(
        fx.nothing, lambda s, f: f(s, actor=ADMIN, data=fx.FEATURE), _one("feature.create", "feature")
    ),
    FT + "update_feature": Mutation(
        fx.feature,
        lambda s, f: f(s, actor=ADMIN, feature_id=1, data=fx.FEATURE.model_copy(update={"release": "2026.12.2"})),
        _one("feature.update", "feature"),
    ),
    FT + "advance": Mutation(
        fx.feature_signed,
        lambda s, f: f(s, actor=ADMIN, source=_source(), feature_id=1),
        _one("feature.advance", "feature"),
    ),
    FT + "move_back": Mutation(
        fx.feature_in_analysis,
        lambda s, f: f(s, actor=ADMIN, feature_id=1, reason="requirements changed"),
        _one("feature.back", "feature"),
    ),
    FT + "sign_off": Mutation(
        fx.feature,
        lambda s, f: f(s, actor=ADMIN, feature_id=1, item_key="planning.scope"),
        _one("feature.sign_off", "feature"),
    ),
    FT + "waive": Mutation(
        fx.feature,
        lambda s, f: f(s, actor=ADMIN, feature_id=1, item_key="design.slo", reason="covered by the service SLOs"),
        _one("feature.waive", "feature"),
    ),
    FT + "save_template": Mutation(
        fx.nothing,
        lambda s, f: f(s, actor=ADMIN, items=TEMPLATE_V2),
        _one("gate_template.create", "gate_template", "3"),
    ),
    "services.demo.seed_features.import_sample_run": Mutation(
        fx.nothing,
        lambda s, f: f(s, actor=ADMIN, service="mana", root=get_settings().loadtests.dir),
        _one("loadtest.import", "loadtest_run"),
    ),
    "services.demo.seed_features.import_capacity_ramp": Mutation(
        fx.nothing,
        lambda s, f: f(s, actor=ADMIN, service="mana", root=get_settings().loadtests.dir),
        _one("loadtest.import", "loadtest_run"),
    ),
    "services.demo.seed_features.seed_demo_features": Mutation(
        fx.nothing,
        lambda s, f: f(
            s, actor=ADMIN, source=_source(), service="mana", loadtest_root=get_settings().loadtests.dir, at=AT
        ),
        _walk(DEMO_FEATURE_WALK),
    ),
    "services.demo.seed_incidents.seed_demo_incidents": Mutation(
        fx.nothing,
        lambda s, f: f(s, actor=ADMIN, end=datetime(2026, 12, 1, tzinfo=UTC), days=30, service="mana"),
        (
            *(("runbook.save", "runbook", f"{rb['key']}@1") for rb in runbooks.DEMO_RUNBOOKS),
            *(("incident.create", "incident", i) for i in "123"),
        ),
    ),
}


def _read(**kwargs: Any) -> Call:
    return lambda s, f: f(s, actor=ADMIN, **kwargs)


READS: dict[str, Call] = {
    "services.preferences.service.display_timezone": _read(),
    "services.alerts.log.history": _read(),
    "services.alerts.log.notifications": _read(),
    AL + "list_rules": _read(),
    AL + "get_rule": _read(rule_id=1),
    "services.audit.service.list_records": _read(),
    "services.audit.service.verify_chain": _read(),
    "services.audit.export.export_records": _read(),
    BOARD + "links": _read(incident_id=1),
    "services.incidents.metrics.incident_frame": _read(),
    "services.incidents.metrics.postmortem_follow_through": _read(),
    "services.incidents.queue.triage_queue": _read(now=AT),
    RB + "runbook_for": _read(incident_id=1),
    INC + "get_incident": _read(incident_id=1),
    INC + "list_incidents": _read(),
    INC + "timeline": _read(incident_id=1),
    INC + "resolution_gaps": _read(incident_id=1),
    LT + "list_runs": _read(),
    LT + "get_run": _read(run_id=1),
    LT + "run_report": _read(run_id=1),
    LT + "reports": _read(),
    QS + "list_saved_queries": _read(),
    QS + "get_saved_query": _read(query_id=1),
    PM + "get_for_incident": _read(incident_id=1),
    PM + "get_postmortem": _read(postmortem_id=1),
    PM + "list_postmortems": _read(),
    TR + "list_runs": _read(),
    TR + "get_run": _read(run_id=1),
    TR + "results": _read(run_id=1),
    TR + "runs_for": _read(services=["mana"], releases=["2026.12.1"], commits=[]),
    TR + "history": _read(service="mana", kind="unit"),
    TR + "summary": _read(service="mana"),
    SB + "list_sets": _read(),
    SB + "get_set": _read(set_id=1),
    SB + "get_version": _read(set_id=1),
    SB + "versions": _read(set_id=1),
    FT + "list_features": _read(),
    FT + "get_feature": _read(feature_id=1),
    FT + "history": _read(feature_id=1),
    FT + "sign_offs": _read(feature_id=1),
    FT + "releases": _read(),
    FT + "board_version": _read(),
    FT + "current_template": _read(),
    FT + "list_templates": _read(),
    FT + "gates": lambda s, f: f(s, actor=ADMIN, source=_source()),
    "services.features.releases.check_release": lambda s, f: f(s, actor=ADMIN, source=_source(), version="2026.12.1"),
    AL + "fired_since": _read(rule_ids=[1], since=AT),
    "services.features.evidence.gather": lambda s, f: f(
        s,
        _source(),
        [],
        actor=ADMIN,
        at=AT,
        checks={},
        loadtest_root=get_settings().loadtests.dir,
    ),
    SL + "list_slos": _read(),
    SL + "get_slo": _read(slo_id=1),
    SL + "get_slo_by_name": _read(name="mana availability"),
    "services.slos.apply.plan_apply": _read(wanted=[RATIO_SLO], prune=True),
}

BOOKKEEPING: dict[str, Bookkeeping] = {
    "services.incidents.severities.definitions": Bookkeeping(
        "stores the default definitions (severities.DEFAULTS, in code) on first use; every edit of them is "
        "update_definition, audited",
        fx.nothing,
        _read(),
        ("severity_definition",),
    ),
    BOARD + "refresh": Bookkeeping(
        "copies a board issue's state and title from the board, which keeps its own history; nobody decides the "
        "copy (a viewer may refresh it)",
        fx.board_link,
        fx.refresh,
        ("board_issue_link",),
    ),
}
