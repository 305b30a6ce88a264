"""Live metrics, Business metrics and Logs (saved queries, charts, row cap, CLEF upload) through AppTest."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pyarrow as pa
import pytest
import streamlit as st
import time_machine
from sqlalchemy.engine import Engine
from streamlit.testing.v1 import AppTest

from services import audit
from services.auth import Actor
from services.config import get_settings
from services.db import session_scope
from services.saved_queries import service as saved
from services.telemetry.store import table_files
from tests.markdown_text import shown
from tests.pages.conftest import ROOT
from tests.pages.test_pages import SEEDED
from tests.telemetry_fixtures import write

TIMEOUT = 60
FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "clef"


def _app(page: str, user: str | None = None) -> AppTest:
    """The page file on its own (the router is covered by the other page tests and the browser test)."""
    at = AppTest.from_file(str(ROOT / "pages" / f"{page}.py"), default_timeout=TIMEOUT)
    if user:
        at.session_state["auth.user"] = user
    at.run()
    assert not at.exception, at.exception
    return at


def _metrics(at: AppTest) -> dict[str, str]:
    return {m.label: m.value for m in at.metric}


def _texts(at: AppTest, kind: str) -> str:
    return " ".join(x.value for x in getattr(at, kind))


@pytest.fixture
def busy(app_env: Engine, isolated_settings: Path) -> Engine:
    """app_env's 200 requests plus dependency calls, exceptions, custom events and metrics of the last minutes."""
    now = datetime.now(UTC)
    root = isolated_settings / "telemetry"

    def at(minutes: float) -> datetime:
        return now - timedelta(minutes=minutes)

    write(
        root,
        "AppDependencies",
        [
            {"TimeGenerated": at(m), "AppRoleName": "mana", "Target": "api.dopa.go.th", "Success": ok, "ItemCount": 1}
            for m, ok in [(0.2, True), (1.2, False), (2.2, True), (30, False)]
        ],
    )
    write(
        root,
        "AppExceptions",
        [{"TimeGenerated": at(1), "AppRoleName": "mana", "ExceptionType": "System.TimeoutException", "ItemCount": 1}],
    )
    events = [("LoginFailed", '{"account": "somchai"}')] * 3 + [("LoginFailed", '{"account": "anong"}')]
    events += [("DopaVerification", '{"outcome": "verified"}')] * 3 + [("DopaVerification", '{"outcome": "timeout"}')]
    write(
        root,
        "AppEvents",
        [
            {"TimeGenerated": at(10 + i), "AppRoleName": "mana", "Name": n, "Properties": p, "ItemCount": 1}
            for i, (n, p) in enumerate(events)
        ],
    )
    write(
        root,
        "AppMetrics",
        [
            {"TimeGenerated": at(m), "AppRoleName": "mana", "Name": "orders.value", "Sum": s, "ItemCount": c}
            for m, s, c in [(5, 1500.0, 2), (65, 250.0, 1)]
        ],
    )
    return app_env


def test_live_metrics_shows_the_last_five_minutes(busy: Engine) -> None:
    at = _app("live_metrics")
    m = _metrics(at)
    # the last 5 minutes hold requests i = 0..4 of app_env (one a minute), i = 0 failed; 450 ms for i = 0 and 4
    assert m["Incoming requests/s"] == "0.017"  # 5 / 300 s
    assert m["Failed requests/s"] == "0.003"  # 1 / 300 s
    assert m["p95 duration"] == "450 ms"
    assert m["Dependency calls/s"] == "0.010"  # 3 / 300 s; the one 30 minutes ago is outside
    assert m["Failed dependency calls"] == "1"
    assert at.dataframe[0].value["ExceptionType"].tolist() == ["System.TimeoutException"]
    caption = _texts(at, "caption")
    assert "Newest timestamp seen:" in caption and "s before now" in caption
    assert "ingestion delay" in _texts(at, "markdown") + caption


def test_live_metrics_without_telemetry_says_so(sqlite_engine: Engine) -> None:
    st.cache_data.clear()  # a snapshot of another test's store may be cached for the same 5 s
    at = _app("live_metrics")
    assert _metrics(at)["Incoming requests/s"] == "0.000"
    assert "No telemetry from mana in the last 24 hours" in _texts(at, "info")
    assert "Newest timestamp seen: none" in _texts(at, "caption")


def test_business_metrics_page(busy: Engine) -> None:
    at = _app("business")
    m = _metrics(at)
    assert m["Failed logins"] == "4"
    assert m["DOPA verifications"] == "4"
    assert m["DOPA verified"] == "75.0 %"
    assert m["orders.value"] == "1,750"
    top = at.dataframe[0].value
    assert top[["account", "failed_logins"]].values.tolist() == [["somchai", 3], ["anong", 1]]
    totals = at.dataframe[1].value
    assert totals[["outcome", "verifications"]].values.tolist() == [["verified", 3], ["timeout", 1]]
    assert "from 3 samples" in _texts(at, "caption")


