"""The load-test pages through AppTest: upload, run page, comparison and capacity plan."""

from __future__ import annotations

import math
from pathlib import Path

import pytest
from sqlalchemy import func, select
from sqlalchemy.engine import Engine
from streamlit.testing.v1 import AppTest

from app.ui.loadtest_upload import import_uploads
from services import cli
from services.auth import Actor
from services.config import get_settings
from services.db import session_scope
from services.errors import InvalidInput
from services.loadtests import service
from services.loadtests.models import LoadTestRun
from services.loadtests.schemas import ImportOptions, InputFile
from tests.pages.conftest import MAIN

K6 = Path(__file__).resolve().parents[1] / "fixtures" / "k6"
DEMO_RAMP = Path(__file__).resolve().parents[2] / "services" / "demo" / "k6" / "capacity"
TIMEOUT = 60


def _app(page: str, user: str | None = None) -> AppTest:
    at = AppTest.from_file(MAIN, default_timeout=TIMEOUT)
    if user:
        at.session_state["auth.user"] = user
    at.run()
    at.switch_page(f"../pages/{page}.py").run()
    assert not at.exception, at.exception
    return at


def _store(engine: Engine, *names: str, label: str = "") -> int:
    with session_scope(engine) as s:
        run = service.import_run(
            s,
            actor=Actor("dev", "developer"),
            files=[InputFile(K6 / n, n) for n in names],
            options=ImportOptions(service="mana", label=label),
            root=get_settings().loadtests.dir,
        )
        return run.id


def _runs(engine: Engine) -> int:
    with session_scope(engine) as s:
        return s.scalar(select(func.count()).select_from(LoadTestRun)) or 0


def _frames(at: AppTest) -> list:
    return [d.value for d in at.dataframe]


def test_upload_imports_one_run_and_shows_it(app_env: Engine) -> None:
    at = _app("loadtests", user="developer")
    at.file_uploader(key="loadtests.upload").set_value(
        [
            ("summary.json", (K6 / "summary.json").read_bytes(), "application/json"),
            ("out.ndjson.gz", (K6 / "out.ndjson.gz").read_bytes(), "application/gzip"),
        ]
    ).run()
    at.text_input(key="loadtests.upload.label").input("ramp").run()
    at.button(key="loadtests.import").click().run()
    assert not at.exception and not at.error, [e.value for e in at.error]
    assert any("Imported as run #1" in s.value for s in at.success)
    assert _runs(app_env) == 1
    metrics = {m.label: m.value for m in at.metric}
    assert metrics["Requests"] == "60" and metrics["Failure rate"] == "8.33 %" and metrics["Thresholds"] == "FAILED"


def test_a_broken_upload_says_where_and_stores_nothing(app_env: Engine, tmp_path: Path) -> None:
    lines = (K6 / "out.ndjson").read_bytes().splitlines(keepends=True)
    at = _app("loadtests", user="developer")
    at.file_uploader(key="loadtests.upload").set_value(
        [("cut.ndjson", b"".join(lines[:30]) + lines[30][:25], "application/json")]
    ).run()
    at.button(key="loadtests.import").click().run()
    assert any("broken at line 31: the line is cut short" in e.value for e in at.error)
    assert _runs(app_env) == 0 and not at.exception
    root = get_settings().loadtests.dir
    assert [p for p in root.rglob("*") if p.is_file()] == []


def test_a_viewer_cannot_import(app_env: Engine) -> None:
    at = _app("loadtests", user="viewer")
    assert any("importing needs the developer role" in i.value for i in at.info)
    at.file_uploader(key="loadtests.upload").set_value([("s.json", (K6 / "summary.json").read_bytes(), "text/json")])
    at.run()
    at.button(key="loadtests.import").click().run()
    assert any("needs the developer role" in w.value for w in at.warning) and _runs(app_env) == 0


class _Huge:
    name = "huge.ndjson"
    size = 2 * 2**30

    def seek(self, offset: int, /) -> int:
        raise AssertionError("an upload over the limit must not be read")

    def read(self, size: int = -1, /) -> bytes:
        raise AssertionError("an upload over the limit must not be read")


def test_an_upload_over_the_limit_is_refused_unread(app_env: Engine) -> None:
    with pytest.raises(InvalidInput, match="2,048 MB, over the 1,024 MB upload limit"):
        import_uploads([_Huge()], actor=Actor("dev", "developer"), service="mana")
    assert _runs(app_env) == 0


def test_the_page_takes_what_its_memory_budget_allows_and_names_the_cli(
    app_env: Engine, monkeypatch: pytest.MonkeyPatch
) -> None:
    at = _app("loadtests", user="developer")
    assert at.file_uploader(key="loadtests.upload").proto.max_upload_size_mb == 64  # SRE_UPLOAD_MAX_PAGE_MB
    huge = _Huge()
    huge.size = 300 * 2**20  # within SRE_LOADTEST_MAX_UPLOAD_MB (1,024), over the page's 64 MB
    with pytest.raises(InvalidInput, match=r"300 MB, over the 64 MB a page upload may hold \(SRE_UPLOAD_MAX_PAGE_MB\)"):
        import_uploads([huge], actor=Actor("dev", "developer"), service="mana")
    assert _runs(app_env) == 0
    # the Streamlit server refuses a bigger upload itself, before it is in memory
    launched: list[list[str]] = []
    monkeypatch.setattr("os.execv", lambda _exe, argv: launched.append(argv))
    monkeypatch.setenv("SRE_UPLOAD_MAX_PAGE_MB", "150")
    get_settings.cache_clear()
    assert cli.main(["ui", "--port", "8599"]) == 0
    assert launched[0][launched[0].index("--server.maxUploadSize") + 1] == "150"


