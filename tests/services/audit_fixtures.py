"""What the audit coverage cases set up: a few rows through the services, on a fresh database (ids start at 1)."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

from sqlalchemy.orm import Session

from services.alerts import service as alerts
from services.auth import Actor
from services.config import get_settings
from services.demo.live import live
from services.features import service as features
from services.features.schemas import parse_feature_input
from services.incidents import board_issues, runbooks, severities
from services.incidents import service as incidents
from services.incidents.schemas import IncidentInput
from services.loadtests import service as loadtests
from services.loadtests.schemas import ImportOptions, InputFile
from services.postmortems import service as postmortems
from services.saved_queries import service as saved_queries
from services.slos import service as slos
from services.slos.schemas import SloInput
from services.stubs import service as stubs
from services.telemetry.local import LocalTelemetrySource
from services.testruns import service as testruns
from services.testruns.schemas import parse_run_options
from tests.board_fakes import FakeBoard
from tests.telemetry_fixtures import AT, req, write

ADMIN = Actor("ada", "admin")
FIXTURES = Path(__file__).resolve().parents[1] / "fixtures"
CLEF = FIXTURES / "clef" / "compact.clef"
K6_SUMMARY = FIXTURES / "k6" / "summary.json"
INCIDENT = IncidentInput(title="DOPA identity verification timing out", service="mana", severity="Sev2")
SLO = SloInput(name="mana availability", service="mana", kind="availability", objective=99.0)
FEATURE = parse_feature_input(
    {"title": "Shop search filters", "service": "mana", "operations": ["GET /api/shops"], "release": "2026.12.1"}
)
RULE = {
    "name": "failed logins per account > 5 in 15 min",
    "query": 'AppEvents | where Name == "LoginFailed" | extend account = tostring(Properties.account)',
    "aggregation": "Count",
    "dimension": "account",
    "threshold": 5,
    "window_min": 15,
    "severity": "Sev3",
    "actions": [{"channel": "email", "target": "ops@mana.example"}],
}


def nothing(_s: Session) -> None:
    """No setup: the call works on an empty database."""


def store() -> Path:
    """The test's telemetry folder."""
    return get_settings().telemetry.dir


def incident(s: Session) -> None:
    """Incident 1, a new Sev2 nobody has."""
    incidents.create_incident(s, actor=ADMIN, data=INCIDENT)


def two_incidents(s: Session) -> None:
    """Incidents 1 and 2, both new."""
    incident(s)
    incidents.create_incident(s, actor=ADMIN, data=INCIDENT.model_copy(update={"title": "Logins fail"}))


def postmortem(s: Session) -> None:
    """Incident 1 with postmortem 1, a draft with one action item."""
    incident(s)
    postmortems.ensure_postmortem(s, actor=ADMIN, incident_id=1)
    items = [{"text": "Queue DOPA verifications while DOPA is down", "owner": "ada"}]
    postmortems.update_postmortem(s, actor=ADMIN, postmortem_id=1, fields={"action_items": items})


def board_link(s: Session) -> None:
    """Incident 1 with its board issue (link 1)."""
    incident(s)
    inc = incidents.get_incident(s, actor=ADMIN, incident_id=1)
    board_issues.open_issue(s, actor=ADMIN, incident=inc, board=FakeBoard())


def runbook(s: Session) -> None:
    """Runbook 1, dopa-timeouts v1."""
    runbooks.save_runbook(
        s,
        actor=ADMIN,
        key="dopa-timeouts",
        title="DOPA timeouts",
        steps=["Check DOPA's status page", "Switch to the queued fallback"],
        signature={"service": "mana", "dependency": "api.dopa.go.th"},
    )


def incident_and_runbook(s: Session) -> None:
    """Incident 1 and runbook 1."""
    incident(s)
    runbook(s)


def slo(s: Session) -> None:
    """SLO 1."""
    slos.create_slo(s, actor=ADMIN, data=SLO)


