"""The data checks: each reads the gathered evidence for one feature and says passed or not, with the numbers and
links to the data behind it. Wording: what is missing and what would make it pass."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, replace
from datetime import datetime

import pandas as pd

from services.features.evidence import BACKTEST_DAYS, NEW_WINDOW, Evidence
from services.features.views import FeatureView, IncidentView
from services.incidents.severities import MAJOR
from services.incidents.workflow import OPEN_STATUSES
from services.loadtests.verdict import verdict


@dataclass(frozen=True)
class Link:
    """A pointer to the data behind an item: a page of the app and the query parameters that open the row."""

    label: str
    page: str
    params: tuple[tuple[str, str], ...] = ()


def _link(label: str, page: str, **params: object) -> Link:
    return Link(label, page, tuple((k, str(v)) for k, v in params.items()))


@dataclass(frozen=True)
class CheckResult:
    """A data check's verdict for one feature."""

    passed: bool
    detail: str
    links: tuple[Link, ...] = ()


def _when(t: datetime | pd.Timestamp) -> str:
    return pd.Timestamp(t).tz_convert("UTC").strftime("%Y-%m-%d %H:%M UTC")


NO_OPERATIONS = CheckResult(False, "The feature names no operations; add the request names it adds or changes.")


def slo_covers_operations(ev: Evidence, f: FeatureView) -> CheckResult:
    """Each operation has an SLO of its own, or the service-wide SLOs are declared to cover the feature."""
    if not f.operations:
        return NO_OPERATIONS
    parts, links, missing = [], [], []
    for op in f.operations:
        slos = ev.covering_slos(f, op)
        if slos:
            parts.append(f"{op}: {', '.join(s.name for s in slos)}")
            links += [_link(f"SLO {s.name}", "slos", slo=s.id) for s in slos]
        else:
            missing.append(op)
    if missing:
        wide = [s.name for s in ev.slos if s.service == f.service and s.operation is None and s.counts_requests]
        hint = (
            f"; the service-wide SLOs of {f.service} ({', '.join(wide)}) cover it once the feature declares so"
            if wide and not f.service_slos_cover
            else f"; add an SLO for {missing[0]} on the SLOs page"
        )
        return CheckResult(False, f"No SLO covers {', '.join(missing)}" + hint + ".", tuple(links))
    return CheckResult(True, "; ".join(parts), tuple(dict.fromkeys(links)))


def alert_watches(ev: Evidence, f: FeatureView) -> CheckResult:
    """At least one enabled alert rule names an operation in its query or burns a covering SLO."""
    if not f.operations:
        return NO_OPERATIONS
    watching = ev.watching_rules(f)
    if not watching:
        return CheckResult(
            False,
            f"No enabled alert rule names {' or '.join(f.operations)} in its query or burns an SLO covering it; "
            "add one on the Alert rules page.",
        )
    detail = "; ".join(f"{r.name} ({why})" for r, why in watching)
    return CheckResult(
        True, detail, tuple(_link(f"Alert rule {r.name}", "alert_rules", rule=r.id) for r, _ in watching)
    )


def _cut(ev: Evidence, service: str) -> CheckResult | None:
    """The answer when the telemetry this check reads was cut by the row cap: open, never a pass on part of it."""
    if any(k[:2] == ("requests", service) for k in ev.truncated):
        return CheckResult(
            False,
            f"The request counts of {service} were cut at the store's row cap; too many "
            "operations and versions at once: judge fewer features, or ask an admin to raise it.",
        )
    return None


