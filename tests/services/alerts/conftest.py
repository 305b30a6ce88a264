"""What the alert tests share: the failed-logins telemetry and the team's seeded rules."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import pytest
from sqlalchemy.engine import Engine

from services.alerts.seeds import seed_team_rules
from services.auth import Actor
from services.db import session_scope
from services.slos import service as slo_service
from services.telemetry.local import LocalTelemetrySource
from tests.services.alerts.test_evaluation import EVENTS
from tests.telemetry_fixtures import AT, write

ADMIN = Actor("admin", "admin")


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


@pytest.fixture
def team_rules(sqlite_engine: Engine) -> None:
    """The team's SLOs and the rules `sre-backoffice alerts seed` creates for them."""
    with session_scope() as s:
        slo_service.seed_team_targets(s, actor=ADMIN)
        seed_team_rules(s, actor=ADMIN)
