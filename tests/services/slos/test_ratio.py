"""Ratio SLOs: any ratio of two KQL counts is an SLI. A DOPA success-rate SLO on AppDependencies, evaluated on the local
store and through the azure source, equals an independent count from the raw rows in every window; its burn-rate
rules come with it and fire like the others; its queries are checked when it is saved."""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import datetime, timedelta
from pathlib import Path

import pandas as pd
import pytest
from pytest_httpserver import HTTPServer
from sqlalchemy.engine import Engine
from werkzeug import Request, Response

from services.alerts import repository as alert_repo
from services.alerts import worker
from services.auth import Actor
from services.db import session_scope
from services.errors import InvalidInput
from services.slos import service as slo_service
from services.slos.evaluation import SloDefinition, evaluate
from services.slos.schemas import parse_slo_input
from services.slos.series import series
from services.telemetry.local import LocalTelemetrySource
from tests import azure_fake as fake
from tests.telemetry_fixtures import AT, req, write

VIEWER = Actor("vera", "viewer")
LEAD = Actor("lena", "lead")
DOPA = 'AppDependencies | where Target == "api.dopa.go.th"'
GOOD = DOPA + " | where Success == true"
BAD = DOPA + "\n| where Success == false  // failed calls"
RATIO = SloDefinition(7, "DOPA success", "mana", None, "ratio", 99.0, None, 7, good_query=GOOD, total_query=DOPA)
RATIO_BAD = SloDefinition(8, "DOPA failures", "mana", None, "ratio", 99.5, None, 30, bad_query=BAD, total_query=DOPA)
AVAIL = SloDefinition(1, "avail", "mana", None, "availability", 99.0, None, 30)
WINDOWS = {
    "5m": timedelta(minutes=5),
    "30m": timedelta(minutes=30),
    "1h": timedelta(hours=1),
    "6h": timedelta(hours=6),
    "3d": timedelta(days=3),
}


def dep(minutes_ago: float, *, ok: bool = True, target: str = "api.dopa.go.th", count: int = 1) -> dict:
    """One AppDependencies row, `minutes_ago` before AT."""
    return {"TimeGenerated": AT - timedelta(minutes=minutes_ago), "AppRoleName": "mana", "Name": "POST /verify",
            "Target": target, "DependencyType": "HTTP", "Success": ok, "ResultCode": "200" if ok else "503",
            "DurationMs": 80.0, "ItemCount": count}  # fmt: skip


