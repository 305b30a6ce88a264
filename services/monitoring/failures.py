"""The Failures view: failed requests over time and by operation, and what failed requests have in common."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta

import pandas as pd

from services.auth import Actor
from services.monitoring import figures
from services.monitoring.common import fetch, grain_for, to_int, with_share
from services.telemetry.runner import Runner, may_read


@dataclass
class FailuresOverview:
    """Failed requests of a role (or all) over a range: the series per bin and the table per operation."""

    over_time: pd.DataFrame
    operations: pd.DataFrame
    grain: timedelta
    requests: int
    failed: int
    notes: list[str] = field(default_factory=list)

    @property
    def failure_rate(self) -> float | None:
        """failed / requests (None without requests)."""
        return self.failed / self.requests if self.requests else None


@dataclass
class FailureBreakdown:
    """For one operation (or all): top result codes of failed requests, exception types and failed dependency calls."""

    codes: pd.DataFrame
    exceptions: pd.DataFrame
    dependencies: pd.DataFrame
    failed: int
    notes: list[str] = field(default_factory=list)


def roles(run: Runner, *, actor: Actor, start: datetime, end: datetime) -> list[str]:
    """AppRoleNames that served requests in the range, busiest first."""
    may_read(actor)
    frame = fetch(run, "failures_roles", start, end, [], actor=actor)
    return [str(r) for r in frame["AppRoleName"].dropna()] if not frame.empty else []


def overview(run: Runner, *, actor: Actor, start: datetime, end: datetime, role: str = "") -> FailuresOverview:
    """Requests and failed requests per time bin and per operation."""
    may_read(actor)
    notes: list[str] = []
    grain = grain_for(start, end)
    series = fetch(run, "failures_over_time", start, end, notes, actor=actor, role=role, operation="", grain=grain)
    ops = fetch(run, "failures_operations", start, end, notes, actor=actor, role=role)
    series = to_int(series, "requests", "failed")
    ops = to_int(ops, "requests", "failed")
    health = figures.health(run, actor=actor, service=role, start=start, end=end)  # the Home tile's definition
    return FailuresOverview(
        over_time=series,
        operations=ops,
        grain=grain,
        requests=health.requests,
        failed=health.failed,
        notes=notes,
    )


def breakdown(
    run: Runner, *, actor: Actor, start: datetime, end: datetime, role: str = "", operation: str = ""
) -> FailureBreakdown:
    """Top codes (share of failed requests), exception types and failing dependencies (share of those listed)."""
    may_read(actor)
    notes: list[str] = []
    params = {"role": role, "operation": operation}
    codes = to_int(fetch(run, "failures_codes", start, end, notes, actor=actor, **params), "failed")
    exceptions = to_int(fetch(run, "failures_exceptions", start, end, notes, actor=actor, **params), "exceptions")
    deps = to_int(fetch(run, "failures_dependencies", start, end, notes, actor=actor, **params), "failed_calls")
    failed = int(codes["failed"].sum()) if not codes.empty else 0
    return FailureBreakdown(
        codes=with_share(codes, "failed", failed),
        exceptions=with_share(exceptions, "exceptions"),
        dependencies=with_share(deps, "failed_calls"),
        failed=failed,
        notes=notes,
    )


def samples(
    run: Runner,
    *,
    actor: Actor,
    start: datetime,
    end: datetime,
    role: str = "",
    operation: str = "",
    result_code: str = "",
) -> pd.DataFrame:
    """The latest 50 failed requests (time, OperationId, code, duration) to open as transactions."""
    may_read(actor)
    return fetch(
        run, "failures_samples", start, end, [], actor=actor, role=role, operation=operation, result_code=result_code
    )


def transaction_params(operation_id: str, at: datetime | pd.Timestamp) -> dict[str, str]:
    """Query parameters that open one transaction on the Transactions page."""
    ts = pd.Timestamp(at)
    ts = ts.tz_localize("UTC") if ts.tzinfo is None else ts.tz_convert("UTC")
    return {"operation_id": operation_id, "at": ts.isoformat()}
