"""Evaluate SLOs against telemetry: SLI, error budget, burn rates and series, as of an instant."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

import pandas as pd

from services.auth import Actor
from services.slos import budget, ratio
from services.slos.definition import SloDefinition
from services.telemetry import runner
from services.telemetry.kql import KqlValue
from services.telemetry.source import QueryResult, QuerySpec, TelemetrySource


@dataclass
class SloStatus:
    """An SLO evaluated as of `at`, with every number behind it."""

    slo: SloDefinition
    at: datetime
    good: int
    total: int
    window_counts: dict[str, tuple[int, int]]
    hourly: pd.DataFrame = field(default_factory=pd.DataFrame)
    alerts: list[budget.AlertStatus] = field(default_factory=list)

    @property
    def bad(self) -> int:
        """Requests that missed the SLI."""
        return self.total - self.good

    @property
    def sli(self) -> float | None:
        """good / total as a fraction (None without traffic)."""
        return budget.sli(self.good, self.total)

    @property
    def error_budget(self) -> float:
        """1 − objective, as a fraction."""
        return budget.error_budget(self.slo.objective)

    @property
    def allowed_bad(self) -> float:
        """Bad requests the budget allows over the window."""
        return budget.allowed_bad(self.slo.objective, self.total)

    @property
    def remaining(self) -> float:
        """Fraction of the budget left (negative when overspent)."""
        return budget.budget_remaining(self.slo.objective, self.good, self.total)

    @property
    def remaining_bad(self) -> float:
        """Bad requests still allowed (negative when overspent)."""
        return self.allowed_bad - self.bad

    def burn_rate(self, window: str) -> float | None:
        """Burn rate over one window (None without traffic)."""
        return budget.burn_rate(self.slo.objective, *self.window_counts[window])

    @property
    def burn_rates(self) -> dict[str, float | None]:
        """Burn rate per window."""
        return {w: self.burn_rate(w) for w in budget.BURN_WINDOWS}

    @property
    def pace(self) -> tuple[str, float | None]:
        """The window and burn rate the time to exhaustion uses: 1h, or a firing alert's long window if faster."""
        return budget.pace(self.burn_rate("1h"), self.alerts)

    @property
    def exhaustion(self) -> timedelta | None:
        """Time until the budget is gone at the pace (None: not burning)."""
        return budget.time_to_exhaustion(self.remaining, self.slo.window_days, self.pace[1])

    @property
    def met(self) -> bool | None:
        """Whether the SLI meets the objective (None without traffic)."""
        return None if self.sli is None else self.sli * 100 >= self.slo.objective

    def as_json(self) -> dict[str, Any]:
        """The `slo status --json` object."""
        return {
            **self.slo.as_json(),
            "at": self.at.isoformat(),
            "good": self.good,
            "total": self.total,
            "sli": None if self.sli is None else self.sli * 100,
            "error_budget_remaining": self.remaining,
            "burn_rates": self.burn_rates,
            "alerts": [
                {"policy": a.policy.name, "threshold": a.threshold, "firing": a.firing, "low_traffic": a.low_traffic}
                for a in self.alerts
            ],
        }


EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
HOUR = timedelta(hours=1)
US = timedelta(microseconds=1)


@dataclass(frozen=True)
class ScanKey:
    """SLOs that one slo_hourly scan serves: same service, operation and latency threshold."""

    service: str
    operation: str
    threshold_ms: float


def scan_keys(slos: list[SloDefinition]) -> dict[int, ScanKey]:
    """Group SLOs into as few scans as possible; an availability SLO joins any scan of its service and operation."""
    keys: dict[int, ScanKey] = {}
    for s in slos:
        if s.kind == "latency":
            keys[s.id] = ScanKey(s.service, s.operation or "", float(s.threshold_ms or 0.0))
    for s in slos:
        if s.kind == "availability":
            same = [k for k in keys.values() if (k.service, k.operation) == (s.service, s.operation or "")]
            keys[s.id] = same[0] if same else ScanKey(s.service, s.operation or "", 0.0)
    return keys


def window_params(at: datetime, window_days: int) -> dict[str, KqlValue]:
    """The times both scan queries take: the window (start, end), the bucket offset and the 5- and 30-minute starts."""
    return {
        "start": at - timedelta(days=window_days),
        "end": at,
        "offset": (at - EPOCH) % HOUR + US,
        "start_5m": at - budget.BURN_WINDOWS["5m"],
        "start_30m": at - budget.BURN_WINDOWS["30m"],
    }


def hourly_spec(key: ScanKey, at: datetime, window_days: int) -> QuerySpec:
    """The slo_hourly query for one scan key over the longest window of its SLOs."""
    p = window_params(at, window_days)
    label = key.service + (f" {key.operation}" if key.operation else "")
    return runner.spec(
        "slo_hourly",
        start=at - timedelta(days=window_days),
        end=at,
        label=f"slo_hourly[{label}]",
        service=key.service,
        operation=key.operation,
        threshold_ms=key.threshold_ms,
        offset=p["offset"],
        start_5m=p["start_5m"],
        start_30m=p["start_30m"],
    )


def hours_ago(frame: pd.DataFrame, at: datetime) -> pd.Series:
    """Each bucket's distance from `at` in whole hours: bucket k holds (at − (k+1)h, at − k·h]."""
    offset = (at - EPOCH) % HOUR + US
    start = pd.to_datetime(frame["bucket"], utc=True)
    end = start + pd.Timedelta(offset) + pd.Timedelta(hours=1) - pd.Timedelta(microseconds=1)
    return ((pd.Timestamp(at) - end) / pd.Timedelta(hours=1)).round().astype(int)


