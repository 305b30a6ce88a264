"""The failed-logins fixture telemetry the alert tests share."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import pytest

from services.telemetry.local import LocalTelemetrySource
from tests.services.alerts.test_evaluation import EVENTS
from tests.telemetry_fixtures import AT, write


@pytest.fixture
def logins_source(tmp_path: Path) -> LocalTelemetrySource:
    """LoginFailed events: somchai's burst and anong's trickle (see test_evaluation.EVENTS)."""
    rows = [
        {
            "TimeGenerated": AT - timedelta(minutes=m, seconds=10),
            "Name": "LoginFailed",
            "Properties": f'{{"account": "{a}"}}',
            "ItemCount": 1,
        }
        for m, a in EVENTS
    ]
    write(tmp_path / "logins", "AppEvents", rows)
    return LocalTelemetrySource(tmp_path / "logins")
