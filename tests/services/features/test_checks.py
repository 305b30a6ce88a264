"""Every data-checked gate item, passing and failing, with the exact reason a user reads on the feature page."""

from __future__ import annotations

import gzip
import json
from datetime import timedelta

from sqlalchemy.engine import Engine

from services.alerts import service as alerts
from services.config import get_settings
from services.db import session_scope
from services.incidents import service as incidents
from services.incidents.schemas import IncidentInput
from services.loadtests import service as loadtests
from services.loadtests.schemas import ImportOptions, InputFile
from services.postmortems import service as postmortems
from services.slos import service as slos
from services.slos.schemas import SloInput
from tests.services.features.conftest import LEAD, create, judge
from tests.telemetry_fixtures import AT, req, write

K6 = __import__("pathlib").Path(__file__).resolve().parents[2] / "fixtures" / "k6"


def item(engine: Engine, feature_id: int, key: str):
    return next(i for i in judge(engine, feature_id).items if i.key == key)


def tel():
    return get_settings().telemetry.dir


def service_slos(s) -> None:
    slos.seed_team_targets(s, actor=LEAD)


def test_an_slo_covers_each_operation_or_the_service_wide_ones_are_declared(db: Engine) -> None:
    with session_scope(db) as s:
        service_slos(s)
        plain = create(s)
        declared = create(s, service_slos_cover=True)
        slos.create_slo(s, actor=LEAD, data=SloInput(name="shops latency", service="mana", operation="GET /api/shops",
                                                     kind="latency", objective=99.5, threshold_ms=200))  # fmt: skip
        orders = create(s, operations=["POST /api/orders"])
    assert item(db, plain, "design.slo").state == "passed"
    assert item(db, plain, "design.slo").detail == "GET /api/shops: shops latency"
    assert item(db, declared, "design.slo").detail == "GET /api/shops: mana availability, mana latency, shops latency"
    missing = item(db, orders, "design.slo")
    assert missing.state == "open"
    assert missing.detail == (
        "No SLO covers POST /api/orders; the service-wide SLOs of mana (mana availability, mana latency) cover it "
        "once the feature declares so."
    )


def test_an_alert_rule_watches_the_operations_by_name_or_by_the_slo_it_burns(db: Engine) -> None:
    with session_scope(db) as s:
        named = create(s, operations=["GET /api/shops", "POST /api/orders"])
        alerts.create_rule(s, actor=LEAD, data={
            "name": "orders failing", "query": 'AppRequests | where Name == "POST /api/orders" and Success == false',
            "threshold": 5, "actions": [{"channel": "email", "target": "ops@mana.example"}]})  # fmt: skip
        nobody = create(s, operations=["GET /api/orders/{id}"])
    assert item(db, named, "design.alert").detail == "orders failing (its query names POST /api/orders)"
    open_ = item(db, nobody, "design.alert")
    assert (open_.state, open_.detail) == (
        "open",
        "No enabled alert rule names GET /api/orders/{id} in its query or burns an SLO covering it; add one on the "
        "Alert rules page.",
    )


def test_operations_seen_in_telemetry_count_the_last_7_days_and_name_the_ones_never_seen(db: Engine) -> None:
    write(tel(), "AppRequests", [req(5), req(65, count=3), req(60 * 24 * 8, count=100)])  # the last is 8 days old
    with session_scope(db) as s:
        seen = create(s)
        typo = create(s, operations=["GET /api/shops", "GET /api/shop"])
    ok = item(db, seen, "implementation.telemetry")
    assert (ok.state, ok.detail) == ("passed", "GET /api/shops: 4 requests, last at 2026-11-01 11:55 UTC")
    bad = item(db, typo, "implementation.telemetry")
    assert bad.state == "open"
    assert bad.detail.startswith("GET /api/shop served no request of mana in the last 7 days of telemetry")


