"""`sre-backoffice worker --once`: one cycle over the seeded rules, reported in the numbers an operator checks."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import time_machine

from services.cli import main
from tests.telemetry_fixtures import AT, req, write


def test_one_worker_cycle_reports_rules_evaluated_and_alerts_fired(
    team_rules: None, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    # 600 requests over 10 hours, the last 60 minutes fail one in four (15 of 60; 15 of 600 overall). Availability
    # objective 99 %: fast burn 25x > 14.4 (1h and 5m) fires; slow burn 4.17x < 6 (6h) is quiet; the ticket policy
    # (3d 2.5x and 6h 4.17x, both > 1) fires. Latency (100 ms), the business rules and the stop/start gap rule (no
    # rows with an instance) stay quiet.
    write(tmp_path / "telemetry", "AppRequests", [req(m, ok=not (m < 60 and m % 4 == 0)) for m in range(600)])
    capsys.readouterr()
    with time_machine.travel(AT, tick=False):
        assert main(["worker", "--once"]) == 0
    stats = json.loads(capsys.readouterr().out)
    # fast burn: an email (no SMTP configured: failed for good) and an incident (delivered); ticket: an email (failed)
    assert stats == {"rules": 12, "skipped": 0, "fired": 2, "resolved": 0, "delivered": 1, "failed": 2}
