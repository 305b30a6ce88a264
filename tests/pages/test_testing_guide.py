"""The Testing guide page through AppTest: it shows docs/testing.md with every heading, and below it the live DOPA
set's default stub once a set named DOPA exists."""

from __future__ import annotations

import json
import re

from sqlalchemy.engine import Engine
from streamlit.testing.v1 import AppTest

from services.auth import Actor
from services.db import session_scope
from services.stubs import service
from tests.pages.conftest import MAIN
from tests.services.stubs.test_guide import GUIDE, _blocks

DEV = Actor("dev", "developer")


def _app() -> AppTest:
    at = AppTest.from_file(MAIN, default_timeout=60)
    at.run()
    at.switch_page("../pages/testing_guide.py")
    at.run()
    assert not at.exception and not at.error, (at.exception, [e.value for e in at.error])
    return at


def _headings() -> list[str]:
    return re.findall(r"^#{2,3} (.+)$", GUIDE.read_text(encoding="utf-8"), re.M)


def test_the_page_shows_the_guide_with_every_heading(app_env: Engine) -> None:
    at = _app()
    assert [t.value for t in at.title] == ["Testing guide"]
    shown = "\n".join(m.value for m in at.markdown)
    headings = _headings()
    assert headings[:3] == ["1. Unit tests: ports and adapters", "The port", "The HTTP adapter"]
    missing = [h for h in headings if f"\n## {h}\n" not in shown and f"\n### {h}\n" not in shown]
    assert missing == []
    assert "# Testing guide" not in shown  # the file's title is the page's title, shown once
    assert "The current DOPA set" not in [s.value for s in at.subheader]  # no set yet


def test_with_a_dopa_set_the_page_shows_its_default_stub(app_env: Engine) -> None:
    exported = {"mappings": [json.loads(b) for b in _blocks()]}  # the guide's own three stubs, uploaded as DOPA
    with session_scope() as s:
        service.upload(
            s, actor=DEV, name="DOPA", target="api.dopa.go.th", file_name="guide.json",
            data=json.dumps(exported).encode(),
        )  # fmt: skip
    at = _app()
    assert "The current DOPA set" in [s.value for s in at.subheader]
    assert any("DOPA version 1 for api.dopa.go.th: 3 stubs, 1 answering by default" in c.value for c in at.caption)
    [default] = [json.loads(c.value) for c in at.code if c.language == "json"]
    assert default["id"] == "b0db534a-6525-51c5-9dca-e39b5c67e0fe"  # 001, the default stub, as exported
    assert default["response"]["delayDistribution"] == {"type": "lognormal", "median": 210, "sigma": 0.3}
