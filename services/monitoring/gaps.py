"""Stop/start gaps: a role instance that was sending steadily and went silent while its role kept serving elsewhere,
the pattern of a pod stopped before its SDK sent its last batch (the team's lost kube logs).

The detection is one catalogue query (queries/instance_gaps.kql), so it runs unchanged on the local store and on
Azure, and an alert rule runs it like any other query rule (`rule_query`). This module reads its rows and words them.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

import pandas as pd

from services.auth import Actor
from services.monitoring.common import fetch
from services.telemetry import catalogue
from services.telemetry.runner import Runner, may_read

QUERY = "instance_gaps"
STEADY_WINDOW_MIN, STEADY_MINUTES, SILENT_MINUTES, RESTART_BEFORE_MIN = 30, 27, 3, 10
EXPECTED_OPERATIONS = 20  # its steady rate would have sent as many in the silence: fewer, and silence proves nothing
RULE_WINDOW = timedelta(hours=2)  # the seeded rule reads its last 2 hours: a gap shows for up to 90 minutes
DEFINITION = (
    f"A **stop/start gap**: an instance (AppRoleInstance) that sent telemetry in at least {STEADY_MINUTES} of the "
    f"{STEADY_WINDOW_MIN} minutes up to its last minute, then nothing in the next {SILENT_MINUTES} whole minutes, "
    f"though at its rate of those {STEADY_WINDOW_MIN} minutes it would have sent at least {EXPECTED_OPERATIONS} "
    "operations (distinct OperationIds) in them, "
    f"while other instances of its role received requests in each of those {SILENT_MINUTES} minutes. It is "
    f"**restarted** when an instance of the role first seen from {RESTART_BEFORE_MIN} minutes before that last minute "
    "on has taken over, **back** when the same instance sends again, otherwise **still silent**. What it sent last "
    "(the batch a stopped pod never flushed) is not there: a gap is where logs went missing."
)
COLUMNS = ["role", "instance", "silent since", "silent min", "outcome", "last row", "steady min"]


@dataclass(frozen=True)
class Gap:
    """One instance's silence, with the numbers the definition checks."""

    role: str
    instance: str
    silent_since: datetime
    last_row: datetime
    silent_minutes: int
    steady_minutes: int
    resumed: datetime | None
    replaced_by: tuple[str, ...]

    @property
    def outcome(self) -> str:
        """'restarted as <instance>', 'back after N min' or 'still silent'."""
        if self.replaced_by:
            return "restarted as " + ", ".join(self.replaced_by)
        if self.resumed is not None:
            return f"back after {self.silent_minutes} min"
        return "still silent"


def _time(value: Any) -> datetime | None:
    if value is None or pd.isna(value):
        return None
    stamp = pd.Timestamp(value)
    return (stamp.tz_localize("UTC") if stamp.tzinfo is None else stamp.tz_convert("UTC")).to_pydatetime()


def _names(value: Any) -> tuple[str, ...]:
    """A dynamic array as either source returns it: a list, or its JSON text."""
    if isinstance(value, str):
        value = json.loads(value) if value.strip() else []
    if not isinstance(value, list | tuple):
        return ()
    return tuple(sorted(str(v) for v in value))


def gaps_of(frame: pd.DataFrame) -> list[Gap]:
    """The query's rows as gaps, newest first."""
    out = []
    for r in frame.to_dict("records"):
        since, last = _time(r["TimeGenerated"]), _time(r["last_row"])
        if since is None or last is None:
            continue
        out.append(
            Gap(
                role=str(r["AppRoleName"]),
                instance=str(r["AppRoleInstance"]),
                silent_since=since,
                last_row=last,
                silent_minutes=int(r["silent_minutes"]),
                steady_minutes=int(r["steady_minutes"]),
                resumed=_time(r.get("resumed")),
                replaced_by=_names(r.get("replaced_by")),
            )
        )
    return out


def find(run: Runner, *, actor: Actor, start: datetime, end: datetime, notes: list[str]) -> list[Gap]:
    """The gaps that began in [start, end] (an instance needs its steady half hour inside the range)."""
    may_read(actor)
    return gaps_of(fetch(run, QUERY, start, end, notes, actor=actor))


def table(gaps: list[Gap]) -> pd.DataFrame:
    """One row per gap, as the pages show it."""
    rows = [
        [g.role, g.instance, g.silent_since, g.silent_minutes, g.outcome, g.last_row, g.steady_minutes] for g in gaps
    ]
    return pd.DataFrame(rows, columns=COLUMNS)


def by_role(gaps: list[Gap]) -> dict[str, list[Gap]]:
    """The gaps of each role."""
    out: dict[str, list[Gap]] = {}
    for g in gaps:
        out.setdefault(g.role, []).append(g)
    return out


def rule_query() -> str:
    """The catalogue query as an alert rule's KQL, ending at the query clock: the rule's window (the timespan it is
    run with, on either source) bounds what it reads, so a backtest over days finds the gaps of those days too."""
    text = catalogue.get(QUERY).text
    return text.replace("{start}", "datetime(2000-01-01)").replace("{end}", "now()")
