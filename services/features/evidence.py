"""What the gates are checked against, gathered once for any number of features: the SLOs, alert rules, k6 runs,
incidents and postmortems from the database, and every telemetry figure in one batch of queries (one round trip
on Azure), however many features and items there are: the queries are per service, not per feature or item."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import pandas as pd
from sqlalchemy.orm import Session

from services.alerts import evaluation as alert_eval
from services.alerts import service as alert_service
from services.auth import Actor
from services.features.views import FeatureView, IncidentView, RuleView, TestRunView
from services.incidents import service as incident_service
from services.loadtests import service as loadtest_service
from services.loadtests.report import RunReport
from services.postmortems import service as postmortem_service
from services.slos import service as slo_service
from services.slos.evaluation import SloDefinition, bucket_offset
from services.slos.series import hours_ago
from services.telemetry import runner
from services.telemetry.source import QuerySpec, TelemetrySource
from services.testruns import service as testrun_service

SEEN_WINDOW = timedelta(days=7)  # operations_in_telemetry looks this far back
NEW_WINDOW = timedelta(hours=24)  # an exception type first seen this recently is new ...
BASELINE_WINDOW = timedelta(days=7)  # ... when it was not seen in this long before
BACKTEST_DAYS = 7
RELEASE_WINDOW = timedelta(days=30)  # how far back a release's first request is looked for

# which evidence each check needs
NEEDS: dict[str, set[str]] = {
    "operations_in_telemetry": {"requests"},
    "no_new_exceptions": {"exceptions"},
    "within_slo_since_release": {"requests", "sli"},
    "alert_backtest_quiet": {"backtests"},
    "load_test_meets_slos": {"runs"},
    "unit_tests_passed": {"testruns"},
    "integration_tests_passed": {"testruns"},
}


@dataclass
class Evidence:
    """Everything the data checks read, as of `at`."""

    at: datetime
    slos: list[SloDefinition] = field(default_factory=list)
    rules: list[RuleView] = field(default_factory=list)
    runs: list[RunReport] = field(default_factory=list)
    loadtest_root: Path = Path()
    test_runs: list[TestRunView] = field(default_factory=list)  # newest first
    incidents: list[IncidentView] = field(default_factory=list)
    slo_rule_firings: dict[int, list[datetime]] = field(default_factory=dict)
    frames: dict[tuple[str, ...], pd.DataFrame] = field(default_factory=dict)  # telemetry, by (kind, service, ...)
    backtests: dict[int, list[alert_eval.Transition]] = field(default_factory=dict)
    queries: int = 0  # telemetry queries run (all in one batch)
    truncated: set[tuple[str, ...]] = field(default_factory=set)  # results the row cap cut
    _memo: dict[tuple[str, ...], Any] = field(default_factory=dict)

    def frame(self, *key: str) -> pd.DataFrame:
        """One telemetry result (empty when it was not needed or found nothing)."""
        return self.frames.get(key, pd.DataFrame())

    def requests_key(self, service: str, threshold_ms: float | None = None) -> tuple[str, ...]:
        """The key of the service's hourly request scan for a latency threshold (any of them when None)."""
        if threshold_ms is not None:
            return ("requests", service, f"{float(threshold_ms):g}")
        return next((k for k in self.frames if k[:2] == ("requests", service)), ("requests", service, "0"))

    def seen(self, service: str) -> dict[str, tuple[int, datetime]]:
        """Each operation's requests and last request over the last 7 days (the newest 168 hour buckets)."""
        key = ("seen", service)
        if key not in self._memo:
            f = self.frame(*self.requests_key(service))
            recent = f[f["hours_ago"] < SEEN_WINDOW / timedelta(hours=1)] if not f.empty else f
            out: dict[str, tuple[int, datetime]] = {}
            if not recent.empty:
                g = recent.groupby("Name").agg(requests=("total", "sum"), last_seen=("last_seen", "max"))
                out = {str(n): (round(float(r.requests)), r.last_seen) for n, r in g.iterrows() if r.requests > 0}
            self._memo[key] = out
        return self._memo[key]

    def first_seen(self, service: str, release: str) -> tuple[datetime, int] | None:
        """When the release first served one of the named operations in the last 30 days, and that bucket's
        hours_ago; None when it did not."""
        f = self.frame(*self.requests_key(service))
        mine = f[f["AppVersion"] == release] if not f.empty else f
        if mine.empty:
            return None
        row = mine.sort_values("first_seen").iloc[0]
        return row["first_seen"], int(row["hours_ago"])

    def sli_counts(
        self, service: str, threshold_ms: float | None, operation: str, upto_hours_ago: int
    ) -> tuple[int, ...]:
        """(total, good for availability, good for latency under `threshold_ms`; any scan's when None) of one
        operation over the buckets from `upto_hours_ago` to now, every version together."""
        scan = self.requests_key(service, threshold_ms)
        key = ("sli", *scan)
        if key not in self._memo:
            f = self.frame(*scan)
            cols = ["total", "good_availability", "good_latency"]
            self._memo[key] = (
                {} if f.empty else {str(n): g.groupby("hours_ago")[cols].sum() for n, g in f.groupby("Name")}
            )
        per_op = self._memo[key].get(operation)
        if per_op is None:
            return (0, 0, 0)
        part = per_op[per_op.index <= upto_hours_ago]
        return tuple(round(float(part[c].sum())) for c in ("total", "good_availability", "good_latency"))

    def covering_slos(self, f: FeatureView, operation: str) -> list[SloDefinition]:
        """The SLOs that cover one operation of the feature: its own, or the service-wide ones when declared."""
        return [
            s
            for s in self.slos
            if s.service == f.service
            and s.counts_requests  # a ratio SLO counts its own queries' rows, not the operation's requests
            and (s.operation == operation or (s.operation is None and f.service_slos_cover))
        ]

    def watching_rules(self, f: FeatureView) -> list[tuple[RuleView, str]]:
        """Enabled alert rules that watch the feature, each with why: its query names an operation, or it burns an
        SLO that covers one."""
        slo_ids = {s.id for op in f.operations for s in self.covering_slos(f, op)}
        out = []
        for r in self.rules:
            if not r.enabled:
                continue
            named = [op for op in f.operations if r.kind == "query" and op in r.query]
            if named:
                out.append((r, f"its query names {', '.join(named)}"))
            elif r.slo_id is not None and r.slo_id in slo_ids:
                slo = next(s.name for s in self.slos if s.id == r.slo_id)
                out.append((r, f"it burns the SLO {slo!r}"))
        return out