def test_run_page_shows_thresholds_checks_endpoints_and_the_slo_verdict(app_env: Engine) -> None:
    _store(app_env, "summary.json", "out.ndjson")
    at = _app("loadtests")
    frames = _frames(at)
    thresholds = next(f for f in frames if "expression" in f.columns)
    row = thresholds.set_index(["metric", "expression"])
    assert row.loc[("checks", "rate>0.95"), "result"] == "FAIL"
    assert row.loc[("http_req_duration{name:GET /api/shops}", "p(95)<200"), "result"] == "pass"
    checks = next(f for f in frames if "check" in f.columns).set_index("check")
    assert checks.loc["orders status is 200", "pass rate"] == "75.00 %"
    endpoints = next(f for f in frames if "endpoint" in f.columns).set_index("endpoint")
    assert endpoints.loc["GET /api/orders", "failure rate"] == "25.00 %"
    verdicts = next(f for f in frames if "SLO" in f.columns).set_index("SLO")
    # availability: 55 of 60 requests succeeded = 91.667 % < 99 %; latency: all 60 under 300 ms
    assert verdicts.loc["mana availability", "verdict"] == "MISSES"
    assert "= 55 / 60 = 91.667 %" in verdicts.loc["mana availability", "how"]
    assert verdicts.loc["mana latency", "verdict"] == "meets"
    assert len(at.get("arrow_vega_lite_chart")) + len(at.get("vega_lite_chart")) >= 4


def test_compare_page_shows_deltas_and_the_trend(app_env: Engine) -> None:
    _store(app_env, "summary.json")
    _store(app_env, "out.ndjson", label="b")
    at = _app("loadtest_compare")
    frames = _frames(at)
    deltas = next(f for f in frames if "figure" in f.columns).set_index("figure")
    assert deltas.loc["requests", "B − A"] == 0
    assert any("more than 10 %" in c.value for c in at.caption)
    assert list(next(f for f in frames if "regression" in f.columns)["run"]) == [1, 2]


def test_capacity_page_plans_replicas_and_an_hpa(app_env: Engine) -> None:
    _store(app_env, "out.ndjson")
    at = _app("capacity")
    at.number_input(key="capacity.bucket").set_value(1).run()
    assert not at.exception
    metrics = {m.label: m.value for m in at.metric}
    sustained = float(metrics["Sustained RPS"].replace(",", ""))
    # production peak from the page fixture: one request a minute -> 1/60 RPS; headroom 30 %
    assert metrics["Replicas needed"] == str(max(1, math.ceil((1 / 60) * 1.3 / sustained)))
    yaml = at.code[0].value
    assert "kind: HorizontalPodAutoscaler" in yaml and "apiVersion: autoscaling/v2" in yaml
    assert "minReplicas: 1" in yaml


def test_each_run_is_first_planned_with_its_own_bucket(app_env: Engine) -> None:
    short = _store(app_env, "out.ndjson", label="four seconds")  # the fixture run lasts 4 s: 1-s buckets
    with session_scope(app_env) as s:
        ramp = service.import_run(
            s,
            actor=Actor("dev", "developer"),
            files=[InputFile(DEMO_RAMP / n, n) for n in ("summary.json", "out.ndjson.gz")],
            options=ImportOptions(service="mana", label="three minutes"),
            root=get_settings().loadtests.dir,
        ).id
    at = _app("capacity")
    assert at.selectbox(key="capacity.run").value == ramp  # the newest
    assert at.number_input(key="capacity.bucket").value == 30  # three minutes: six 30-s buckets
    assert any(m.label == "Sustained RPS" for m in at.metric)  # the ramp has a knee: a plan, not a warning
    at.selectbox(key="capacity.run").set_value(short).run()
    assert at.number_input(key="capacity.bucket").value == 1
    at.number_input(key="capacity.bucket").set_value(2).run()
    at.selectbox(key="capacity.run").set_value(ramp).run()
    assert at.number_input(key="capacity.bucket").value == 30 and not at.exception  # back to the ramp's own


def test_a_lead_deletes_a_run_and_its_points(app_env: Engine) -> None:
    run_id = _store(app_env, "out.ndjson")
    root = get_settings().loadtests.dir
    assert len(list(root.glob("*.parquet"))) == 1
    at = _app("loadtests", user="developer")
    assert not [b for b in at.button if b.key == f"loadtests.delete.{run_id}"]  # only a lead sees the control
    at = _app("loadtests", user="lead")
    at.checkbox(key=f"loadtests.delete.confirm.{run_id}").check().run()
    at.button(key=f"loadtests.delete.{run_id}").click().run()
    assert not at.exception and _runs(app_env) == 0
    assert list(root.glob("*.parquet")) == []
    assert any("No runs yet" in i.value for i in at.info)