def test_business_metrics_for_a_quiet_range(busy: Engine) -> None:
    at = _app("business")
    at.selectbox(key="business.range").set_value("Last 30 minutes").run()
    assert not at.exception
    m = _metrics(at)
    # every event is 10 to 17 minutes old; the 250 THB metric 65 minutes ago falls out
    assert (m["Failed logins"], m["DOPA verified"], m["orders.value"]) == ("4", "75.0 %", "1,500")
    at.selectbox(key="business.range").set_value("Custom").run()
    at.date_input(key="business.from_day").set_value(datetime(2020, 1, 1).date()).run()
    at.date_input(key="business.to_day").set_value(datetime(2020, 1, 2).date()).run()
    assert not at.exception
    infos = _texts(at, "info")
    assert "No failed logins" in infos and "No DOPA verifications" in infos and "No custom metrics" in infos


def test_logs_saves_a_query_only_its_owner_sees(busy: Engine) -> None:
    at = _app("logs", user="viewer")
    at.text_area[0].input("AppRequests | summarize n = count()")
    at.text_input(key="logs.save.name.(write my own)").input("my count")
    at.button(key="logs.save").click().run()
    assert not at.exception
    assert "Saved 'my count'; only you see it." in _texts(at, "success")
    options = at.selectbox(key="logs.catalogue").options
    assert any("my count (mine)" in o for o in options)
    with session_scope(busy) as s:
        assert [q.name for q in saved.list_saved_queries(s, actor=Actor("viewer", "viewer"))] == ["my count"]
        assert audit.list_records(s, actor=Actor("a", "admin"))[0].action == "saved_query.create"
    other = _app("logs", user="developer")
    assert not any("(mine)" in o for o in other.selectbox(key="logs.catalogue").options)


def test_logs_charts_time_buckets_and_offers_csv(busy: Engine) -> None:
    at = _app("logs")
    at.text_area[0].input(
        "AppRequests | summarize requests = count(), failed = countif(Success == false) by bin(TimeGenerated, 1h)"
    )
    at.button(key="logs.run").click().run()
    assert not at.exception
    frame = at.dataframe[0].value
    assert frame["requests"].sum() == 200 and frame["failed"].sum() == 20
    charts = at.get("vega_lite_chart")
    assert len(charts) == 1
    assert json.loads(charts[0].proto.spec)["mark"]["type"] == "line"
    assert at.get("download_button")


def test_logs_charts_a_make_series_as_a_line_per_series(busy: Engine) -> None:
    at = _app("logs")
    at.text_area[0].input(
        "AppRequests | make-series requests = count() default = 0 on TimeGenerated step 1h by ResultCode"
    )
    at.button(key="logs.run").click().run()
    assert not at.exception
    rows = at.dataframe[0].value.to_dict("records")  # the table keeps the series' arrays, times as ISO text
    assert all(isinstance(t, str) and t.endswith("Z") for r in rows for t in r["TimeGenerated"])
    [chart] = at.get("vega_lite_chart")
    assert json.loads(chart.proto.spec)["mark"]["type"] == "line"
    (dataset,) = chart.proto.datasets
    points = pa.ipc.open_stream(dataset.data.data).read_all().to_pandas()
    # a line per role, one point per bin with the array's counts, 200 requests in all
    for row in rows:
        mine = points[points["measure"] == row["ResultCode"]]
        assert mine["value"].tolist() == list(row["requests"])
    assert points["value"].sum() == 200 and points["measure"].nunique() == len(rows) > 1


def test_logs_row_cap_and_errors_leave_nothing_changed(busy: Engine, monkeypatch: pytest.MonkeyPatch) -> None:
    from services.config import get_settings

    monkeypatch.setenv("SRE_QUERY_ROW_CAP", "50")
    get_settings.cache_clear()
    at = _app("logs")
    at.text_area[0].input("AppRequests | project TimeGenerated, Name")
    at.button(key="logs.run").click().run()
    assert "Only the first 50 rows are shown" in _texts(at, "warning")
    assert len(at.dataframe[0].value) == 50
    at.text_area[0].input("AppRequests\n| where Name = = 1")
    at.button(key="logs.run").click().run()
    assert any("line 2, column" in e.value for e in at.error)
    at.text_area[0].input("AppRequests | where TimeGenerated < ago(3650d)")
    at.button(key="logs.run").click().run()
    assert "The query returned no rows" in _texts(at, "info")
    with session_scope(busy) as s:
        assert [r.action for r in audit.list_records(s, actor=Actor("a", "admin"))] == SEEDED  # nothing new