def _deps() -> list[dict]:
    # every 13 minutes over 40 days (so some rows are outside the 7- and 30-day windows), one in 9 failed
    rows = [dep(m, ok=(m // 13) % 9 != 0) for m in range(0, 40 * 24 * 60, 13)]
    rows += [dep(m, ok=False) for m in (0.5, 1.5, 2, 3.5)]  # a burst of failures in the last 5 minutes
    rows.append(dep(2.5, count=4))  # a sampled row standing for 4 calls
    rows += [dep(1, ok=False, target="login.example"), dep(-3, ok=False)]  # another target; after AT: never counted
    return rows


@pytest.fixture
def store(tmp_path: Path) -> LocalTelemetrySource:
    rows = _deps()
    write(tmp_path / "t", "AppDependencies", rows[: len(rows) // 2])
    write(tmp_path / "t", "AppDependencies", rows[len(rows) // 2 :])
    write(tmp_path / "t", "AppRequests", [req(m, ok=m % 10 != 0) for m in range(0, 600, 3)])
    return LocalTelemetrySource(tmp_path / "t")


def _expected(window: timedelta, at: datetime = AT) -> tuple[int, int]:
    """(successful, all) DOPA calls in (at − window, at], counted from the raw rows."""
    df = pd.DataFrame(_deps())
    df = df[(df.TimeGenerated > at - window) & (df.TimeGenerated <= at) & (df.Target == "api.dopa.go.th")]
    return int(df.ItemCount[df.Success].sum()), int(df.ItemCount.sum())


def _check(st, slo: SloDefinition) -> None:
    good, total = _expected(timedelta(days=slo.window_days))
    assert (st.good, st.total) == (good, total)
    assert st.sli == pytest.approx(good / total)
    budget = 1 - slo.objective / 100
    assert st.remaining == pytest.approx(1 - (total - good) / (budget * total))
    for w, span in WINDOWS.items():
        g, t = _expected(span)
        assert st.window_counts[w] == (g, t), w
        assert st.burn_rate(w) == pytest.approx(((t - g) / t) / budget), w


@pytest.mark.parametrize("slo", [RATIO, RATIO_BAD], ids=["good-query", "bad-query"])
def test_a_ratio_slo_equals_an_independent_count_of_the_raw_rows(store: LocalTelemetrySource, slo) -> None:
    statuses = evaluate(store, [AVAIL, slo], actor=VIEWER, at=AT)  # beside a request SLO, in one batch
    st = statuses[1]
    _check(st, slo)
    # 5m: the 4 failures, the sampled row's 4 good calls and the regular call at minute 0 (the first of 9, failed):
    # 4 good of 9, far above the 14.4× page at any of these objectives
    assert st.window_counts["5m"] == (4, 9) and st.alerts[0].short_burn > 14.4
    assert statuses[0].total == 200  # the availability SLO still counts its requests
    frame = series(st)
    assert len(frame) == slo.window_days * 24
    assert (frame["good"].sum(), frame["total"].sum()) == (st.good, st.total)
    assert frame["budget_remaining"].iloc[-1] == pytest.approx(st.remaining)
    hour = AT - timedelta(hours=5)  # one hourly point equals the rows in (t − 1h, t]
    point = frame[frame["TimeGenerated"] == hour].iloc[0]
    g_to, t_to = _expected(timedelta(hours=5))
    g_from, t_from = _expected(timedelta(hours=6))
    assert (point["good"], point["total"]) == (g_from - g_to, t_from - t_to)
    assert st.as_json()["good_query"] == slo.good_query and st.as_json()["total_query"] == DOPA


def test_a_ratio_slo_with_no_rows_is_undefined(store: LocalTelemetrySource) -> None:
    nobody = 'AppEvents | where Name == "Nobody"'
    ghost = SloDefinition(9, "ghost", "mana", None, "ratio", 99.0, None, 30, good_query=nobody, total_query=nobody)
    (st,) = evaluate(store, [ghost], actor=VIEWER, at=AT)
    assert (st.good, st.total, st.sli, st.remaining) == (0, 0, None, 1.0)
    assert all(b is None for b in st.burn_rates.values()) and series(st).empty


def log_analytics_batch(store: LocalTelemetrySource, seen: list[str]) -> Callable[[Request], Response]:
    """Answer a $batch like Log Analytics: each query run over its own timespan, answers in any order."""

    def handler(request: Request) -> Response:
        answers = []
        for r in json.loads(request.get_data())["requests"]:
            body = r["body"]
            seen.append(body["query"])
            start, end = (datetime.fromisoformat(p) for p in body["timespan"].split("/"))
            frame = store.query(body["query"], timespan=(start, end)).frame
            columns = [{"name": str(c), "type": fake._col_type(frame[c])} for c in frame.columns]
            rows = [[fake._cell(v) for v in row] for row in frame.itertuples(index=False, name=None)]
            table = {"name": "PrimaryResult", "columns": columns, "rows": rows}
            answers.append({"id": r["id"], "status": 200, "body": {"tables": [table]}})
        answers.reverse()
        return Response(json.dumps({"responses": answers}), status=200, content_type="application/json")

    return handler


def test_the_azure_source_gives_the_same_figures(store: LocalTelemetrySource, server: HTTPServer, ca_pem: str) -> None:
    seen: list[str] = []
    server.expect_request("/v1/$batch", method="POST").respond_with_handler(log_analytics_batch(store, seen))
    azure = fake.make_source(server, ca_pem)
    on_azure = evaluate(azure, [AVAIL, RATIO, RATIO_BAD], actor=VIEWER, at=AT)
    _check(on_azure[1], RATIO)
    _check(on_azure[2], RATIO_BAD)
    local = evaluate(store, [AVAIL, RATIO, RATIO_BAD], actor=VIEWER, at=AT)
    assert [(s.good, s.total, s.window_counts) for s in on_azure] == [(s.good, s.total, s.window_counts) for s in local]
    # the SLO's own KQL went to Log Analytics as written, followed by the catalogue's counting, with the instants
    # as lets in front (the local store declares them as query parameters: the text stays the same as time moves)
    for query, slo in ((GOOD, RATIO), (BAD, RATIO_BAD)):
        start = f"let catalogue_start = datetime({AT - timedelta(days=slo.window_days):%Y-%m-%dT%H:%M:%S}.000000Z);"
        assert any(q.startswith(start) and f"\n{query}\n| where TimeGenerated > catalogue_start" in q for q in seen)


RATIO_FORM = {"name": "DOPA success", "service": "mana", "kind": "ratio", "objective": 99.0, "window_days": 7,
              "good_query": GOOD, "total_query": DOPA}  # fmt: skip


def test_a_ratio_slo_gets_its_burn_rate_rules_and_they_fire(sqlite_engine: Engine, store: LocalTelemetrySource) -> None:
    with session_scope() as s:
        slo = slo_service.create_slo(s, actor=LEAD, data=parse_slo_input(RATIO_FORM))
        rules = alert_repo.slo_rules(s, slo.id)
        # 7 days: 2 % × 168 h / 1 h = 3.36; 3.36 × 1 % = 3.36 % of events bad
        assert [(r.name, round(r.threshold, 4)) for r in rules] == [
            ("DOPA success: page (fast burn)", 3.36),
            ("DOPA success: page (slow burn)", 1.4),
            ("DOPA success: ticket", 0.2333),
        ]
        assert rules[0].description == (
            "burn rate over 1h and 5m > 3.36× (2% of the 7-day budget in 1h): bad events (total − good query rows) "
            "above 3.36 % of all for the 99 % objective"
        )
    done = worker.evaluate_due(store, now=AT)
    g1, t1 = _expected(WINDOWS["1h"])
    # the fast page: the last hour burns ((t − g) / t) / 1 % and the last 5 minutes 5 bad of 9 → 55.6×: both > 3.36
    fast = next(c for c in done.changes if c.rule == "DOPA success: page (fast burn)")
    assert fast.state == "fired" and fast.value == pytest.approx(((t1 - g1) / t1) / 0.01)


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"good_query": "AppDependencies | wher Success"}, "good_query: KQL syntax error in the good query at line 1"),
        ({"total_query": "AppDependencies |"}, "total_query: KQL syntax error in the total query at line 1"),
        ({"total_query": None}, "a ratio SLO needs a total query"),
        ({"good_query": None}, "a ratio SLO needs a good query (or a bad query) beside its total query"),
        ({"bad_query": BAD}, "a ratio SLO takes a good query or a bad query, not both"),
    ],
)
def test_a_ratio_slo_with_a_bad_query_is_refused_naming_the_query(change: dict, message: str) -> None:
    with pytest.raises(InvalidInput, match="The SLO was not saved") as exc:
        parse_slo_input({**RATIO_FORM, **change})
    assert message in str(exc.value)


def test_other_kinds_keep_no_queries_and_a_ratio_no_operation() -> None:
    a = parse_slo_input({**RATIO_FORM, "kind": "availability"})
    assert (a.good_query, a.bad_query, a.total_query) == (None, None, None)
    r = parse_slo_input({**RATIO_FORM, "operation": "GET /api/shops", "threshold_ms": 300})
    assert (r.operation, r.threshold_ms) == (None, None)
