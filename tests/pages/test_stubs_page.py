"""The WireMock stubs page through AppTest: what production showed beside the stubs, building from the page, editing
into a new version, and what a viewer may do."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

import pandas as pd
from sqlalchemy.engine import Engine
from streamlit.testing.v1 import AppTest

from services.auth import Actor
from services.config import get_settings
from services.db import session_scope
from services.stubs import service
from services.telemetry.local import LocalTelemetrySource
from tests.pages.conftest import MAIN
from tests.services.stubs.test_build import DOPA, ROWS
from tests.telemetry_fixtures import AT, write

DEV = Actor("dev", "developer")


def _built() -> int:
    """The DOPA set built from the fixture calls (the hour before AT): 12 stubs for 5 behaviours."""
    write(get_settings().telemetry.dir, "AppDependencies", ROWS)
    with session_scope() as s:
        v = service.build_from_telemetry(
            s, LocalTelemetrySource(get_settings().telemetry.dir), actor=DEV, name="DOPA", target=DOPA,
            start=AT - timedelta(hours=1), end=AT,
        )  # fmt: skip
        return v.set_id


def _app(user: str | None = None) -> AppTest:
    at = AppTest.from_file(MAIN, default_timeout=60)
    if user:
        at.session_state["auth.user"] = user
    at.run()
    at.switch_page("../pages/stubs.py")
    at.run()
    assert not at.exception and not at.error, (at.exception, [e.value for e in at.error])
    return at


def _frame(at: AppTest, column: str) -> pd.DataFrame:
    return next(d.value for d in at.dataframe if column in d.value.columns)


def _metrics(at: AppTest) -> dict[str, str]:
    return {m.label: m.value for m in at.metric}


def test_production_behaviours_are_shown_beside_the_stubs_that_answer_them(app_env: Engine) -> None:
    _built()
    at = _app()
    assert _metrics(at) == {"Stubs": "12", "Behaviours seen in production": "5", "Covered": "100%"}
    seen = _frame(at, "behaviour")
    assert seen[["request", "behaviour", "calls"]].values.tolist() == [
        ["GET /citizens/{id}/status", "answered 200", 5],
        ["POST /verify", "answered 200", 5],
        ["POST /verify", "answered 503", 2],
        ["POST /verify", "connection failed (ResultCode Faulted)", 1],
        ["POST /verify", "timed out (ResultCode Timeout)", 1],
    ]
    assert seen["median (ms)"].tolist()[1] == 174.1  # e^(mean ln of 100, 200, 400, 100, 200 ms)
    assert seen["answered by"].tolist()[4] == "X-Stub-Behaviour: timeout; scenario api.dopa.go.th-behaviour = timeout"
    stubs = _frame(at, "selected by")
    assert len(stubs) == 12
    default = stubs[(stubs["selected by"] == "default") & (stubs["url"] == "/verify")]
    assert default["answer"].tolist() == ["200, lognormal median 174 ms σ 0.58"]


def test_a_developer_builds_a_set_from_the_page(app_env: Engine) -> None:
    shift = datetime.now(UTC).replace(second=0, microsecond=0) - timedelta(minutes=1) - AT
    write(
        get_settings().telemetry.dir,
        "AppDependencies",
        [{**r, "TimeGenerated": r["TimeGenerated"] + shift} for r in ROWS],
    )
    at = _app("developer")
    assert at.selectbox(key="stubs.target").value == DOPA  # the busiest HTTP target of the week: 14 calls to 1
    assert at.text_input(key=f"stubs.name.{DOPA}").value == "DOPA"
    at.button(key="stubs.build").click().run()
    assert not at.exception and not at.error, [e.value for e in at.error]
    assert [t.value for t in at.toast] == [f"Built DOPA version 1: 12 stubs from 7 days of {DOPA}."]
    assert _metrics(at)["Stubs"] == "12"


def test_an_edit_is_saved_as_the_next_version(app_env: Engine) -> None:
    _built()
    at = _app("developer")
    editor = next(t for t in at.text_area if t.label == "Mappings")
    mappings = json.loads(editor.value)["mappings"]
    kept = [m for m in mappings if m["metadata"]["sreBackoffice"]["behaviour"] != "connection-reset"]
    editor.set_value(json.dumps({"mappings": kept})).run()
    at.text_input(key="stubs.edit.note").set_value("no reset stubs").run()
    at.button(key="stubs.edit.save").click().run()
    assert not at.exception and not at.error, [e.value for e in at.error]
    assert at.selectbox(key="stubs.version").value == 2
    assert _metrics(at) == {"Stubs": "10", "Behaviours seen in production": "5", "Covered": "80%"}
    seen = _frame(at, "behaviour")
    assert seen.loc[~seen["covered"], "behaviour"].tolist() == ["connection failed (ResultCode Faulted)"]


def test_a_viewer_reads_the_set_but_cannot_build_edit_or_delete(app_env: Engine) -> None:
    _built()
    at = _app("viewer")
    assert _metrics(at)["Stubs"] == "12"
    assert any("building or uploading one needs the developer role" in c.value for c in at.caption)
    keys = {b.key for b in at.button}
    assert not keys & {"stubs.build", "stubs.edit.save", "stubs.delete"}
    with session_scope() as s:  # and the service refuses whatever the page shows
        assert service.list_sets(s, actor=Actor("viewer", "viewer"))[0].latest_version == 1


def test_with_no_set_the_page_says_how_to_make_one(app_env: Engine) -> None:
    at = _app()
    assert any("sre-backoffice stubs build --name DOPA --target api.dopa.go.th" in i.value for i in at.info)
