"""The sre-backoffice command: JSON outputs, --at, errors as one line with a non-zero exit."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from services.cli import main
from services.config import get_settings
from services.migrate import upgrade
from tests.telemetry_fixtures import AT, req, write


@pytest.fixture
def seeded(isolated_settings: Path) -> Path:
    upgrade(get_settings().database.url)
    assert main(["slo", "seed"]) == 0
    rows = [req(m, ok=m % 20 != 0, ms=400.0 if m % 5 == 0 else 90.0) for m in range(0, 600)]
    write(isolated_settings / "telemetry", "AppRequests", rows)
    return isolated_settings


def test_slo_status_json_at_an_instant(seeded: Path, capsys: pytest.CaptureFixture[str]) -> None:
    capsys.readouterr()
    assert main(["slo", "status", "--at", AT.isoformat(), "--json"]) == 0
    out = json.loads(capsys.readouterr().out)
    by_name = {o["name"]: o for o in out}
    a, lat = by_name["mana availability"], by_name["mana latency"]
    # minutes 1..599 are inside (minute 0 is exactly AT: TimeGenerated <= AT counts it) -> 600 rows
    assert a["total"] == 600 and a["good"] == 600 - 30
    assert a["sli"] == pytest.approx(95.0)
    assert a["error_budget_remaining"] == pytest.approx(1 - 30 / 6)
    assert a["operation"] is None and a["threshold_ms"] is None and a["window_days"] == 30
    assert set(a["burn_rates"]) == {"5m", "30m", "1h", "6h", "3d"}
    # last hour: minutes 0..59 -> 60 requests, 3 failed -> 5 % / 1 % = 5x
    assert a["burn_rates"]["1h"] == pytest.approx(5.0)
    assert lat["threshold_ms"] == 300.0 and lat["good"] == 600 - 120
    assert lat["burn_rates"]["5m"] == pytest.approx((1 / 5) / 0.01)


def test_kql_formats(isolated_settings: Path, capsys: pytest.CaptureFixture[str]) -> None:
    from datetime import UTC, datetime, timedelta

    now = datetime.now(UTC)
    write(
        isolated_settings / "telemetry",
        "AppRequests",
        [
            {**req(0), "TimeGenerated": now - timedelta(minutes=m), "Name": n}
            for m, n in [(1, "GET /a"), (2, "GET /a"), (3, "POST /b")]
        ],
    )
    q = "AppRequests | summarize n = count() by Name | order by Name asc"
    capsys.readouterr()
    assert main(["kql", q, "--timespan", "PT1H", "--format", "json"]) == 0
    assert json.loads(capsys.readouterr().out) == [{"Name": "GET /a", "n": 2}, {"Name": "POST /b", "n": 1}]
    assert main(["kql", q, "--timespan", "PT1H", "--format", "csv"]) == 0
    assert capsys.readouterr().out.splitlines() == ["Name,n", "GET /a,2", "POST /b,1"]
    # a timespan of two minutes sees one request
    assert main(["kql", q, "--timespan", "PT2M30S", "--format", "csv"]) == 0
    assert capsys.readouterr().out.splitlines() == ["Name,n", "GET /a,2"]


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["kql", "AppRequests | wherex"], "KQL syntax error in query at line 1"),
        (["kql", "AppRequests", "--timespan", "one hour"], "not an ISO-8601 duration"),
        (["slo", "status", "--at", "yesterday"], "not an ISO-8601 time"),
        (["--actor", "mallory", "slo", "status"], "Unknown user 'mallory'"),
        (["--actor", "viewer", "demo", "seed"], "needs the admin role"),
        (["kql", "@/no/such/file.kql"], "cannot read the query file"),
    ],
)
def test_errors_are_one_line_and_exit_non_zero(
    isolated_settings: Path, capsys: pytest.CaptureFixture[str], argv: list[str], message: str
) -> None:
    upgrade(get_settings().database.url)
    capsys.readouterr()
    assert main(argv) != 0
    err = capsys.readouterr().err.strip()
    assert message in err
    assert len(err.splitlines()) == 1 and "Traceback" not in err


def test_azure_source_without_a_workspace_is_named(
    isolated_settings: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("SRE_TELEMETRY_SOURCE", "azure")
    get_settings.cache_clear()
    assert main(["kql", "AppRequests | take 1"]) == 2
    err = capsys.readouterr().err
    assert "SRE_AZURE_WORKSPACE_ID" in err and len(err.strip().splitlines()) == 1