def operations_in_telemetry(ev: Evidence, f: FeatureView) -> CheckResult:
    """Every operation served at least one request in the last 7 days (an operation never seen is said here)."""
    if not f.operations:
        return NO_OPERATIONS
    cut = _cut(ev, f.service)
    if cut:
        return cut
    seen = ev.seen(f.service)
    missing = [op for op in f.operations if op not in seen]
    parts = [f"{op}: {seen[op][0]:,} requests, last at {_when(seen[op][1])}" for op in f.operations if op in seen]
    link = (_link(f"Performance of {f.service}", "performance", role=f.service),)
    if missing:
        text = f"{', '.join(missing)} served no request of {f.service} in the last 7 days of telemetry"
        return CheckResult(False, "; ".join([text + " (check the request name)", *parts]), link)
    return CheckResult(True, "; ".join(parts), link)


def no_new_exceptions(ev: Evidence, f: FeatureView) -> CheckResult:
    """No unhandled exception type first seen on the feature's operations in the last 24 h (none the 7 days before)."""
    if not f.operations:
        return NO_OPERATIONS
    frame = ev.frame("exceptions", f.service)
    since = pd.Timestamp(ev.at - NEW_WINDOW)
    rows = [] if frame.empty else [r for r in frame.to_dict("records") if r["OperationName"] in f.operations]
    new = [r for r in rows if pd.Timestamp(r["first_seen"]) > since]
    link = (_link(f"Failures of {f.service}", "failures", role=f.service),)
    if new:
        text = "; ".join(
            f"{r['ExceptionType']} on {r['OperationName']}: {int(r['exceptions']):,} since {_when(r['first_seen'])}"
            for r in sorted(new, key=lambda r: str(r["first_seen"]))
        )
        return CheckResult(False, f"Unhandled exception types new in the last 24 h: {text}.", link)
    known = len({r["ExceptionType"] for r in rows})
    return CheckResult(
        True, f"No new unhandled exception type in the last 24 h ({known} type(s) known from the 7 days before).", link
    )


def load_test_meets_slos(ev: Evidence, f: FeatureView) -> CheckResult:
    """The newest k6 run whose git ref is the feature's release and whose endpoints include every operation: each
    operation's requests in it meet each SLO covering the operation (the load-test verdict, per operation)."""
    if not f.release:
        return CheckResult(False, "The feature has no target release; set one, then import a k6 run tagged with it.")
    if not f.operations:
        return NO_OPERATIONS
    runs = [r for r in ev.runs if r.service == f.service and r.git_ref == f.release]
    if not runs:
        return CheckResult(
            False,
            f"No k6 run of {f.release} covers {', '.join(f.operations)}: import one with "
            f"`sre-backoffice loadtest import ... --service {f.service} --git-ref {f.release}`.",
        )
    covering = [r for r in runs if set(f.operations) <= {e["name"] for e in r.endpoints}]
    if not covering:
        newest = max(runs, key=lambda r: r.id)
        names = {e["name"] for e in newest.endpoints}
        missing = [op for op in f.operations if op not in names]
        return CheckResult(
            False,
            f"No k6 run of {f.release} covers {', '.join(missing)} (run #{newest.id} named its requests "
            f"{', '.join(sorted(names)) or 'nothing'}; tag each request with the operation's name).",
            (_link(f"k6 run #{newest.id}", "loadtests", run=newest.id),),
        )
    run = max(covering, key=lambda r: r.id)
    link = (_link(f"k6 run #{run.id}", "loadtests", run=run.id),)
    # each operation judged by each SLO covering it, on the run's requests of that operation
    judged = [
        verdict(run, replace(slo, operation=op), root=ev.loadtest_root)
        for op in f.operations
        for slo in ev.covering_slos(f, op)
    ]
    if not judged:
        return CheckResult(False, f"k6 run #{run.id} of {f.release}: no SLO covers {', '.join(f.operations)}.", link)
    failed = [v for v in judged if v.met is not True]
    text = "; ".join(f"{v.slo.name}: {v.formula}" for v in (failed or judged))
    if failed:
        return CheckResult(False, f"k6 run #{run.id} of {f.release} misses: {text}.", link)
    return CheckResult(True, f"k6 run #{run.id} of {f.release} meets: {text}.", link)


