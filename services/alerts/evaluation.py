"""Evaluating a rule: one query returns per-bucket partial aggregates by dimension; windows, evaluation periods
and failing periods are composed from them, so a backtest over days costs one query too.

Buckets are `frequency` long and end at the evaluation instant: bucket j holds (at − (j+1)·f, at − j·f].
Period p (0 = newest) covers buckets p … p + window/f − 1. The rule fires for a dimension value when at least
`failing_periods` of the newest `evaluation_periods` periods meet the condition.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import numpy as np
import pandas as pd

from services.errors import InvalidInput
from services.telemetry.kql import KqlValue, literal
from services.telemetry.source import TelemetrySource

EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
US = timedelta(microseconds=1)
_IDENT = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")
OPS = {
    "GreaterThan": lambda v, t: v > t,
    "GreaterThanOrEqual": lambda v, t: v >= t,
    "LessThan": lambda v, t: v < t,
    "LessThanOrEqual": lambda v, t: v <= t,
    "Equals": lambda v, t: v == t,
}
SYMBOL = {"GreaterThan": ">", "GreaterThanOrEqual": "≥", "LessThan": "<", "LessThanOrEqual": "≤", "Equals": "="}


@dataclass(frozen=True)
class RuleSpec:
    """The plain values of a query rule that evaluation needs."""

    query: str
    aggregation: str
    measure_column: str | None
    dimension: str | None
    operator: str
    threshold: float
    frequency_min: int
    window_min: int
    evaluation_periods: int = 1
    failing_periods: int = 1

    def check(self) -> None:
        """Refuse a rule that cannot be evaluated, naming the field."""
        if not self.query.strip():
            raise InvalidInput("The rule has no query; write KQL that returns rows with TimeGenerated.")
        if self.aggregation not in ("Count", "Average", "Minimum", "Maximum", "Total"):
            raise InvalidInput(f"Unknown aggregation {self.aggregation!r}.")
        if self.aggregation != "Count" and not self.measure_column:
            raise InvalidInput(f"{self.aggregation} needs a measure column (a numeric column of the query).")
        for what, col in (("measure column", self.measure_column), ("dimension", self.dimension)):
            if col and not _IDENT.match(col):
                raise InvalidInput(f"The {what} {col!r} must be a column name (letters, digits, _).")
        if self.operator not in OPS:
            raise InvalidInput(f"Unknown operator {self.operator!r}; use one of {', '.join(OPS)}.")
        if self.frequency_min < 1 or self.window_min < self.frequency_min or self.window_min % self.frequency_min:
            raise InvalidInput(
                "The window must be a whole multiple of the evaluation frequency (minutes), e.g. "
                "frequency 5 and window 15."
            )
        if not 1 <= self.failing_periods <= self.evaluation_periods <= 60:
            raise InvalidInput("Failing periods must be between 1 and the number of evaluation periods (at most 60).")

    @property
    def frequency(self) -> timedelta:
        """The evaluation frequency."""
        return timedelta(minutes=self.frequency_min)

    def condition(self) -> str:
        """The condition in words, e.g. 'Count > 5 over 15 min'."""
        of = "rows" if self.aggregation == "Count" else self.measure_column
        return f"{self.aggregation} of {of} {SYMBOL[self.operator]} {self.threshold:g} over {self.window_min} min"


# the names the composed query gives its window: values beside the text, so a rule's text is the same every cycle
# and the local store translates it once (services.telemetry.parameters)
WINDOW_START, WINDOW_END, BUCKET_OFFSET = "rule_window_start", "rule_window_end", "rule_bucket_offset"


def compose(rule: RuleSpec, at: datetime, *, steps: int = 1) -> tuple[str, dict[str, KqlValue], datetime]:
    """The KQL (rule query + per-bucket partials) covering `steps` evaluations ending at `at`, the values of its
    window parameters, and its start."""
    rule.check()
    buckets = rule.window_min // rule.frequency_min + rule.evaluation_periods - 1 + steps - 1
    start = at - rule.frequency * buckets
    offset = (at - EPOCH) % rule.frequency + US
    measure = f"todouble({rule.measure_column})" if rule.measure_column else "1.0"
    by = f"bucket = bin(TimeGenerated - {BUCKET_OFFSET}, {literal(rule.frequency)})"
    if rule.dimension:
        by += f", dimension = tostring({rule.dimension})"
    text = (
        f"{rule.query.strip()}\n| where TimeGenerated > {WINDOW_START} and TimeGenerated <= {WINDOW_END}\n"
        f"| summarize n = count(), total = sum({measure}), low = min({measure}), high = max({measure}) by {by}"
    )
    return text, {WINDOW_START: start, WINDOW_END: at, BUCKET_OFFSET: offset}, start


def bucket_index(frame: pd.DataFrame, rule: RuleSpec, at: datetime) -> pd.Series:
    """j for each bucket row: the bucket holds (at − (j+1)·f, at − j·f]."""
    offset = (at - EPOCH) % rule.frequency + US
    start = pd.to_datetime(frame["bucket"], utc=True)
    end = start + pd.Timedelta(offset) + pd.Timedelta(rule.frequency) - pd.Timedelta(microseconds=1)
    return ((pd.Timestamp(at) - end) / pd.Timedelta(rule.frequency)).round().astype(int)


def fetch(source: TelemetrySource, rule: RuleSpec, at: datetime, *, steps: int = 1, name: str = "rule") -> pd.DataFrame:
    """Per-bucket partials with `j` and `dimension` columns."""
    text, values, start = compose(rule, at, steps=steps)
    return partials_of(source.query(text, timespan=(start, at), name=name, parameters=values).frame, rule, at)


def backtest_steps(rule: RuleSpec, days: float) -> int:
    """How many evaluations a backtest over the last `days` makes."""
    return max(1, int(timedelta(days=days) / rule.frequency))


def partials_of(f: pd.DataFrame, rule: RuleSpec, at: datetime) -> pd.DataFrame:
    """The composed query's rows as per-bucket partials with `j` and `dimension` columns."""
    if f.empty:
        return pd.DataFrame(columns=["j", "dimension", "n", "total", "low", "high"])
    f = f.assign(j=bucket_index(f, rule, at))
    if "dimension" not in f:
        f["dimension"] = ""
    f["dimension"] = f["dimension"].fillna("").astype(str)
    return f[["j", "dimension", "n", "total", "low", "high"]]