def rule(s: Session) -> None:
    """Alert rule 1."""
    alerts.create_rule(s, actor=ADMIN, data=RULE)


def query(s: Session) -> None:
    """Saved query 1."""
    saved_queries.save_query(s, actor=ADMIN, name="slow requests", text="AppRequests | where DurationMs > 300")


def loadtest_run(s: Session) -> None:
    """Load-test run 1, from the committed k6 summary."""
    files = [InputFile(K6_SUMMARY, "summary.json")]
    root = get_settings().loadtests.dir
    loadtests.import_run(s, actor=ADMIN, files=files, options=ImportOptions(service="mana"), root=root)


def small_files(_s: Session) -> None:
    """Two small AppRequests files, for compaction to merge."""
    for minutes in (1, 2):
        write(store(), "AppRequests", [req(minutes)])


def aged_files(_s: Session) -> None:
    """AppRequests files for retention (30 days) to hide whole (40 days before AT) and to rewrite (40 days and a minute
    before AT: a new file holds the newer row)."""
    write(store(), "AppRequests", [req(40 * 24 * 60)])
    write(store(), "AppRequests", [req(40 * 24 * 60), req(1)])


def feature(s: Session) -> None:
    """Feature 1, in Planning on template version 1."""
    features.create_feature(s, actor=ADMIN, data=FEATURE)


def feature_signed(s: Session) -> None:
    """Feature 1 with its only required Planning item signed off, so it may advance."""
    feature(s)
    features.sign_off(s, actor=ADMIN, feature_id=1, item_key="planning.scope")


def feature_in_analysis(s: Session) -> None:
    """Feature 1, advanced to Analysis."""
    feature_signed(s)
    features.advance(s, actor=ADMIN, source=LocalTelemetrySource(store()), feature_id=1)


TEST_REPORT = Path(__file__).resolve().parents[2] / "services" / "demo" / "testruns" / "unit-2026.12.1-a.xml"


def test_run(s: Session) -> None:
    """Test run 1: five unit tests of mana 2026.12.1, one failed."""
    options = parse_run_options({"service": "mana", "kind": "unit", "release": "2026.12.1"})
    testruns.import_run(s, actor=ADMIN, files=[("unit.xml", TEST_REPORT)], options=options, max_bytes=1 << 20)


STUB = b'{"request": {"method": "POST", "urlPath": "/verify"}, "response": {"status": 200}}'


def dopa_calls(_s: Session) -> None:
    """AppDependencies rows of calls to api.dopa.go.th in the hour before AT."""
    from tests.services.stubs.test_build import ROWS

    write(store(), "AppDependencies", ROWS)


def stub_set(s: Session) -> None:
    """Stub set 1, DOPA, version 1: one uploaded stub."""
    stubs.upload(s, actor=ADMIN, name="DOPA", target="api.dopa.go.th", file_name="dopa.json", data=STUB)


def world(s: Session) -> None:
    """One of everything the reads read."""
    postmortem(s)
    board_issues.open_issue(
        s, actor=ADMIN, incident=incidents.get_incident(s, actor=ADMIN, incident_id=1), board=FakeBoard()
    )
    for setup in (runbook, slo, rule, query, loadtest_run, feature, test_run, stub_set):
        setup(s)
    severities.definitions(s, actor=ADMIN)


def refresh(s: Session, fn: Callable[..., Any]) -> object:
    """Refresh link 1 from a board on which its issue was closed since."""
    board = FakeBoard(states={"1": "closed"})
    board.create_issue(board_issues.request_for(incidents.get_incident(s, actor=ADMIN, incident_id=1)))
    return fn(s, actor=ADMIN, link_id=1, board=board)


def live_run(s: Session, fn: Callable[..., Any]) -> object:
    """What `demo live` does: record the run's start, then write its first tick."""
    fn(s, actor=ADMIN, root=store(), interval_s=5.0)
    return live(store(), interval_s=5.0, seed=1, iterations=1, now_fn=lambda: AT)
