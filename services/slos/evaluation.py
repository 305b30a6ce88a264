"""Evaluate SLOs against telemetry: SLI, error budget and burn rates as of an instant, from the scans' rows as Python
values (no pandas: `slo status` is a whole process; the charts' series are in services/slos/series.py)."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any, NamedTuple

from services.auth import Actor
from services.slos import budget, ratio
from services.slos.definition import SloDefinition
from services.telemetry import runner
from services.telemetry.kql import KqlValue
from services.telemetry.source import QueryResult, QuerySpec, TelemetrySource


class HourCounts(NamedTuple):
    """One hour bucket of a scan: it holds (at − (hours_ago+1)h, at − hours_ago·h]."""

    hours_ago: int
    good: float
    total: float


@dataclass
class SloStatus:
    """An SLO evaluated as of `at`, with every number behind it."""

    slo: SloDefinition
    at: datetime
    good: int
    total: int
    window_counts: dict[str, tuple[int, int]]
    hourly: list[HourCounts] = field(default_factory=list)
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
        "offset": bucket_offset(at),
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
        records=True,  # read as records only (_with_hours)
        service=key.service,
        operation=key.operation,
        threshold_ms=key.threshold_ms,
        offset=p["offset"],
        start_5m=p["start_5m"],
        start_30m=p["start_30m"],
    )


def bucket_offset(at: datetime) -> timedelta:
    """The scans' {offset}: `at`'s distance past the hour plus 1 µs, so each hour bucket ends at `at` − k·h."""
    return (at - EPOCH) % HOUR + US


def bucket_hours_ago(bucket: datetime, at: datetime) -> int:
    """A bucket's distance from `at` in whole hours: the bucket starting at `bucket` (bin(TimeGenerated − offset, 1h))
    holds (at − (k+1)h, at − k·h] for k = hours_ago."""
    start = bucket.replace(tzinfo=UTC) if bucket.tzinfo is None else bucket.astimezone(UTC)
    end = start + bucket_offset(at) + HOUR - US
    return round((at - end) / HOUR)


def _int(v: Any) -> int:
    return 0 if v is None or v != v else round(float(v))  # v != v: NaN


def _sum(rows: list[dict[str, Any]], column: str) -> int:
    return sum(_int(r.get(column)) for r in rows)


# hour buckets (hours_ago < N) that make up each window of an hour or more
_HOURS = {"1h": 1, "6h": 6, "3d": 72}


def status_from_hourly(slo: SloDefinition, at: datetime, scan: list[dict[str, Any]]) -> SloStatus:
    """Build one SLO's status from its scan's rows (dicts with hours_ago): windows of whole hours are sums of
    buckets."""
    h = [r for r in scan if r["hours_ago"] < slo.window_days * 24]
    suffix = slo.kind  # the scan's good column: good_availability, good_latency or good_ratio
    hourly = [HourCounts(int(r["hours_ago"]), _int(r.get(f"good_{suffix}")), _int(r.get("total"))) for r in h]
    counts: dict[str, tuple[int, int]] = {}
    for w in ("5m", "30m"):
        counts[w] = (_sum(h, f"good_{suffix}_{w}"), _sum(h, f"total_{w}"))
    for w, n in _HOURS.items():
        part = [c for c in hourly if c.hours_ago < n]
        counts[w] = (round(sum(c.good for c in part)), round(sum(c.total for c in part)))
    st = SloStatus(
        slo=slo,
        at=at,
        good=round(sum(c.good for c in hourly)),
        total=round(sum(c.total for c in hourly)),
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
    frames: dict[object, list[dict[str, Any]]] = {
        k: _with_hours(res, at) for k, res in zip(scans, results, strict=False)
    }
    counts = results[len(scans) :]
    for i, s in enumerate(ratios):
        numerator, total = _with_hours(counts[2 * i], at), _with_hours(counts[2 * i + 1], at)
        frames[s.id] = ratio.scan_rows(numerator, total, numerator_is_bad=bool(s.bad_query))
    return [status_from_hourly(s, at, frames[keys[s.id] if s.counts_requests else s.id]) for s in slos]


def _with_hours(res: QueryResult, at: datetime) -> list[dict[str, Any]]:
    return [{**r, "hours_ago": bucket_hours_ago(r["bucket"], at)} for r in res.records()]  # type: ignore[arg-type]