def _value(rows: pd.DataFrame, aggregation: str) -> float | None:
    if rows.empty:
        return 0.0 if aggregation in ("Count", "Total") else None
    if aggregation == "Count":
        return float(rows["n"].sum())
    if aggregation == "Total":
        return float(rows["total"].sum())
    if aggregation == "Average":
        return float(rows["total"].sum()) / float(rows["n"].sum())
    return float(rows["low"].min() if aggregation == "Minimum" else rows["high"].max())


@dataclass(frozen=True)
class Verdict:
    """A rule's result for one dimension value at one instant."""

    dimension: str
    firing: bool
    value: float | None
    failing: int


def verdicts(
    partials: pd.DataFrame, rule: RuleSpec, *, step: int = 0, dimensions: Iterable[str] = ()
) -> dict[str, Verdict]:
    """Each dimension value's verdict for the evaluation `step` frequencies before the fetch instant."""
    w = rule.window_min // rule.frequency_min
    dims = set(partials["dimension"]) | set(dimensions) if len(partials) else set(dimensions)
    if not rule.dimension:
        dims = {""}
    out = {}
    for dim in dims:
        mine = partials[partials["dimension"] == dim] if len(partials) else partials
        values = []
        for p in range(rule.evaluation_periods):
            lo = step + p
            values.append(_value(mine[(mine["j"] >= lo) & (mine["j"] < lo + w)], rule.aggregation))
        failing = sum(1 for v in values if v is not None and OPS[rule.operator](v, rule.threshold))
        out[dim] = Verdict(dim, failing >= rule.failing_periods, values[0], failing)
    return out