def _rules(session: Session, actor: Actor) -> list[RuleView]:
    out = []
    for r in alert_service.list_rules(session, actor=actor):
        spec = alert_service.spec_of(r) if r.kind == "query" else None
        out.append(RuleView(r.id, r.name, r.kind, r.query or "", r.slo_id, bool(r.enabled), spec))
    return out


def _incidents(session: Session, actor: Actor, services: set[str]) -> list[IncidentView]:
    postmortems = {p.incident_id: p for p in postmortem_service.list_postmortems(session, actor=actor)}
    out = []
    for i in incident_service.list_incidents(session, actor=actor):
        if i.service in services:
            pm = postmortems.get(i.id)
            out.append(
                IncidentView(
                    i.id,
                    i.title,
                    i.service,
                    i.operation,
                    i.severity,
                    i.status,
                    pm.id if pm else None,
                    pm.status if pm else None,
                )
            )
    return out


def _needs(checks: set[str]) -> set[str]:
    return set().union(*(NEEDS.get(c, set()) for c in checks)) if checks else set()


def _wanting(features: list[FeatureView], needs: dict[int, set[str]], kind: str) -> tuple[str, ...]:
    """The operations of the features whose checks need `kind` of evidence."""
    return tuple(sorted({op for f in features if kind in needs[f.id] for op in f.operations}))


