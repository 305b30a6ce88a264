"""A backtest as a timeline: the rule's value at every evaluation (per dimension value) beside the periods it fired,
from the one query `evaluation.backtest` makes, so a chart can show how close a quiet rule came to its threshold."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

import numpy as np
import pandas as pd

from services.alerts import service as alert_service
from services.alerts.evaluation import RuleSpec, Transition, _window_values, backtest_steps, fetch, transitions
from services.alerts.models import AlertRule
from services.auth import Actor, require
from services.errors import InvalidInput
from services.telemetry.source import TelemetrySource

MOST_DIMENSIONS = 5  # lines on one chart; the values that fired first, then those that came closest


@dataclass(frozen=True)
class Timeline:
    """Every evaluation's value, the fired/resolved times, and the span they cover."""

    evaluations: pd.DataFrame  # at, dimension, value (NaN where the aggregate has no value, e.g. an empty average)
    transitions: list[Transition]
    start: datetime  # the first evaluation
    end: datetime  # the last evaluation
    threshold: float
    dimensions_seen: int  # dimension values with any row; `evaluations` keeps at most MOST_DIMENSIONS of them

    def firing_periods(self) -> pd.DataFrame:
        """dimension, start (fired at), end (resolved at, or the last evaluation when still firing), and how long."""
        rows: list[dict[str, Any]] = []
        fired: dict[str, datetime] = {}
        for t in self.transitions:
            if t.state == "fired":
                fired[t.dimension] = t.at
            elif t.dimension in fired:
                rows.append({"dimension": t.dimension, "start": fired.pop(t.dimension), "end": t.at})
        rows += [{"dimension": d, "start": at, "end": self.end} for d, at in fired.items()]
        frame = pd.DataFrame(rows, columns=["dimension", "start", "end"])
        return frame.assign(minutes=(frame["end"] - frame["start"]).dt.total_seconds() / 60 if rows else 0.0)


def timeline(source: TelemetrySource, rule: RuleSpec, *, end: datetime, days: float) -> Timeline:
    """Evaluate the rule at every frequency step over the last `days` with one query: values and transitions."""
    steps = backtest_steps(rule, days)
    partials = fetch(source, rule, end, steps=steps, name="backtest")
    found = transitions(partials, rule, end=end, steps=steps)
    w = rule.window_min // rule.frequency_min
    starts = steps + rule.evaluation_periods - 1
    present = sorted(set(partials["dimension"])) if len(partials) else []
    dims = present if rule.dimension else [""]
    values = {
        dim: _window_values(
            partials[partials["dimension"] == dim] if rule.dimension else partials,
            rule.aggregation,
            size=starts + w - 1,
            w=w,
            starts=starts,
        )[:steps]  # value[step] is the newest period of the evaluation `step` frequencies before `end`
        for dim in dims
    }
    first_fired = {t.dimension: i for i, t in reversed(list(enumerate(found))) if t.state == "fired"}
    kept = sorted(dims, key=lambda d: (first_fired.get(d, len(found)), -np.nan_to_num(values[d], nan=-np.inf).max()))
    at = [end - rule.frequency * step for step in range(steps)]
    evaluations = pd.concat(
        [pd.DataFrame({"at": at, "dimension": d, "value": values[d]}) for d in kept[:MOST_DIMENSIONS]]
        or [pd.DataFrame(columns=["at", "dimension", "value"])],
        ignore_index=True,
    ).sort_values(["dimension", "at"], ignore_index=True)
    return Timeline(
        evaluations=evaluations,
        transitions=found,
        start=end - rule.frequency * (steps - 1),
        end=end,
        threshold=rule.threshold,
        dimensions_seen=len(present) if rule.dimension else 1,
    )


def backtest_timeline(
    source: TelemetrySource, *, actor: Actor, data: dict[str, Any], days: float, end: datetime
) -> Timeline:
    """Validate a rule form and replay it over the last `days` without saving anything, as a timeline."""
    require(actor, "alert.read")
    fields = alert_service.check_rule({**data, "name": data.get("name") or "backtest"})
    if fields.get("kind", "query") != "query":
        raise InvalidInput("SLO burn-rate rules are backtested on the SLO page (evaluate as of a past instant).")
    if not 0 < days <= 30:
        raise InvalidInput("Backtest between a few hours and 30 days.")
    return timeline(source, alert_service.spec_of(AlertRule(**fields)), end=end, days=days)
