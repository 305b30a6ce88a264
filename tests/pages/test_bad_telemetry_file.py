"""A bad file in the telemetry folder: pages keep answering from the other files and name the one left out."""

from __future__ import annotations

from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
from sqlalchemy.engine import Engine
from streamlit.testing.v1 import AppTest

from services.telemetry.schema import table_schema
from tests.pages.conftest import MAIN


def _bad_file(root: Path) -> Path:
    """Every AppRequests column by name, each stored as text: the file that used to fail every page."""
    bad = root / "AppRequests" / "wrong-types.parquet"
    pq.write_table(pa.table({f.name: pa.array(["x"], pa.string()) for f in table_schema("AppRequests")}), bad)
    return bad


def _sidebar(at: AppTest) -> str:
    return " ".join(c.value for c in at.sidebar.caption)


def test_failures_page_answers_from_the_good_file_and_names_the_bad(app_env: Engine, isolated_settings: Path) -> None:
    bad = _bad_file(isolated_settings / "telemetry")
    at = AppTest.from_file(MAIN, default_timeout=60)
    at.run()
    at.switch_page("../pages/failures.py").run()
    assert not at.exception, at.exception
    # app_env's file alone: 200 requests in the last 200 minutes, every 10th failed = 20, 20 / 200 = 10 %
    metrics = {m.label: m.value for m in at.metric}
    assert metrics == {"requests": "200", "failed requests": "20", "failure rate": "10.00 %"}
    named = [w.value for w in at.warning if str(bad) in w.value]
    assert len(named) == 1, [w.value for w in at.warning]  # one warning, though every query read the table
    assert "TimeGenerated is VARCHAR" in named[0] and "telemetry check" in named[0]
    assert "1 file left out of queries: `AppRequests/wrong-types.parquet`" in _sidebar(at)


def test_every_page_names_the_bad_file_in_the_sidebar(app_env: Engine, isolated_settings: Path) -> None:
    _bad_file(isolated_settings / "telemetry")
    at = AppTest.from_file(MAIN, default_timeout=60)
    at.run()
    assert not at.exception, at.exception
    assert "AppRequests/wrong-types.parquet" in _sidebar(at)
    at.switch_page("../pages/slos.py").run()
    assert not at.exception and not at.error, [e.value for e in at.error]
    assert "AppRequests/wrong-types.parquet" in _sidebar(at)
