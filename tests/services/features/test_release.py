"""`release check`: go only with every feature through Testing & Integration, budget left and no Sev0/Sev1 open."""

from __future__ import annotations

import json

import pytest
from sqlalchemy.engine import Engine

from services.cli import main
from services.config import get_settings
from services.db import session_scope
from services.features import service
from services.features.releases import check_release
from services.incidents import service as incidents
from services.incidents.schemas import IncidentInput
from services.slos import service as slos
from tests.services.features.conftest import LEAD, VIEWER, create, source
from tests.telemetry_fixtures import AT, req, write

TESTING_ITEMS = ("testing.load_test", "testing.security", "testing.alert_backtest")


def ready(s, **fields) -> int:
    """A contributed bug at Testing & Integration with its items waived: ready for its release."""
    fid = create(s, entry="bug", release="2026.12.1", **fields)
    for key in TESTING_ITEMS:
        service.waive(s, actor=LEAD, feature_id=fid, item_key=key, reason="tested by hand")
    return fid


def run_cli(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str, str]:
    code = main(["--actor", "admin", *args])
    out = capsys.readouterr()
    return code, out.out, out.err


def test_go_exits_0_and_the_json_names_each_feature(db: Engine, capsys: pytest.CaptureFixture[str]) -> None:
    with session_scope(db) as s:
        fid = ready(s)
        create(s, release="2026.12.2")  # another release's feature does not count
    code, out, _ = run_cli(capsys, "release", "check", "2026.12.1", "--json")
    body = json.loads(out)
    assert code == 0
    assert (body["release"], body["go"], body["reasons"]) == ("2026.12.1", True, [])
    assert body["features"] == [{"id": fid, "title": "Shop search filters", "phase": "testing", "open_items": []}]


def test_no_go_exits_1_with_each_reason(db: Engine, capsys: pytest.CaptureFixture[str]) -> None:
    with session_scope(db) as s:
        ready(s)
        early = create(s, title="Order history paging", release="2026.12.1")
    code, out, _ = run_cli(capsys, "release", "check", "2026.12.1")
    assert code == 1
    lines = out.splitlines()
    assert lines[0] == "release 2026.12.1: NO-GO"
    assert (
        f"  - Feature #{early} 'Order history paging' is in Planning; a release needs its features at "
        "Testing & Integration or later."
    ) in lines
    assert (
        f"  - Feature #{early} 'Order history paging': planning.scope (Scope, owner and target release agreed) is "
        "open: Waiting for a sign-off"
    ) in lines
    code, out, _ = run_cli(capsys, "release", "check", "2026.12.1", "--json")
    body = json.loads(out)
    assert (code, body["go"]) == (1, False)
    assert body["features"][1]["open_items"][:2] == ["planning.scope", "analysis.requirements"]


def test_an_slo_without_budget_and_an_open_sev1_make_it_no_go(db: Engine) -> None:
    # 100 requests in the last hour, 5 failed: a 99 % objective allows 1
    write(get_settings().telemetry.dir, "AppRequests", [req(m % 60, ok=m >= 5) for m in range(100)])
    with session_scope(db) as s:
        ready(s)
        slos.seed_team_targets(s, actor=LEAD)
        incidents.create_incident(s, actor=LEAD, data=IncidentInput(title="Orders down", service="mana",
                                                                     severity="Sev1"))  # fmt: skip
        incidents.create_incident(s, actor=LEAD, data=IncidentInput(title="Typo", service="mana", severity="Sev3"))
        verdict = check_release(s, actor=VIEWER, source=source(), version="2026.12.1", at=AT)
    assert verdict.go is False
    assert verdict.reasons == [
        "SLO 'mana availability' has no error budget left: -400.0% remaining over 30 days (5 bad of 100 requests, "
        "1 allowed).",
        "Incident #1 (Sev1, new) is open on mana: Orders down",
    ]


def test_an_unknown_release_says_which_releases_there_are(db: Engine, capsys: pytest.CaptureFixture[str]) -> None:
    with session_scope(db) as s:
        ready(s)
    code, out, err = run_cli(capsys, "release", "check", "2027.1.1")
    assert (code, out) == (2, "")
    assert err == "error: No feature targets release '2027.1.1'; releases with features: 2026.12.1.\n"


def test_feature_commands_create_show_advance_refused_and_waive(db: Engine, capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run_cli(
        capsys, "feature", "create", "--title", "Cart", "--service", "mana", "--operation", "POST /api/cart",
        "--operation", "GET /api/cart", "--release", "2026.12.1", "--entry", "pull-request",
    )  # fmt: skip
    fid = int(out.splitlines()[-1])
    assert code == 0
    code, out, _ = run_cli(capsys, "feature", "show", str(fid), "--json")
    shown = json.loads(out)
    assert (shown["phase"], shown["operations"], shown["release"]) == (
        "implementation",
        ["POST /api/cart", "GET /api/cart"],
        "2026.12.1",
    )
    unit = next(i for i in shown["items"] if i["key"] == "implementation.unit_tests")
    assert {k: unit[k] for k in ("phase", "title", "required", "kind", "state")} == {
        "phase": "implementation", "title": "Unit tests passed", "required": True, "kind": "data", "state": "open"
    }  # fmt: skip
    code, _, err = run_cli(capsys, "feature", "advance", str(fid))
    assert code == 2
    assert err.startswith(f"error: Feature #{fid} cannot leave Implementation: 3 required item(s) open.\n")
    assert (
        "- implementation.telemetry (Operations seen in telemetry): POST /api/cart, GET /api/cart served no request"
        in err
    )
    code, _, err = run_cli(capsys, "feature", "sign-off", str(fid), "testing.security")
    assert (code, err) == (
        2,
        "error: 'testing.security' needs evidence: give a link (pipeline run, report) or a note.\n",
    )
    code, out, _ = run_cli(capsys, "feature", "waive", str(fid), "implementation.telemetry", "--reason", "not deployed")
    assert (code, out) == (0, f"waived implementation.telemetry of feature #{fid}\n")
    code, out, _ = run_cli(capsys, "feature", "list", "--json")
    listed = json.loads(out)
    assert [(r["id"], r["gate"]) for r in listed] == [(fid, {"passed": 1, "open": 3, "waived": 1})]