@time_machine.travel(datetime(2026, 11, 2, 9, 0, tzinfo=UTC), tick=True)  # the fixture's events are of 2026-11-01
def test_logs_imports_a_clef_upload(busy: Engine, isolated_settings: Path) -> None:
    at = _app("logs", user="developer")
    at.file_uploader(key="logs.clef").set_value(
        ("compact.clef", (FIXTURES / "compact.clef").read_bytes(), "application/octet-stream")
    ).run()
    at.button(key="logs.import").click().run()
    assert not at.exception
    assert "Imported 6 traces and 2 exceptions from 8 lines." in _texts(at, "success")
    at.selectbox(key="logs.range").set_value("Last 3 days").run()
    at.text_area[0].input('AppTraces | where Message has "ยืนยันตัวตนสำเร็จ" | project AppRoleName')
    at.button(key="logs.run").click().run()
    assert at.dataframe[0].value["AppRoleName"].tolist() == ["mana-identity"]


def test_logs_refuses_an_upload_that_is_not_clef(busy: Engine, isolated_settings: Path) -> None:
    at = _app("logs", user="developer")
    at.file_uploader(key="logs.clef").set_value(
        ("not_clef.json", (FIXTURES / "not_clef.json").read_bytes(), "application/json")
    ).run()
    at.button(key="logs.import").click().run()
    assert not at.exception
    assert "Nothing was imported" in _texts(at, "error")
    assert table_files(isolated_settings / "telemetry", "AppTraces") == []
    viewer = _app("logs", user="viewer")
    viewer.file_uploader(key="logs.clef").set_value(
        ("compact.clef", (FIXTURES / "compact.clef").read_bytes(), "application/octet-stream")
    ).run()
    viewer.button(key="logs.import").click().run()
    assert "needs the developer role" in _texts(viewer, "warning")
    assert table_files(isolated_settings / "telemetry", "AppTraces") == []


def test_logs_refuses_an_upload_over_the_page_limit_unread(
    busy: Engine, isolated_settings: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("SRE_UPLOAD_MAX_PAGE_MB", "1")
    get_settings.cache_clear()
    at = _app("logs", user="developer")
    assert at.file_uploader(key="logs.clef").proto.max_upload_size_mb == 1  # what the browser enforces
    big = (FIXTURES / "compact.clef").read_bytes() * 1000  # 2,319 bytes x 1000 = 2.2 MB
    at.file_uploader(key="logs.clef").set_value(("big.clef", big, "application/octet-stream")).run()
    at.button(key="logs.import").click().run()
    assert not at.exception
    error = _texts(at, "error")
    assert "big.clef is 2 MB, over the 1 MB a page upload may hold (SRE_UPLOAD_MAX_PAGE_MB)" in error
    assert "import it on the server with `sre-backoffice import clef FILE`" in shown(error)  # inert: not a code span
    assert table_files(isolated_settings / "telemetry", "AppTraces") == []


def test_logs_opens_renames_and_deletes_a_saved_query(busy: Engine) -> None:
    with session_scope(busy) as s:
        qid = saved.save_query(
            s, actor=Actor("viewer", "viewer"), name="failed", text="AppRequests | where Success == false"
        )[0].id
    at = _app("logs", user="viewer")
    at.selectbox(key="logs.catalogue").set_value(f"saved:{qid}").run()
    assert at.text_area[0].value == "AppRequests | where Success == false"
    at.button(key="logs.run").click().run()
    assert len(at.dataframe[0].value) == 20
    at.text_input(key=f"logs.rename.name.{qid}").input("failed requests")
    at.button(key="logs.rename").click().run()
    assert not at.exception
    assert "Renamed 'failed' to 'failed requests'." in _texts(at, "success")
    assert at.selectbox(key="logs.catalogue").format_func(f"saved:{qid}") == "★ failed requests (mine)"
    at.button(key="logs.delete").click().run()
    assert "Deleted 'failed requests'." in _texts(at, "success")
    assert f"saved:{qid}" not in at.selectbox(key="logs.catalogue").options
    with session_scope(busy) as s:
        actions = [r.action for r in audit.list_records(s, actor=Actor("a", "admin"), entity="saved_query")]
    assert actions == ["saved_query.delete", "saved_query.rename", "saved_query.create"]


def test_a_misconfigured_source_is_one_message_on_each_page(app_env: Engine, monkeypatch: pytest.MonkeyPatch) -> None:
    from services.config import get_settings

    monkeypatch.setenv("SRE_TELEMETRY_SOURCE", "azure")
    get_settings.cache_clear()
    for page in ("live_metrics", "business", "logs"):
        at = _app(page)
        if page == "logs":
            at.button(key="logs.run").click().run()
        assert any("SRE_AZURE_WORKSPACE_ID" in e.value for e in at.error), page