def _specs(
    ev: Evidence, features: list[FeatureView], needs: dict[int, set[str]]
) -> list[tuple[tuple[str, ...], QuerySpec]]:
    """The telemetry queries the checks need: one per service (and latency threshold) over the operations of the
    features that need it, one per watched rule."""
    at = ev.at
    specs: list[tuple[tuple[str, ...], QuerySpec]] = []
    for service in sorted({f.service for f in features}):
        mine = [f for f in features if f.service == service]
        operations, sli = _wanting(mine, needs, "requests"), bool(_wanting(mine, needs, "sli"))
        if operations:
            # one scan serves every request check; 30 days when a check looks back to a release, else 7
            window = RELEASE_WINDOW if sli else SEEN_WINDOW
            latency = {float(s.threshold_ms or 0.0) for s in ev.slos if s.service == service and s.kind == "latency"}
            for t in sorted(latency if sli and latency else {0.0}):
                q = runner.spec(
                    "feature_requests_hourly",
                    start=at - window,
                    end=at,
                    service=service,
                    operations=operations,
                    threshold_ms=t,
                    offset=bucket_offset(at),
                    label=f"feature_requests_hourly[{service} < {t:g} ms]",
                )
                specs.append((("requests", service, f"{t:g}"), q))
        if _wanting(mine, needs, "exceptions"):
            q = runner.spec(
                "feature_exceptions",
                start=at - NEW_WINDOW - BASELINE_WINDOW,
                end=at,
                service=service,
                operations=_wanting(mine, needs, "exceptions"),
            )
            specs.append((("exceptions", service), q))
    if any("backtests" in n for n in needs.values()):
        watched = {
            r.id: r
            for f in features
            if "backtests" in needs[f.id]
            for r, _ in ev.watching_rules(f)
            if r.spec is not None
        }
        for rule in watched.values():
            assert rule.spec is not None
            steps = alert_eval.backtest_steps(rule.spec, BACKTEST_DAYS)
            text, values, start = alert_eval.compose(rule.spec, at, steps=steps)
            specs.append((("backtest", str(rule.id)), QuerySpec(f"backtest[{rule.name}]", text, (start, at), values)))
    return specs


def gather(
    session: Session,
    source: TelemetrySource,
    features: Iterable[FeatureView],
    *,
    actor: Actor,
    at: datetime,
    checks: dict[int, set[str]],
    loadtest_root: Path,
) -> Evidence:
    """The evidence the named checks (per feature id) need for these features: database reads, then one telemetry
    batch."""
    features = list(features)
    per_feature = {f.id: _needs(checks.get(f.id, set())) for f in features}
    needs: set[str] = set().union(*per_feature.values()) if per_feature else set()
    services = {f.service for f in features}
    slos = [SloDefinition.of(s) for s in slo_service.list_slos(session, actor=actor)]
    ev = Evidence(at=at, slos=slos, loadtest_root=loadtest_root)
    ev.rules = _rules(session, actor)
    ev.incidents = _incidents(session, actor, services)
    if "backtests" in needs:
        backtested = [f for f in features if "backtests" in per_feature[f.id]]
        slo_rule_ids = sorted({r.id for f in backtested for r, _ in ev.watching_rules(f) if r.spec is None})
        since = at - timedelta(days=BACKTEST_DAYS)
        ev.slo_rule_firings = alert_service.fired_since(session, actor=actor, rule_ids=slo_rule_ids, since=since)
    if "runs" in needs:
        releases = {f.release for f in features if f.release and "runs" in per_feature[f.id]}
        for service in sorted(services):
            for run in loadtest_service.reports(session, actor=actor, service=service):
                if run.git_ref in releases:
                    ev.runs.append(run)
    wanting = [f for f in features if "testruns" in per_feature[f.id]]
    if wanting:
        runs = testrun_service.runs_for(
            session,
            actor=actor,
            services=sorted({f.service for f in wanting}),
            releases=sorted({f.release for f in wanting if f.release}),
            commits=sorted({f.commit for f in wanting if f.commit}),
        )
        ev.test_runs = [
            TestRunView(
                r.id,
                r.service,
                r.kind,
                r.release,
                r.commit,
                r.outcome,
                r.tests,
                r.passed,
                r.failed,
                r.errors,
                r.skipped,
            )
            for r in runs
        ]
    specs = _specs(ev, features, per_feature)
    results = runner.run_batch(source, [q for _, q in specs], actor=actor)
    ev.queries = len(specs)
    for (key, _), res in zip(specs, results, strict=True):
        frame = res.frame
        if key[0] == "requests" and not frame.empty:
            frame = frame.assign(hours_ago=hours_ago(frame, at))
        ev.frames[key] = frame
        if res.truncated:
            ev.truncated.add(key)
    for key, frame in list(ev.frames.items()):
        if key[0] == "backtest":
            rule = next(r for r in ev.rules if str(r.id) == key[1])
            assert rule.spec is not None
            steps = alert_eval.backtest_steps(rule.spec, BACKTEST_DAYS)
            partials = alert_eval.partials_of(frame, rule.spec, at)
            ev.backtests[rule.id] = alert_eval.transitions(partials, rule.spec, end=at, steps=steps)
    return ev


def as_records(frame: pd.DataFrame) -> list[dict[str, Any]]:
    """A result's rows as plain dicts."""
    return [] if frame.empty else [{str(k): v for k, v in r.items()} for r in frame.to_dict("records")]