def alert_backtest_quiet(ev: Evidence, f: FeatureView) -> CheckResult:
    """None of the rules watching the feature fired over the last 7 days: query rules by backtest, SLO burn-rate
    rules by the worker's own firing history."""
    watching = ev.watching_rules(f)
    if not watching:
        return CheckResult(False, "No alert rule watches the feature, so there is nothing to backtest.")
    loud, quiet = [], []
    for r, _ in watching:
        if r.spec is not None:
            fired = [t.at for t in ev.backtests.get(r.id, []) if t.state == "fired"]
            how = "backtest"
        else:
            fired = ev.slo_rule_firings.get(r.id, [])
            how = "fired"
        if fired:
            verb = "would have fired" if how == "backtest" else "fired"
            loud.append(f"{r.name} {verb} {len(fired)} time(s), first at {_when(fired[0])}")
        else:
            quiet.append(r.name)
    links = tuple(_link(f"Alert rule {r.name}", "alert_rules", rule=r.id) for r, _ in watching)
    if loud:
        return CheckResult(False, f"In the last {BACKTEST_DAYS} days: {'; '.join(loud)}.", links)
    return CheckResult(True, f"Quiet over the last {BACKTEST_DAYS} days: {', '.join(quiet)}.", links)


def within_slo_since_release(ev: Evidence, f: FeatureView) -> CheckResult:
    """Each operation met each covering SLO from the hour in which the release first served one of the feature's
    operations until now (hour buckets ending at the evaluation instant)."""
    if not f.release:
        return CheckResult(False, "The feature has no target release, so there is no 'since release'.")
    if not f.operations:
        return NO_OPERATIONS
    cut = _cut(ev, f.service)
    if cut:
        return cut
    first = ev.first_seen(f.service, f.release)
    if first is None:
        return CheckResult(
            False,
            f"Release {f.release} served no request of {', '.join(f.operations)} in the last 30 days of telemetry.",
        )
    k = first[1]
    start = pd.Timestamp(ev.at) - pd.Timedelta(hours=k + 1)
    parts: list[str] = []
    misses: list[str] = []
    links: list[Link] = []
    for op in f.operations:
        for slo in ev.covering_slos(f, op):
            links.append(_link(f"SLO {slo.name}", "slos", slo=slo.id))
            threshold = float(slo.threshold_ms or 0.0) if slo.kind == "latency" else None
            total, good_a, good_l = ev.sli_counts(f.service, threshold, op, k)
            if not total:
                misses.append(f"{op}: no request since {_when(start)}")
                continue
            good = good_l if slo.kind == "latency" else good_a
            sli = good / total * 100
            text = f"{op} {slo.name}: {good:,} / {total:,} = {sli:.3f} % vs {slo.objective:g} %"
            (parts if sli >= slo.objective else misses).append(text)
    if not parts and not misses:
        return CheckResult(False, f"No SLO covers {', '.join(f.operations)}, so 'within SLO' cannot be judged.")
    head = f"Since {_when(start)} (the hour in which {f.release} first served them): "
    if misses:
        return CheckResult(False, head + "; ".join(misses + parts) + ".", tuple(dict.fromkeys(links)))
    return CheckResult(True, head + "; ".join(parts) + ".", tuple(dict.fromkeys(links)))


def _touching(ev: Evidence, f: FeatureView) -> list[IncidentView]:
    return [i for i in ev.incidents if i.service == f.service and i.operation in f.operations]


def no_open_incidents(ev: Evidence, f: FeatureView) -> CheckResult:
    """No open incident touches the feature's operations; the open ones are listed."""
    open_ = [i for i in _touching(ev, f) if i.status in OPEN_STATUSES]
    links = tuple(_link(f"Incident #{i.id}", "triage", incident=i.id) for i in open_)
    if open_:
        text = "; ".join(f"#{i.id} {i.severity} {i.status}: {i.title}" for i in open_)
        return CheckResult(False, f"Open incidents on its operations: {text}.", links)
    return CheckResult(True, f"No open incident on {', '.join(f.operations) or 'its operations'}.")


