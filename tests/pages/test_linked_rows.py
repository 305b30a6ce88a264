"""A link with a row's id (?run=, ?incident=) opens its page at that row, once; the user's own pick then stands."""

from __future__ import annotations

from pathlib import Path

from sqlalchemy.engine import Engine
from streamlit.testing.v1 import AppTest

from services.auth import Actor
from services.config import get_settings
from services.db import session_scope
from services.loadtests import service
from services.loadtests.schemas import ImportOptions, InputFile
from tests.pages.conftest import MAIN

K6 = Path(__file__).resolve().parents[1] / "fixtures" / "k6"


def _run(engine: Engine, label: str) -> int:
    with session_scope(engine) as s:
        return service.import_run(
            s, actor=Actor("dev", "developer"), files=[InputFile(K6 / "summary.json", "summary.json")],
            options=ImportOptions(service="mana", label=label), root=get_settings().loadtests.dir,
        ).id  # fmt: skip


def test_a_run_link_opens_the_load_test_page_at_that_run_and_then_lets_the_user_choose(app_env: Engine) -> None:
    first, _newest = _run(app_env, "first"), _run(app_env, "newest")
    at = AppTest.from_file(MAIN, default_timeout=60)
    at.run()
    at.switch_page("../pages/loadtests.py")
    at.query_params["run"] = str(first)
    at.run()
    assert not at.exception, at.exception
    assert at.selectbox(key="loadtests.run").value == first  # not the newest, which is the default
    at.selectbox(key="loadtests.run").set_value(_newest).run()
    assert at.selectbox(key="loadtests.run").value == _newest  # the link applies once
