"""The demo's DOPA stub set: built from the demo's own api.dopa.go.th calls (the outage included), as the team would
build it on the WireMock stubs page."""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy.orm import Session

from services.auth import Actor
from services.errors import InvalidInput
from services.stubs import service as stubs
from services.telemetry.source import TelemetrySource

NAME, TARGET = "DOPA", "api.dopa.go.th"
WINDOW = timedelta(days=7)  # holds the demo's DOPA outage (2 d 7 h before the end)


def seed_demo_stubs(session: Session, *, actor: Actor, source: TelemetrySource, end: datetime) -> int | None:
    """Build the DOPA set from the week before `end` when there is none; its version (None when nothing was built)."""
    if any(s.name == NAME for s in stubs.list_sets(session, actor=actor)):
        return None
    try:
        v = stubs.build_from_telemetry(
            session, source, actor=actor, name=NAME, target=TARGET, start=end - WINDOW, end=end,
            note="the demo's DOPA calls of the last 7 days",
        )  # fmt: skip
    except InvalidInput:  # a store without DOPA calls (telemetry seeded elsewhere): no set, and no error
        return None
    return v.version
