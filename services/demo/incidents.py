"""The incidents injected into the demo telemetry, at fixed offsets back from the end of the seeded period."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import NamedTuple

REGRESSION = "latency-regression"
DOPA_TIMEOUTS = "dopa-timeouts"
BRUTE_FORCE = "login-bruteforce"


class Incident(NamedTuple):
    """One incident's window [start, end) in UTC."""

    name: str
    start: datetime
    end: datetime
    description: str


@dataclass(frozen=True)
class IncidentSpec:
    """An incident placed `before_end` back from the end of the period, lasting `duration`."""

    name: str
    before_end: timedelta
    duration: timedelta
    description: str

    def window(self, end: datetime) -> Incident:
        start = end - self.before_end
        return Incident(self.name, start, start + self.duration, self.description)


INCIDENTS: tuple[IncidentSpec, ...] = (
    IncidentSpec(
        REGRESSION,
        timedelta(days=5, hours=4),
        timedelta(hours=5),
        "Release 2026.11.4 rolls out and queries dbo.Shops without its index: GET /api/shops and "
        "GET /api/shops/{id} (and their SQL calls) take 3-4x longer until hotfix 2026.11.5 rolls out.",
    ),
    IncidentSpec(
        DOPA_TIMEOUTS,
        timedelta(days=2, hours=7),
        timedelta(minutes=45),
        "The DOPA identity service (api.dopa.go.th) stops answering: its calls time out after 30 s, "
        "POST /api/identity/dopa-verify fails with 504/500 and TimeoutException, and clients retry.",
    ),
    IncidentSpec(
        BRUTE_FORCE,
        timedelta(days=1, hours=3, minutes=20),
        timedelta(minutes=20),
        "Hundreds of failed logins (401, LoginFailed events) against one account from one IP "
        "(185.220.101.47) in 20 minutes.",
    ),
)


def incident_windows(end: datetime, days: float = 30) -> list[Incident]:
    """The incidents of a period of `days` ending at `end` that overlap it, oldest first."""
    start = end - timedelta(days=days)
    out = [spec.window(end) for spec in INCIDENTS]
    return sorted((i for i in out if i.end > start and i.start < end), key=lambda i: i.start)
