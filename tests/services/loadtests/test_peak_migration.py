"""Migration 0015: a load-test run stored with the old peak RPS (its busiest second) gets the busiest whole minute's
average, recomputed from its points file; a run without points keeps its figure."""

from __future__ import annotations

from pathlib import Path

import pytest
from alembic import command
from sqlalchemy import text
from sqlalchemy.engine import Engine

from services.config import get_settings
from services.migrate import alembic_config, upgrade
from tests.services.loadtests.test_import import _import, _ramp_ndjson


def test_stored_runs_get_the_busiest_minute_from_their_points(sqlite_engine: Engine, tmp_path: Path) -> None:
    # the same 150 s run as the import test: busiest whole minute 250 requests, busiest second 20
    per_second = [2] * 60 + [1] * 25 + [20] * 10 + [1] * 25 + [5] * 30
    assert _import(sqlite_engine, _ramp_ndjson(tmp_path / "ramp.ndjson", per_second)) == pytest.approx(250 / 60)
    gone = _import(sqlite_engine, _ramp_ndjson(tmp_path / "gone.ndjson", [4] * 90))
    url = get_settings().database.url
    with sqlite_engine.begin() as c:  # as a run imported before the definition changed: its busiest second
        c.execute(text("UPDATE loadtest_run SET peak_rps = 20 WHERE id = 1"))
        c.execute(text("UPDATE loadtest_run SET peak_rps = 4 WHERE id = 2"))
        c.execute(text("INSERT INTO loadtest_run (id, service, label, git_ref, files, requests, points, metrics, "
                       "imported_at, imported_by, peak_rps) VALUES (3, 'mana', 'summary only', '', '[]', 10, 0, "
                       "'{}', '2026-11-28 05:00:00', 'dev', 12.5)"))  # fmt: skip
        second = c.execute(text("SELECT points_file FROM loadtest_run WHERE id = 2")).scalar_one()
    (Path(get_settings().loadtests.dir) / second).unlink()  # its points file went missing
    command.stamp(alembic_config(url), "0014")
    upgrade(url, "0015")
    with sqlite_engine.connect() as c:
        peaks = dict(c.execute(text("SELECT id, peak_rps FROM loadtest_run ORDER BY id")).all())
    assert peaks[1] == pytest.approx(250 / 60)  # not 20, the busiest second
    assert (peaks[2], peaks[3]) == (4, 12.5)  # no readable points: the stored figure stays
    assert gone == pytest.approx(4.0)