def _exception(minutes_ago: float, kind: str, *, handled: str = "Unhandled") -> dict:
    return {"TimeGenerated": AT - timedelta(minutes=minutes_ago), "AppRoleName": "mana",
            "OperationName": "GET /api/shops", "ExceptionType": kind, "HandledAt": handled, "ItemCount": 1}  # fmt: skip


def test_an_unhandled_exception_type_first_seen_in_the_last_24_hours_is_new(db: Engine) -> None:
    write(tel(), "AppExceptions", [
        _exception(60 * 24 * 3, "System.TimeoutException"), _exception(30, "System.TimeoutException"),
        _exception(90, "System.NullReferenceException"), _exception(80, "System.NullReferenceException"),
        _exception(10, "System.FormatException", handled="UserCode"),
    ])  # fmt: skip
    with session_scope(db) as s:
        fid = create(s)
    new = item(db, fid, "implementation.exceptions")
    assert new.state == "open"
    assert new.detail == (
        "Unhandled exception types new in the last 24 h: System.NullReferenceException on GET /api/shops: 2 since "
        "2026-11-01 10:30 UTC."
    )


def test_no_new_exception_type_passes_and_says_how_many_were_known(db: Engine) -> None:
    write(
        tel(),
        "AppExceptions",
        [_exception(60 * 24 * 3, "System.TimeoutException"), _exception(30, "System.TimeoutException")],
    )
    with session_scope(db) as s:
        fid = create(s)
    ok = item(db, fid, "implementation.exceptions")
    assert (ok.state, ok.detail) == (
        "passed",
        "No new unhandled exception type in the last 24 h (1 type(s) known from the 7 days before).",
    )


def _points(name: str) -> tuple[int, int]:
    """(failed, all) http_req_failed points of one request name, read from the fixture's raw k6 output."""
    failed = total = 0
    with gzip.open(K6 / "out.ndjson.gz", "rt") as fh:
        for line in fh:
            p = json.loads(line)
            if p.get("type") == "Point" and p["metric"] == "http_req_failed" and p["data"]["tags"].get("name") == name:
                total += 1
                failed += int(p["data"]["value"])
    return failed, total


def test_a_k6_run_of_the_release_judges_each_operation_by_the_slos_covering_it(db: Engine) -> None:
    with session_scope(db) as s:
        service_slos(s)
        loadtests.import_run(s, actor=LEAD, files=[InputFile(K6 / "summary.json", "summary.json"),
                                                    InputFile(K6 / "out.ndjson.gz", "out.ndjson.gz")],
                             options=ImportOptions(service="mana", git_ref="2026.12.1"),
                             root=get_settings().loadtests.dir)  # fmt: skip
        shops = create(s, release="2026.12.1", service_slos_cover=True)
        orders = create(s, operations=["GET /api/orders"], release="2026.12.1", service_slos_cover=True)
        unnamed = create(s, operations=["POST /api/orders"], release="2026.12.1", service_slos_cover=True)
        other = create(s, release="2026.12.2", service_slos_cover=True)
    assert item(db, shops, "testing.load_test").state == "passed"
    failed, total = _points("GET /api/orders")
    assert failed and total
    miss = item(db, orders, "testing.load_test")
    assert miss.state == "open"
    assert (
        f"mana availability: (all requests named 'GET /api/orders' − failed) / all requests named 'GET /api/orders' "
        f"= {total - failed:,} / {total:,} = {(total - failed) / total * 100:.3f} % vs objective 99 %"
    ) in miss.detail
    assert [(x.page, dict(x.params)) for x in miss.links] == [("loadtests", {"run": "1"})]
    assert item(db, unnamed, "testing.load_test").detail.startswith(
        "No k6 run of 2026.12.1 covers POST /api/orders (run #1 named its requests GET /api/orders, GET /api/shops, "
        "POST /api/cart"
    )
    assert item(db, other, "testing.load_test").detail.startswith("No k6 run of 2026.12.2 covers GET /api/shops:")


