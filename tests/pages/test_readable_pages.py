"""Readable everywhere (#15.6) through AppTest: what a user reads on the Audit log, Incident metrics, Performance,
Logs and Alert rules pages, with the figures worked out by hand from the fixture rows."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from typing import Any

import pandas as pd
import pyarrow as pa
import pytest
from sqlalchemy.engine import Engine
from streamlit.testing.v1 import AppTest

from app.ui import format as fmt
from services import audit, incident_response
from services.auth import Actor
from services.db import session_scope
from services.incidents import service as incidents
from services.incidents.schemas import parse_incident_input
from tests.pages.conftest import MAIN

TIMEOUT = 60
OPS = Actor("olli", "operator")


def _page(name: str, user: str = "admin") -> AppTest:
    at = AppTest.from_file(MAIN, default_timeout=TIMEOUT)
    at.session_state["auth.user"] = user
    at.run()
    at.switch_page(f"../pages/{name}.py").run()
    assert not at.exception, at.exception
    return at


def _labels(frame_element: Any) -> dict[str, str]:
    """Column name → the label a user reads, from the table's column configuration."""
    return {name: c.get("label", name) for name, c in json.loads(frame_element.proto.columns).items()}


def _chart(at: AppTest, index: int = -1) -> tuple[dict[str, Any], dict[str, pd.DataFrame]]:
    """A chart's Vega-Lite spec and its datasets by name (Streamlit sends the data beside the spec, as Arrow)."""
    proto = at.get("vega_lite_chart")[index].proto
    data = {d.name: pa.ipc.open_stream(d.data.data).read_all().to_pandas() for d in proto.datasets}
    return json.loads(proto.spec), data


def _layer_data(spec: dict[str, Any], data: dict[str, pd.DataFrame], layer: dict[str, Any]) -> pd.DataFrame:
    return data[layer.get("data", spec.get("data", {}))["name"]]


# ---------------------------------------------------------------------------------------------------- format


@pytest.mark.parametrize(
    ("kwargs", "text"),
    [
        ({"minutes": 3310}, "2 d 7 h"),  # 2 × 1440 + 7 × 60 + 10: the two largest units, cut, not rounded
        ({"minutes": 185}, "3 h 5 min"),
        ({"minutes": 120}, "2 h"),
        ({"minutes": 25}, "25 min"),
        ({"minutes": 0.5}, "30 s"),
        ({"seconds": 40}, "40 s"),
        ({"seconds": 93_600}, "1 d 2 h"),
        ({"minutes": float("nan")}, "—"),
        ({"minutes": None}, "—"),
    ],
)
def test_durations_in_words(kwargs: dict[str, float | None], text: str) -> None:
    assert fmt.elapsed(**kwargs) == text


# ---------------------------------------------------------------------------------------------------- audit


def test_the_audit_log_shows_a_record_as_a_diff_without_json_or_microseconds(app_env: Engine) -> None:
    with session_scope(app_env) as s:
        audit.record(
            s,
            actor=OPS,
            action="alert_rule.update",
            entity="alert_rule",
            entity_id=9,
            before={
                "status": "new",
                "detected_at": "2026-12-01T02:26:00.409247+00:00",
                "actions": [{"channel": "email", "target": "a@mana.example"}],
                "steps": ["page the on-call"],
            },
            after={
                "status": "acknowledged",
                "detected_at": "2026-12-01T02:26:00.409247+00:00",
                "actions": [{"channel": "email", "target": "ops@mana.example"}, {"channel": "incident"}],
                "note": "",
                "steps": [],
            },
        )
        audit.record(
            s,
            actor=OPS,
            action="stubset.telemetry",
            entity="stub_set",
            entity_id=1,
            after={"window_start": "2026-11-25T06:12:16.409247+00:00", "stubs": 7},
        )
    at = _page("audit")
    # app_env's two SLOs are records 1 and 2 (with their SLO rules' records after them): ours are the newest two
    table = at.dataframe[0].value
    created, changed = table.iloc[0], table.iloc[1]
    assert (created["entity"], created["changes"]) == ("stub set 1", "window start: 2026-11-25 06:12:16 UTC; stubs: 7")
    assert changed["changes"] == (
        "status: new → acknowledged; actions 1 › target: a@mana.example → ops@mana.example; "
        "steps: page the on-call → none; actions 2 › channel: — → incident; note: — → (empty)"
    )
    picker = at.selectbox(key="audit.record")
    assert picker.value == created["record"]  # the newest record opens first
    assert at.code[0].value.splitlines() == ["+ window start: 2026-11-25 06:12:16 UTC", "+ stubs: 7"]
    picker.set_value(changed["record"]).run()
    assert at.code[0].value.splitlines() == [
        "- status: new",
        "+ status: acknowledged",
        "- actions 1 › target: a@mana.example",
        "+ actions 1 › target: ops@mana.example",
        "- steps: page the on-call",
        "+ steps: none",
        "+ actions 2 › channel: incident",
        "+ note: (empty)",
    ]  # the unchanged detected_at is not repeated
    assert at.code[0].language == "diff"
    assert any("olli (operator) changed alert rule 9 at " in c.value for c in at.caption)


