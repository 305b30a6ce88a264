"""Feature fixtures: a migrated database, a hand-made telemetry store ending at AT, and helpers that act as the
team's roles."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session

from services.auth import Actor
from services.config import get_settings
from services.db import session_scope
from services.features import service
from services.features.gates import FeatureGates
from services.features.schemas import parse_feature_input
from services.telemetry.local import LocalTelemetrySource
from tests.telemetry_fixtures import AT

LEAD = Actor("lee", "lead")
DEV = Actor("dana", "developer")
OPS = Actor("otto", "operator")
VIEWER = Actor("vic", "viewer")


def source() -> LocalTelemetrySource:
    """The test's telemetry store."""
    return LocalTelemetrySource(get_settings().telemetry.dir)


def create(s: Session, **fields: Any) -> int:
    """A feature of mana serving GET /api/shops unless told otherwise; its id."""
    data = {"title": "Shop search filters", "service": "mana", "operations": ["GET /api/shops"], **fields}
    return service.create_feature(s, actor=LEAD, data=parse_feature_input(data)).id


def judge(engine: Engine, feature_id: int, *, phases: set[str] | None = None) -> FeatureGates:
    """The feature's gates as of AT."""
    with session_scope(engine) as s:
        judged, _ = service.gates(s, actor=VIEWER, source=source(), feature_ids=[feature_id], at=AT, phases=phases)
    return judged[0]


@pytest.fixture
def db(sqlite_engine: Engine) -> Engine:
    """The test's migrated database."""
    return sqlite_engine


Item = Callable[[str], Any]