def test_the_alert_rules_watching_the_feature_are_backtested_over_7_days(db: Engine) -> None:
    write(tel(), "AppRequests", [req(60 * 24 * 2 + m, ok=False) for m in range(6)] + [req(10)])
    with session_scope(db) as s:
        fid = create(s)
        alerts.create_rule(s, actor=LEAD, data={
            "name": "shops failing", "query": 'AppRequests | where Name == "GET /api/shops" and Success == false',
            "threshold": 5, "window_min": 15, "frequency_min": 5,
            "actions": [{"channel": "email", "target": "ops@mana.example"}]})  # fmt: skip
        quiet = create(s, operations=["GET /api/orders"])
        alerts.create_rule(s, actor=LEAD, data={
            "name": "orders failing", "query": 'AppRequests | where Name == "GET /api/orders" and Success == false',
            "threshold": 5, "actions": [{"channel": "email", "target": "ops@mana.example"}]})  # fmt: skip
    loud = item(db, fid, "testing.alert_backtest")
    assert loud.state == "open"
    assert loud.detail.startswith("In the last 7 days: shops failing would have fired 1 time(s), first at 2026-10-30 ")
    ok = item(db, quiet, "testing.alert_backtest")
    assert (ok.state, ok.detail) == ("passed", "Quiet over the last 7 days: orders failing.")


def test_within_slo_since_the_hour_the_release_was_first_seen(db: Engine) -> None:
    old = [req(60 * 24 * 3 + m, ok=False, version="2026.11.5") for m in range(50)]  # before the release: not counted
    new = [req(170 - m, version="2026.12.1", ok=m % 10 != 0) for m in range(100)]
    write(tel(), "AppRequests", old + new)
    with session_scope(db) as s:
        service_slos(s)
        fid = create(s, release="2026.12.1", service_slos_cover=True)
        gone = create(s, release="2026.10.1", service_slos_cover=True)
    got = item(db, fid, "maintenance.slo")
    assert got.state == "open"
    assert got.detail == (
        "Since 2026-11-01 09:00 UTC (the hour in which 2026.12.1 first served them): GET /api/shops mana availability: "
        "90 / 100 = 90.000 % vs 99 %; GET /api/shops mana latency: 100 / 100 = 100.000 % vs 99 %."
    )
    assert item(db, gone, "maintenance.slo").detail == (
        "Release 2026.10.1 served no request of GET /api/shops in the last 30 days of telemetry."
    )


def test_open_incidents_touching_the_operations_are_listed_and_postmortems_asked_for(db: Engine) -> None:
    with session_scope(db) as s:
        fid = create(s)
        inc = incidents.create_incident(s, actor=LEAD, data=IncidentInput(
            title="Shops slow", service="mana", severity="Sev2", operation="GET /api/shops"))  # fmt: skip
        incidents.create_incident(s, actor=LEAD, data=IncidentInput(
            title="Orders down", service="mana", severity="Sev1", operation="POST /api/orders"))  # fmt: skip
        inc_id = inc.id
    listed = item(db, fid, "maintenance.incidents")
    assert (listed.state, listed.detail) == (
        "open",
        f"Open incidents on its operations: #{inc_id} Sev2 new: Shops slow.",
    )
    assert item(db, fid, "maintenance.postmortems").state == "passed"
    with session_scope(db) as s:
        for to in ("acknowledged", "mitigating", "resolved"):
            incidents.transition(s, actor=LEAD, incident_id=inc_id, to=to)
    missing = item(db, fid, "maintenance.postmortems")
    assert (missing.state, missing.detail) == ("open", f"Resolved incidents without a postmortem: #{inc_id} Sev2.")
    with session_scope(db) as s:
        postmortems.ensure_postmortem(s, actor=LEAD, incident_id=inc_id)
    linked = item(db, fid, "maintenance.postmortems")
    assert (linked.state, linked.detail) == ("passed", f"Postmortems: #{inc_id} (draft).")
    assert item(db, fid, "maintenance.incidents").state == "passed"