def _int(v: Any) -> int:
    return 0 if v is None or pd.isna(v) else round(float(v))


# hour buckets (hours_ago < N) that make up each window of an hour or more
_HOURS = {"1h": 1, "6h": 6, "3d": 72}


def status_from_hourly(slo: SloDefinition, at: datetime, scan: pd.DataFrame) -> SloStatus:
    """Build one SLO's status from its scan's rows: windows of whole hours are sums of buckets."""
    h = scan[scan["hours_ago"] < slo.window_days * 24] if len(scan) else scan
    suffix = slo.kind  # the scan's good column: good_availability, good_latency or good_ratio
    hourly = pd.DataFrame(
        {"hours_ago": h.get("hours_ago", []), "good": h.get(f"good_{suffix}", []), "total": h.get("total", [])}
    )
    counts: dict[str, tuple[int, int]] = {}
    for w in ("5m", "30m"):
        counts[w] = (_int(h[f"good_{suffix}_{w}"].sum()), _int(h[f"total_{w}"].sum())) if len(h) else (0, 0)
    for w, n in _HOURS.items():
        part = hourly[hourly["hours_ago"] < n]
        counts[w] = (_int(part["good"].sum()), _int(part["total"].sum()))
    st = SloStatus(
        slo=slo,
        at=at,
        good=_int(hourly["good"].sum()),
        total=_int(hourly["total"].sum()),
        window_counts=counts,
        hourly=hourly,
    )
    st.alerts = budget.alert_statuses(slo.objective, slo.window_days, counts)
    return st


def evaluate(
    source: TelemetrySource, slos: list[SloDefinition], *, actor: Actor, at: datetime | None = None
) -> list[SloStatus]:
    """Evaluate every SLO as of `at` (default now): one scan per service/operation/threshold and two counts per ratio
    SLO (its good or bad query, and its total), sent as one batch."""
    at = (at or datetime.now(UTC)).astimezone(UTC)
    keys = scan_keys([s for s in slos if s.counts_requests])
    scans = list(dict.fromkeys(keys.values()))
    days = {k: max(s.window_days for s in slos if keys.get(s.id) == k) for k in scans}
    ratios = [s for s in slos if not s.counts_requests]
    specs = [hourly_spec(k, at, days[k]) for k in scans]
    for s in ratios:
        specs += ratio.specs(s.name, s.ratio_queries(), window_params(at, s.window_days))
    results = runner.run_batch(source, specs, actor=actor)
    frames: dict[object, pd.DataFrame] = {k: _with_hours(res, at) for k, res in zip(scans, results, strict=False)}
    counts = results[len(scans) :]
    for i, s in enumerate(ratios):
        numerator, total = _with_hours(counts[2 * i], at), _with_hours(counts[2 * i + 1], at)
        frames[s.id] = ratio.scan_frame(numerator, total, numerator_is_bad=bool(s.bad_query))
    return [status_from_hourly(s, at, frames[keys[s.id] if s.counts_requests else s.id]) for s in slos]


def _with_hours(res: QueryResult, at: datetime) -> pd.DataFrame:
    f = res.frame
    return f.assign(hours_ago=hours_ago(f, at)) if len(f) else f


def series(status: SloStatus, *, hours_per_point: int = 1) -> pd.DataFrame:
    """Good/total per point of `hours_per_point` hours (quiet hours as zero), oldest first, with budget columns."""
    slo, at = status.slo, status.at
    hours = slo.window_days * 24
    h = status.hourly
    if hours_per_point > 1 and len(h):
        h = h.assign(hours_ago=(h["hours_ago"] // hours_per_point) * hours_per_point)
        h = h.groupby("hours_ago", as_index=False)[["good", "total"]].sum()
    base = pd.DataFrame({"hours_ago": range(hours - hours_per_point, -1, -hours_per_point)})
    if len(h):
        base = base.merge(h[["hours_ago", "good", "total"]], on="hours_ago", how="left")
    else:
        base["good"] = 0.0
        base["total"] = 0.0
    base = base.fillna({"good": 0.0, "total": 0.0})
    # the point hours_ago = k holds (at − (k+n)h, at − k h]; it is charted at its end
    base["TimeGenerated"] = [at - timedelta(hours=int(k)) for k in base["hours_ago"]]
    if status.total == 0:
        return add_budget_columns(base.iloc[0:0], slo.objective)
    return add_budget_columns(base, slo.objective)


def add_budget_columns(frame: pd.DataFrame, objective: float) -> pd.DataFrame:
    """Add sli, burn_rate per bin and the burn-down: budget_remaining = 1 − cumulative bad / (budget × window total)."""
    columns = ["TimeGenerated", "good", "total", "sli", "cum_bad", "budget_remaining", "burn_rate"]
    f = frame.copy()
    if f.empty:
        return pd.DataFrame(columns=columns)
    f["good"] = f["good"].astype(float)
    f["total"] = f["total"].astype(float)
    eb = budget.error_budget(objective)
    f["sli"] = (f["good"] / f["total"]).where(f["total"] > 0)
    f["cum_bad"] = (f["total"] - f["good"]).cumsum()
    allowed = eb * f["total"].sum()
    f["budget_remaining"] = 1 - f["cum_bad"] / allowed if allowed > 0 else 1.0
    f["burn_rate"] = ((f["total"] - f["good"]) / f["total"] / eb).where(f["total"] > 0)
    return f[columns]
