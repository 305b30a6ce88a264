"""Evaluate SLOs against telemetry: SLI, error budget, burn rates and series, as of an instant."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

import pandas as pd

from services.slos import budget
from services.slos.models import Slo
from services.telemetry import catalogue
from services.telemetry.source import QuerySpec, TelemetrySource


@dataclass(frozen=True)
class SloDefinition:
    """The plain values of an SLO, detached from the database session (safe to cache and pass around)."""

    id: int
    name: str
    service: str
    operation: str | None
    kind: str
    objective: float
    threshold_ms: float | None
    window_days: int
    version: int = 1

    @classmethod
    def of(cls, slo: Slo) -> SloDefinition:
        """Copy the fields of a stored SLO."""
        return cls(
            slo.id,
            slo.name,
            slo.service,
            slo.operation,
            slo.kind,
            slo.objective,
            slo.threshold_ms,
            slo.window_days,
            slo.version,
        )

    def describe_sli(self) -> str:
        """The SLI in words."""
        scope = f"{self.service}" + (f" {self.operation}" if self.operation else "")
        if self.kind == "latency":
            return f"requests of {scope} faster than {self.threshold_ms:g} ms / all requests"
        return f"successful requests of {scope} / all requests"


@dataclass
class SloStatus:
    """An SLO evaluated as of `at`, with every number behind it."""

    slo: SloDefinition
    at: datetime
    good: int
    total: int
    window_counts: dict[str, tuple[int, int]]
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
    def exhaustion(self) -> timedelta | None:
        """Time until the budget is gone at the 1h burn rate."""
        return budget.time_to_exhaustion(self.remaining, self.slo.window_days, self.burn_rate("1h"))

    @property
    def met(self) -> bool | None:
        """Whether the SLI meets the objective (None without traffic)."""
        return None if self.sli is None else self.sli * 100 >= self.slo.objective

    def as_json(self) -> dict[str, Any]:
        """The `slo status --json` object."""
        return {
            "name": self.slo.name,
            "kind": self.slo.kind,
            "service": self.slo.service,
            "operation": self.slo.operation,
            "objective": self.slo.objective,
            "threshold_ms": self.slo.threshold_ms if self.slo.kind == "latency" else None,
            "window_days": self.slo.window_days,
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


def _params(slo: SloDefinition, at: datetime) -> dict[str, Any]:
    return {
        "start": at - timedelta(days=slo.window_days),
        "end": at,
        "service": slo.service,
        "operation": slo.operation or "",
        "kind": slo.kind,
        "threshold_ms": float(slo.threshold_ms or 0.0),
    }


def counts_spec(slo: SloDefinition, at: datetime) -> QuerySpec:
    """The window-counts query for one SLO."""
    params = _params(slo, at)
    for w, span in budget.BURN_WINDOWS.items():
        params[f"start_{w}"] = at - span
    text = catalogue.render("slo_counts", **params)
    return QuerySpec(name=f"slo_counts[{slo.name}]", text=text, timespan=(params["start"], at))


def _int(v: Any) -> int:
    return 0 if v is None or pd.isna(v) else round(float(v))


def status_from_row(slo: SloDefinition, at: datetime, row: dict[str, Any]) -> SloStatus:
    """Build the status from one row of slo_counts."""
    counts = {w: (_int(row.get(f"good_{w}")), _int(row.get(f"total_{w}"))) for w in budget.BURN_WINDOWS}
    st = SloStatus(slo=slo, at=at, good=_int(row.get("good")), total=_int(row.get("total")), window_counts=counts)
    st.alerts = budget.alert_statuses(slo.objective, slo.window_days, counts)
    return st


def evaluate(source: TelemetrySource, slos: list[SloDefinition], *, at: datetime | None = None) -> list[SloStatus]:
    """Evaluate every SLO as of `at` (default now), with one batch of queries."""
    at = (at or datetime.now(UTC)).astimezone(UTC)
    specs = [counts_spec(s, at) for s in slos]
    results = source.query_batch(specs) if specs else []
    out = []
    for slo, res in zip(slos, results, strict=True):
        row = {str(k): v for k, v in res.frame.iloc[0].items()} if len(res.frame) else {}
        out.append(status_from_row(slo, at, row))
    return out


def series_bin(window_days: int) -> timedelta:
    """The time bin for a window's charts: 1h for 7 days, 3h for 28–30 days (about 240 points)."""
    return timedelta(hours=1) if window_days <= 7 else timedelta(hours=3)


def series(source: TelemetrySource, slo: SloDefinition, *, at: datetime, bin: timedelta | None = None) -> pd.DataFrame:
    """Per-bin good/total with the SLI, cumulative budget remaining and burn rate, oldest first."""
    params = _params(slo, at)
    params["bin"] = bin or series_bin(slo.window_days)
    text = catalogue.render("slo_series", **params)
    frame = source.query(text, timespan=(params["start"], at), name=f"slo_series[{slo.name}]").frame
    return add_budget_columns(frame, slo.objective)


def add_budget_columns(frame: pd.DataFrame, objective: float) -> pd.DataFrame:
    """Add sli, cumulative good/total, budget_remaining (cumulative) and burn_rate per bin."""
    f = frame.copy()
    if f.empty:
        return pd.DataFrame(
            columns=["TimeGenerated", "good", "total", "sli", "cum_good", "cum_total", "budget_remaining", "burn_rate"]
        )
    f["good"] = f["good"].astype(float)
    f["total"] = f["total"].astype(float)
    eb = budget.error_budget(objective)
    f["sli"] = (f["good"] / f["total"]).where(f["total"] > 0)
    f["cum_good"] = f["good"].cumsum()
    f["cum_total"] = f["total"].cumsum()
    allowed = eb * f["cum_total"]
    f["budget_remaining"] = (1 - (f["cum_total"] - f["cum_good"]) / allowed).where(allowed > 0, 1.0)
    f["burn_rate"] = ((f["total"] - f["good"]) / f["total"] / eb).where(f["total"] > 0)
    return f
