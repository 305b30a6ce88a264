"""The Test runs page through AppTest: the runs table, a linked run's failures, what changed, flaky tests, roles."""

from __future__ import annotations

import pandas as pd
from sqlalchemy.engine import Engine
from streamlit.testing.v1 import AppTest

from services.auth import Actor
from services.config import get_settings
from services.db import session_scope
from services.testruns import service
from services.testruns.schemas import parse_run_options
from tests.pages.conftest import MAIN

FAIL_B = '<failure message="expected 200, got 500" type="AssertionError">at shop/api.py:42 in test_b</failure>'
FAIL_C = '<failure message="timed out after 5 s" type="TimeoutError">at shop/api.py:57 in test_c</failure>'
ERROR_E = '<error message="connection refused" type="OSError">at shop/db.py:9 in test_e</error>'
SKIP = '<skipped message="needs a GPU"/>'


def _junit(**cases: str) -> bytes:
    """A JUnit report of one testsuite: test name -> the element inside its testcase ("" when it passed)."""
    body = "".join(
        f'<testcase classname="shop.Api" name="{name}" time="0.5">{inner}</testcase>' for name, inner in cases.items()
    )
    return f'<?xml version="1.0"?><testsuites><testsuite name="api">{body}</testsuite></testsuites>'.encode()


# run 1: a, c pass; b fails; s skipped           -> 4 tests, 2 passed, 1 failed; pass rate 2 / (4 − 1) = 66.7 %
# run 2: a, b, d pass; c fails; e errors; s skip -> 6 tests, 3 passed, 1 failed, 1 error; 3 / (6 − 1) = 60.0 %
RUN_1 = _junit(test_a="", test_b=FAIL_B, test_c="", test_s=SKIP)
RUN_2 = _junit(test_a="", test_b="", test_c=FAIL_C, test_d="", test_e=ERROR_E, test_s=SKIP)


def _import(report: bytes, commit: str) -> int:
    with session_scope() as s:
        run = service.import_run(
            s,
            actor=Actor("dev", "developer"),
            files=[("results.xml", report)],
            options=parse_run_options({"service": "mana", "kind": "unit", "release": "2026.12.1", "commit": commit}),
            max_bytes=get_settings().uploads.max_decompressed_mb << 20,
        )
        return run.id


def _two_runs() -> tuple[int, int]:
    return _import(RUN_1, "a1" * 20), _import(RUN_2, "b2" * 20)


def _app(user: str | None = None, run: int | None = None) -> AppTest:
    at = AppTest.from_file(MAIN, default_timeout=60)
    if user:
        at.session_state["auth.user"] = user
    at.run()
    at.switch_page("../pages/testing.py")
    if run is not None:
        at.query_params["run"] = str(run)
    at.run()
    assert not at.exception and not at.error, (at.exception, [e.value for e in at.error])
    return at


def _frame(at: AppTest, column: str) -> pd.DataFrame:
    """The table that has this column."""
    return next(d.value for d in at.dataframe if column in d.value.columns)


def test_the_runs_table_shows_each_runs_counts_and_pass_rate(app_env: Engine) -> None:
    older, newer = _two_runs()
    table = _frame(_app(), "pass rate").set_index("run")
    assert list(table.index) == [newer, older]  # newest first
    cols = ["outcome", "tests", "passed", "failed", "errors", "skipped", "pass rate", "commit"]
    assert table.loc[older, cols].tolist() == ["failed", 4, 2, 1, 0, 1, "66.7 %", "a1a1a1a1a1a1"]
    assert table.loc[newer, cols].tolist() == ["failed", 6, 3, 1, 1, 1, "60.0 %", "b2b2b2b2b2b2"]


def test_a_run_link_opens_that_run_with_its_failure(app_env: Engine) -> None:
    older, _ = _two_runs()
    at = _app(run=older)
    assert at.selectbox(key="testing.run").value == older  # not the newest, the default
    assert any("(failed): expected 200, got 500" in m.value for m in at.markdown)
    assert [c.value for c in at.code] == ["at shop/api.py:42 in test_b"]


def test_what_changed_names_the_new_failures_and_the_fixed_test(app_env: Engine) -> None:
    _two_runs()
    changes = _frame(_app(), "change").groupby("change")["test"].apply(list).to_dict()
    assert changes == {
        "new failure": ["shop.Api::test_c", "shop.Api::test_e"],
        "fixed": ["shop.Api::test_b"],
        "new test": ["shop.Api::test_d", "shop.Api::test_e"],
    }


def test_a_test_that_passed_failed_and_passed_is_flaky_with_two_flips(app_env: Engine) -> None:
    _two_runs()
    _import(_junit(test_a="", test_b="", test_c=""), "c3" * 20)
    flaky = _frame(_app(), "flips").set_index("test")
    # test_c: passed, failed, passed = 2 flips; test_b failed once then passed (1 flip): a fix, not flaky
    assert list(flaky.index) == ["shop.Api::test_c"]
    assert flaky.loc["shop.Api::test_c"].tolist() == [3, 1, 2, "no"]


def test_a_developer_imports_through_the_form(app_env: Engine) -> None:
    at = _app("developer")
    at.file_uploader(key="testing.upload").set_value([("results.xml", RUN_1, "text/xml")]).run()
    at.button(key="testing.import").click().run()
    assert not at.exception and not at.error, [e.value for e in at.error]
    assert [s.value for s in at.success] == ["Imported run #1: 4 tests, 2 passed, 1 failed, 1 skipped."]
    assert _frame(at, "pass rate")["tests"].tolist() == [4]


def test_a_viewer_reads_runs_but_sees_no_upload_form(app_env: Engine) -> None:
    _two_runs()
    at = _app("viewer")
    assert len(at.get("file_uploader")) == 0 and "testing.import" not in [b.key for b in at.button]
    assert any("importing a run needs the developer role" in c.value for c in at.caption)
    assert len(_frame(at, "pass rate")) == 2