# ------------------------------------------------------------------------------------------- incident metrics


def test_incident_metrics_read_mtta_in_days_and_hours_with_labels_in_words(app_env: Engine) -> None:
    detected = datetime.now(UTC) - timedelta(minutes=3310, seconds=20)
    data = parse_incident_input({"title": "Slow shops", "service": "mana", "severity": "Sev3", "detected_at": detected})
    with session_scope() as s:
        iid = incidents.create_incident(s, actor=OPS, data=data).id
        incident_response.transition(s, actor=OPS, incident_id=iid, to="acknowledged")
    at = _page("incident_metrics")
    table = at.dataframe[0]
    # acknowledged 3310 min 20 s after it was detected: 2 days (2880 min), 7 hours (420 min) and 10 min
    assert table.value[["severity", "incidents", "mtta", "mttr"]].values.tolist() == [["Sev3", 1, "2 d 7 h", "—"]]
    labels = _labels(table)
    assert (labels["mtta"], labels["mttr"], labels["month"]) == (
        "MTTA (mean time to acknowledge)",
        "MTTR (mean time to resolve)",
        "month detected (UTC)",
    )
    assert not any("_min" in c for c in table.value.columns)
    spec, _ = _chart(at)
    assert spec["encoding"]["y"]["title"] == "hours"  # 55 hours: an axis of minutes would read 3,310


def test_incident_metrics_with_no_incident_say_how_to_get_one(app_env: Engine) -> None:
    at = _page("incident_metrics")
    assert "open one by hand on the Triage queue" in at.info[0].value


# ---------------------------------------------------------------------------------------------------- performance


def test_performance_has_an_all_operations_row_from_the_raw_durations(mon_env: datetime) -> None:
    at = _page("performance")
    table = at.dataframe[0]
    ops = table.value
    assert list(ops["Name"]) == ["All operations", "GET /api/shops", "POST /api/orders", "Process settlements"]
    total = ops.iloc[0]
    # the six requests of the day: 100, 300, 50 (shops), 1200, 80 (orders), 900 (settlements) ms
    # sorted 50, 80, 100, 300, 900, 1200; nearest rank: p50 = the 3rd (⌈0.5·6⌉), p95 and p99 = the 6th (⌈0.95·6⌉)
    assert (total["requests"], total["avg_ms"]) == (6, pytest.approx(2630 / 6))
    assert (total["p50_ms"], total["p95_ms"], total["p99_ms"]) == (100.0, 1200.0, 1200.0)
    # a p95 of percentiles would be no p95: the operations' own are 300, 1200 and 900 ms (mean 800)
    assert list(ops["p95_ms"][1:]) == [300.0, 1200.0, 900.0]
    labels = _labels(table)
    assert (labels["Name"], labels["avg_ms"], labels["p95_ms"]) == ("operation", "average (ms)", "p95 (ms)")
    assert at.selectbox(key="performance.operation").options == list(ops["Name"][1:])  # not a pickable operation
    at.selectbox(key="performance.role").set_value("mana").run()
    total = at.dataframe[0].value.iloc[0]
    # without the worker's 900 ms: 50, 80, 100, 300, 1200; p50 = the 3rd, p95 = the 5th (⌈0.95·5⌉)
    assert (total["Name"], total["requests"], total["avg_ms"]) == ("All operations", 5, 346.0)
    assert (total["p50_ms"], total["p95_ms"]) == (100.0, 1200.0)


def test_failures_tables_label_their_columns_and_put_the_counts_first(mon_env: datetime) -> None:
    at = _page("failures")
    exceptions, deps = at.dataframe[2], at.dataframe[3]
    assert list(exceptions.proto.column_order)[:2] == ["exceptions", "share"]
    assert _labels(deps)["failed_calls"] == "failed calls" and _labels(deps)["Target"] == "target"
    assert _labels(at.dataframe[0])["failed"] == "failed requests"


# ---------------------------------------------------------------------------------------------------- logs


def _run(at: AppTest, kql: str) -> AppTest:
    at.text_area[0].input(kql)
    at.button(key="logs.run").click().run()
    assert not at.exception, at.exception
    return at


def test_logs_charts_a_result_without_time_as_bars_by_its_first_text_column(app_env: Engine) -> None:
    at = _run(
        _page("logs"),
        "AppRequests | summarize requests = count(), failed = countif(Success == false) by ResultCode"
        " | order by requests desc",
    )
    spec, data = _chart(at)
    assert spec["mark"]["type"] == "bar"
    y, x = spec["encoding"]["y"], spec["encoding"]["x"]
    assert (y["field"], y["title"], x["field"], x["title"]) == ("label", "ResultCode", "value", "requests")
    bars = _layer_data(spec, data, spec)
    # app_env: 200 requests, every 10th a 500; in the query's order, busiest first
    assert list(zip(bars["label"], bars["value"], strict=True)) == [("200", 180.0), ("500", 20.0)]
    at.selectbox(key="logs.chart.measure").set_value("failed").run()
    spec, data = _chart(at)
    assert spec["encoding"]["x"]["title"] == "failed"
    assert list(_layer_data(spec, data, spec)["value"]) == [0.0, 20.0]


