"""The headline figures of the Home tiles, one definition each; every page that shows one of them calls it here.

Over a range (start, end] of one service (AppRoleName), counts being sum(ItemCount), so sampling is accounted for:

requests, failed   = AppRequests rows' ItemCount; failed where Success == false
failure rate       = failed / requests
p95 duration       = percentile(DurationMs, 95) over the requests' rows
exceptions         = AppExceptions' ItemCount
peak RPS           = the busiest 1-minute bin's requests / 60: a 1-minute average, per second (load-test runs and
                     the capacity plan use the same definition, see services.loadtests.points)
average RPS        = requests / seconds in the range
failed logins      = LoginFailed AppEvents' ItemCount (every account, not the top ones)
releases           = the AppVersions that served requests, in the order they were first seen
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

import pandas as pd

from services.auth import Actor
from services.monitoring.common import fetch, to_int
from services.telemetry.runner import Runner, may_read

PEAK_RPS = "busiest 1-minute average, per second"


def _first(frame: pd.DataFrame, column: str) -> float | None:
    if frame.empty or column not in frame or pd.isna(frame[column].iloc[0]):
        return None
    return float(frame[column].iloc[0])


@dataclass(frozen=True)
class Health:
    """Requests of a service over a range: how many, how many failed, and the p95 duration."""

    service: str
    start: datetime
    end: datetime
    requests: int
    failed: int
    p95_ms: float | None
    notes: tuple[str, ...] = ()

    @property
    def failure_rate(self) -> float | None:
        """failed / requests (None without requests)."""
        return self.failed / self.requests if self.requests else None

    @property
    def average_rps(self) -> float:
        """requests / seconds in the range."""
        seconds = (self.end - self.start).total_seconds()
        return self.requests / seconds if seconds > 0 else 0.0


def health(run: Runner, *, actor: Actor, service: str, start: datetime, end: datetime) -> Health:
    """Requests, failed requests and p95 of `service` (every role when empty) over (start, end]."""
    may_read(actor)
    notes: list[str] = []
    frame = fetch(run, "service_health", start, end, notes, actor=actor, service=service)
    return Health(
        service,
        start,
        end,
        int(_first(frame, "requests") or 0),
        int(_first(frame, "failed") or 0),
        _first(frame, "p95_ms"),
        tuple(notes),
    )


@dataclass(frozen=True)
class Exceptions:
    """Exceptions of a service over a range, in all and per type (most first)."""

    total: int
    by_type: pd.DataFrame  # ExceptionType, exceptions


def exceptions(run: Runner, *, actor: Actor, service: str, start: datetime, end: datetime) -> Exceptions:
    """AppExceptions of `service` over (start, end]."""
    may_read(actor)
    frame = to_int(fetch(run, "exceptions_by_type", start, end, [], actor=actor, service=service), "exceptions")
    return Exceptions(int(frame["exceptions"].sum()) if not frame.empty else 0, frame)


@dataclass(frozen=True)
class Peak:
    """The busiest minute of a service over a range."""

    rps: float  # its requests / 60; 0 without requests
    minute: datetime | None  # when the minute began
    requests: int


def peak_rps(run: Runner, *, actor: Actor, service: str, start: datetime, end: datetime) -> Peak:
    """Peak RPS of `service` over (start, end]: the busiest 1-minute bin's requests / 60."""
    may_read(actor)
    frame = fetch(run, "peak_rps", start, end, [], actor=actor, service=service)
    if frame.empty or _first(frame, "per_minute") is None:
        return Peak(0.0, None, 0)
    minute = pd.Timestamp(frame["minute"].iloc[0])
    minute = minute.tz_localize("UTC") if minute.tzinfo is None else minute.tz_convert("UTC")
    return Peak(float(_first(frame, "peak_rps") or 0.0), minute.to_pydatetime(), int(_first(frame, "per_minute") or 0))


@dataclass(frozen=True)
class FailedLogins:
    """LoginFailed events of a service over a range: every account's, and the account hit most."""

    total: int
    accounts: int
    top_account: str | None
    top_count: int


def failed_logins(run: Runner, *, actor: Actor, service: str, start: datetime, end: datetime) -> FailedLogins:
    """Failed logins on `service` over (start, end], with the account that had the most."""
    may_read(actor)
    totals = fetch(run, "failed_logins_total", start, end, [], actor=actor, service=service)
    top = fetch(run, "business_failed_logins_top", start, end, [], actor=actor, service=service, limit=1)
    return FailedLogins(
        int(_first(totals, "failed_logins") or 0),
        int(_first(totals, "accounts") or 0),
        None if top.empty else str(top["account"].iloc[0]),
        int(_first(top, "failed_logins") or 0),
    )


def releases(run: Runner, *, actor: Actor, service: str, start: datetime, end: datetime) -> pd.DataFrame:
    """The AppVersions of `service` that served requests over (start, end], first seen first."""
    may_read(actor)
    return fetch(run, "releases", start, end, [], actor=actor, service=service)