def postmortems_linked(ev: Evidence, f: FeatureView) -> CheckResult:
    """Every resolved or closed Sev0–Sev2 incident touching the feature's operations has a postmortem."""
    done = [i for i in _touching(ev, f) if i.status not in OPEN_STATUSES and i.severity in MAJOR]
    with_pm = [i for i in _touching(ev, f) if i.postmortem_id is not None]
    links = tuple(_link(f"Postmortem of incident #{i.id}", "postmortems", incident=i.id) for i in with_pm)
    missing = [i for i in done if i.postmortem_id is None]
    if missing:
        text = ", ".join(f"#{i.id} {i.severity}" for i in missing)
        return CheckResult(False, f"Resolved incidents without a postmortem: {text}.", links)
    listed = ", ".join(f"#{i.id} ({i.postmortem_status})" for i in with_pm) or "none needed"
    return CheckResult(True, f"Postmortems: {listed}.", links)


def _tests_passed(ev: Evidence, f: FeatureView, kind: str) -> CheckResult:
    """The newest run of `kind` of the feature's service for its commit (first) or release passed."""
    if not f.commit and not f.release:
        return CheckResult(False, f"The feature has no commit or release, so no {kind}-test run can be matched to it.")
    mine = [r for r in ev.test_runs if r.service == f.service and r.kind == kind]
    run = next((r for r in mine if f.commit and r.commit == f.commit), None) or next(
        (r for r in mine if f.release and r.release == f.release), None
    )
    of = f"commit {f.commit[:12]}" if f.commit else f"release {f.release}"
    if run is None:
        how = f"--commit {f.commit}" if f.commit else f"--release {f.release}"
        return CheckResult(
            False,
            f"No {kind}-test run of {f.service} for {of}: import one with `sre-backoffice "
            f"testrun import FILE... --service {f.service} --kind {kind} {how}`.",
        )
    link = (_link(f"{kind.capitalize()}-test run #{run.id}", "testing", run=run.id),)
    ran = run.tests - run.skipped
    rate = f"{run.passed:,} of {ran:,} passed" + (f", {run.skipped:,} skipped" if run.skipped else "")
    if run.outcome == "passed":
        return CheckResult(True, f"{kind.capitalize()}-test run #{run.id}: {rate}.", link)
    if run.outcome == "aborted":
        return CheckResult(
            False,
            f"{kind.capitalize()}-test run #{run.id} was aborted (its summary says Failed "
            f"with no failed test): {rate}; run the tests again.",
            link,
        )
    return CheckResult(
        False,
        f"{kind.capitalize()}-test run #{run.id} failed: {run.failed:,} failed, {run.errors:,} errors; {rate}.",
        link,
    )


def unit_tests_passed(ev: Evidence, f: FeatureView) -> CheckResult:
    """The newest unit-test run for the feature's commit or release passed."""
    return _tests_passed(ev, f, "unit")


def integration_tests_passed(ev: Evidence, f: FeatureView) -> CheckResult:
    """The newest integration-test run for the feature's commit or release passed."""
    return _tests_passed(ev, f, "integration")


CHECKS: dict[str, Callable[[Evidence, FeatureView], CheckResult]] = {
    "slo_covers_operations": slo_covers_operations,
    "alert_watches": alert_watches,
    "operations_in_telemetry": operations_in_telemetry,
    "no_new_exceptions": no_new_exceptions,
    "load_test_meets_slos": load_test_meets_slos,
    "alert_backtest_quiet": alert_backtest_quiet,
    "within_slo_since_release": within_slo_since_release,
    "no_open_incidents": no_open_incidents,
    "postmortems_linked": postmortems_linked,
    "unit_tests_passed": unit_tests_passed,
    "integration_tests_passed": integration_tests_passed,
}
