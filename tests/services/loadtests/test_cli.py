"""`sre-backoffice loadtest …`: import prints the run id last, list/show --json, errors as one line."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from services.cli import main
from services.config import get_settings
from services.migrate import upgrade
from tests.services.loadtests.conftest import K6


@pytest.fixture
def db(isolated_settings: Path) -> Path:
    upgrade(get_settings().database.url)
    return isolated_settings


def _import(capsys: pytest.CaptureFixture[str], *args: str) -> int:
    assert main(["loadtest", "import", *args]) == 0
    return int(capsys.readouterr().out.strip().splitlines()[-1])


def test_import_then_show_json(db: Path, capsys: pytest.CaptureFixture[str]) -> None:
    k6 = json.loads((K6 / "summary.json").read_text())["metrics"]
    run_id = _import(capsys, str(K6 / "summary.json"), str(K6 / "out.ndjson.gz"), "--label", "ramp", "--git-ref", "v1")
    assert main(["loadtest", "show", str(run_id), "--json"]) == 0
    out = json.loads(capsys.readouterr().out)
    assert out["id"] == run_id and out["requests"] == 60 and out["label"] == "ramp" and out["git_ref"] == "v1"
    assert out["failure_rate"] == pytest.approx(5 / 60)
    assert out["rps"] == pytest.approx(k6["http_reqs"]["rate"])
    assert set(out["duration_ms"]) == {"avg", "min", "med", "max", "p90", "p95", "p99"}
    assert out["duration_ms"]["p95"] == pytest.approx(k6["http_req_duration"]["p(95)"])
    assert out["duration_ms"]["p99"] is not None
    assert {(t["metric"], t["expression"], t["ok"]) for t in out["thresholds"]} >= {
        ("checks", "rate>0.95", False),
        ("http_req_duration{name:GET /api/shops}", "p(95)<200", True),
    }
    assert {c["name"]: (c["passes"], c["fails"]) for c in out["checks"]}["orders status is 200"] == (15, 5)
    ep = {e["name"]: e for e in out["endpoints"]}
    assert ep["GET /api/orders"]["requests"] == 20 and ep["GET /api/orders"]["failure_rate"] == 0.25
    assert ep["GET /api/shops"]["p95_ms"] == pytest.approx(k6["http_req_duration{name:GET /api/shops}"]["p(95)"])


def test_summary_only_keeps_raw_point_figures_null(db: Path, capsys: pytest.CaptureFixture[str]) -> None:
    run_id = _import(capsys, str(K6 / "summary.json"))
    assert main(["loadtest", "show", str(run_id), "--json"]) == 0
    out = json.loads(capsys.readouterr().out)
    assert out["duration_ms"]["p99"] is None and out["endpoints"] == [] and out["peak_rps"] is None
    assert main(["loadtest", "list", "--json"]) == 0
    assert [r["id"] for r in json.loads(capsys.readouterr().out)] == [run_id]
    assert main(["loadtest", "list"]) == 0
    assert "THRESHOLDS FAILED" in capsys.readouterr().out


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["loadtest", "import", "/no/such/file.json"], "no such file"),
        (["--actor", "viewer", "loadtest", "import", str(K6 / "summary.json")], "needs the developer role"),
        (["loadtest", "show", "999", "--json"], "Load-test run 999 does not exist"),
        (["--actor", "developer", "loadtest", "delete", "1"], "needs the lead role"),
    ],
)
def test_errors_are_one_line(db: Path, capsys: pytest.CaptureFixture[str], argv: list[str], message: str) -> None:
    capsys.readouterr()
    assert main(argv) == 2
    err = capsys.readouterr().err
    assert message in err and len(err.strip().splitlines()) == 1


def test_the_cli_checks_the_size_limit(db: Path, capsys: pytest.CaptureFixture[str], monkeypatch) -> None:
    big = db / "big.ndjson"
    with open(big, "wb") as fh:
        fh.truncate(2 * 2**20 + 1)
    monkeypatch.setenv("SRE_LOADTEST_MAX_UPLOAD_MB", "2")
    get_settings.cache_clear()
    capsys.readouterr()
    assert main(["loadtest", "import", str(big)]) == 2
    assert "over the 2 MB import limit" in capsys.readouterr().err
    assert main(["loadtest", "list", "--json"]) == 0 and json.loads(capsys.readouterr().out) == []