def test_logs_shows_times_to_the_second_and_one_row_of_figures_as_metrics(app_env: Engine) -> None:
    at = _run(_page("logs"), "AppRequests | project TimeGenerated, Name | take 3")
    config = json.loads(at.dataframe[0].proto.columns)["TimeGenerated"]
    assert (config["label"], config["type_config"]["format"]) == ("TimeGenerated (UTC)", "YYYY-MM-DD HH:mm:ss")
    _run(at, "AppRequests | summarize n = count(), slow = countif(DurationMs > 300)")
    assert {m.label: m.value for m in at.metric} == {"n": "200", "slow": "50"}  # every 4th is 450 ms


# ---------------------------------------------------------------------------------------------------- alert rules


def _fill(at: AppTest, **values: str) -> None:
    for key, value in values.items():
        widget = at.text_area(key=f"alerts.form.new.{key}") if key == "query" else None
        (widget or at.text_input(key=f"alerts.form.new.{key}")).input(value)


def test_the_backtest_is_a_timeline_with_the_threshold_and_the_firing_periods(app_env: Engine) -> None:
    at = _page("alert_rules", user="lead")
    _fill(at, name="shops failures", query="AppRequests | where Success == false", threshold="1")
    at.number_input(key="alerts.form.new.window").set_value(15)
    at.button(key="alerts.form.new.backtest").click().run()
    assert not at.exception, at.exception
    spec, data = _chart(at)
    rects, line, threshold = spec["layer"]
    assert [layer["mark"]["type"] for layer in spec["layer"]] == ["rect", "line", "rule"]
    assert threshold["encoding"]["y"]["datum"] == 1.0 and threshold["mark"]["strokeDash"] == [6, 4]
    assert (rects["encoding"]["x"]["field"], rects["encoding"]["x2"]["field"]) == ("start", "end")
    assert line["encoding"]["y"]["title"] == "Count of rows over 15 min"
    # failures 10·j min + 30 s before now (j = 0 … 19); evaluations every 5 min back from now: a 15-min window
    # ending 10·m min ago holds two (j = m, m + 1), one ending 10·m + 5 min ago one. So it fires at the 19
    # evaluations 0, 10, … 180 min ago and resolves 5 min after each: 18 periods of 5 min, and the newest still on
    periods = _layer_data(spec, data, rects)
    assert len(periods) == 19
    values = _layer_data(spec, data, line)
    assert len(values) == 7 * 24 * 12  # a point per evaluation over the 7 days
    (said,) = [c.value for c in at.caption if c.value.startswith("Fired")]
    assert said.startswith("Fired 19 times in 7 days, for 1 h 30 min in all (shaded). Dashed line: the threshold 1;")


def test_a_rule_without_actions_is_saved_only_once_confirmed(app_env: Engine) -> None:
    at = _page("alert_rules", user="lead")
    _fill(at, name="quiet rule", query="AppRequests | where Success == false", threshold="3")
    at.run()
    (warning,) = [w for w in at.warning if "no action" in w.value]
    assert "nobody is told and no incident is opened" in warning.value
    assert at.button(key="alerts.form.new.save").disabled
    at.checkbox(key="alerts.form.new.no_action").check().run()
    assert not at.button(key="alerts.form.new.save").disabled
    at.button(key="alerts.form.new.save").click().run()
    assert any("Rule 'quiet rule' saved" in x.value for x in at.success)


def test_a_rule_with_an_action_saves_without_the_warning(app_env: Engine) -> None:
    from services.alerts import service as alert_service
    from services.alerts.seeds import seed_team_rules

    with session_scope() as s:
        seed_team_rules(s, actor=Actor("lead", "lead"))
        lock = next(r for r in alert_service.list_rules(s, actor=Actor("lead", "lead")) if r.name.endswith("lock it"))
        lock_id = lock.id
    at = _page("alert_rules", user="lead")
    rules = at.dataframe[0]
    assert _labels(rules)["condition"] == "fires when"
    row = rules.value.set_index("name").loc[lock.name]
    assert row["condition"] == "Count of rows > 10 over 15 min per account, every 5 min"
    assert row["actions"] == "webhook"
    assert "slo_burn" not in rules.value.to_string()
    at.selectbox(key="alerts.pick").set_value(lock_id).run()
    assert not [w for w in at.warning if "no action" in w.value]
    assert not at.button(key=f"alerts.form.{lock_id}.save").disabled