@dataclass(frozen=True)
class Transition:
    """When a backtest saw a dimension value fire or resolve."""

    at: datetime
    dimension: str
    state: str
    value: float | None


def backtest(source: TelemetrySource, rule: RuleSpec, *, end: datetime, days: float) -> list[Transition]:
    """Evaluate the rule at every frequency step over the last `days`, with one query; fired/resolved times."""
    steps = backtest_steps(rule, days)
    return transitions(fetch(source, rule, end, steps=steps, name="backtest"), rule, end=end, steps=steps)


def transitions(partials: pd.DataFrame, rule: RuleSpec, *, end: datetime, steps: int) -> list[Transition]:
    """Replay `steps` evaluations ending at `end` over fetched partials: when each dimension fired or resolved.

    The same verdicts as `verdicts(partials, rule, step=s)` for each step s, computed for all steps at once: the
    value of a window starting at bucket i is the aggregate of buckets i … i+w−1 (rolling sums, minima, maxima).
    """
    w = rule.window_min // rule.frequency_min
    periods = rule.evaluation_periods
    starts = steps + periods - 1  # window starts 0 … steps+periods−2
    size = starts + w - 1
    present = sorted(set(partials["dimension"])) if len(partials) else []
    dims = present if rule.dimension else [""]
    out: list[tuple[int, Transition]] = []
    for dim in dims:
        mine = partials[partials["dimension"] == dim] if rule.dimension and len(partials) else partials
        values = _window_values(mine, rule.aggregation, size=size, w=w, starts=starts)
        cond = np.zeros(starts, dtype=bool)
        known = ~np.isnan(values)
        cond[known] = OPS[rule.operator](values[known], rule.threshold)
        failing = np.zeros(steps, dtype=int)  # failing[s]: the evaluation periods of step s that fail
        for p in range(periods):
            failing += cond[p : p + steps]
        firing = failing >= rule.failing_periods
        state = False
        for step in range(steps - 1, -1, -1):
            if bool(firing[step]) != state:
                state = bool(firing[step])
                v = None if np.isnan(values[step]) else float(values[step])
                out.append(
                    (
                        steps - 1 - step,
                        Transition(end - rule.frequency * step, dim, "fired" if state else "resolved", v),
                    )
                )
    out.sort(key=lambda x: x[0])  # time order, dimensions interleaved as the step-by-step replay emits them
    return [t for _, t in out]


def _window_values(rows: pd.DataFrame, aggregation: str, *, size: int, w: int, starts: int) -> np.ndarray:
    """The aggregate of each window of `w` buckets starting at 0 … starts−1 (NaN where `_value` gives None)."""
    n = np.zeros(size)
    total = np.zeros(size)
    low = np.full(size, np.inf)
    high = np.full(size, -np.inf)
    if len(rows):
        j = rows["j"].to_numpy(dtype=int)
        keep = (j >= 0) & (j < size)
        j = j[keep]
        np.add.at(n, j, rows["n"].to_numpy(dtype=float)[keep])
        np.add.at(total, j, rows["total"].to_numpy(dtype=float)[keep])
        np.minimum.at(low, j, rows["low"].to_numpy(dtype=float)[keep])
        np.maximum.at(high, j, rows["high"].to_numpy(dtype=float)[keep])

    def rolling_sum(a: np.ndarray) -> np.ndarray:  # summed window by window: no cancellation of a running total
        return np.lib.stride_tricks.sliding_window_view(a, w)[:starts].sum(axis=1)

    count = rolling_sum(n)
    if aggregation == "Count":
        return count
    if aggregation == "Total":
        return rolling_sum(total)
    if aggregation == "Average":
        with np.errstate(invalid="ignore", divide="ignore"):
            return np.where(count > 0, rolling_sum(total) / np.where(count > 0, count, 1.0), np.nan)
    windows = np.lib.stride_tricks.sliding_window_view(low if aggregation == "Minimum" else high, w)[:starts]
    picked = windows.min(axis=1) if aggregation == "Minimum" else windows.max(axis=1)
    return np.where(np.isfinite(picked), picked, np.nan)
