"""The Home page's practice tiles: each one a figure computed from telemetry and SLO status."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

import pandas as pd

from services.auth import Actor
from services.incidents.severities import PAGING
from services.monitoring import figures
from services.slos.evaluation import SloStatus
from services.telemetry.runner import Runner
from services.testruns.service import Summary as TestSummary

PHASES: list[tuple[str, list[str]]] = [
    ("Planning", ["Product"]),
    ("Analysis", ["Product"]),
    ("Design", ["Development", "Monitoring", "Incident Response"]),
    ("Implementation", ["Testing", "Monitoring", "Incident Response", "Postmortem & RCA"]),
    ("Testing & Integration", ["Capacity Planning", "Monitoring", "Incident Response"]),
    ("Maintenance", ["Monitoring", "Incident Response", "Postmortem & RCA"]),
]
PRACTICES = [
    "Monitoring",
    "Incident Response",
    "Postmortem & RCA",
    "Testing",
    "Capacity Planning",
    "Development",
    "Product",
]


@dataclass(frozen=True)
class Tile:
    """One practice's live status: a headline value, a line of context, whether it needs attention, and the window
    (start, end] and role its figure covers, which the tile's link hands to the page it opens."""

    practice: str
    label: str
    value: str
    detail: str
    state: str  # "ok", "warn", "alert" or "none"
    start: datetime | None = None
    end: datetime | None = None
    role: str = ""
    run_id: int | None = None  # the Testing tile's newest run


def _testing_tile(tests: TestSummary | None) -> Tile | None:
    """The newest test run of each kind: its pass rate (passed / (tests − skipped)), and the flaky tests."""
    if tests is None or not tests.latest:
        return None
    rate = lambda r: "—" if r is None else f"{r:.0%}"  # noqa: E731
    shown = tests.latest[:2]  # unit and integration first
    value = " · ".join(rate(r) for _, _, _, r in shown)
    failing = [f"{kind} #{run_id} {outcome}" for kind, run_id, outcome, _ in tests.latest if outcome != "passed"]
    detail = f"{tests.flaky} flaky test(s) in the last 50 runs" + (f" · {', '.join(failing)}" if failing else "")
    return Tile(
        "Testing",
        "pass rate of the newest " + " · ".join(kind for kind, _, _, _ in shown) + " run",
        value,
        detail,
        "alert" if failing else "warn" if tests.flaky else "ok",
        run_id=shown[0][1],
    )


def tiles(
    run: Runner,
    statuses: list[SloStatus],
    *,
    actor: Actor,
    service: str,
    at: datetime,
    open_incidents: dict[str, int] | None = None,
    tests: TestSummary | None = None,
) -> list[Tile]:
    """Every practice's tile as of `at`, its figures from services.monitoring.figures (the definitions the pages it
    links to use too); `open_incidents` counts open incidents per severity, `tests` sums up the service's newest test
    runs (the Testing tile shows the latest release when there are none)."""
    hour, day, week, month = (
        at - timedelta(hours=1),
        at - timedelta(days=1),
        at - timedelta(days=7),
        at - timedelta(days=30),
    )
    h = figures.health(run, start=hour, actor=actor, service=service, end=at)
    fr, p95 = h.failure_rate or 0.0, h.p95_ms or 0.0
    out = [
        Tile(
            "Monitoring",
            f"requests of {service}, last hour",
            f"{h.requests:,}",
            f"{fr:.2%} failed · p95 {p95:,.0f} ms",
            "alert" if fr > 0.01 or p95 > 300 else "ok",
            hour,
            at,
            service,
        )
    ]

    pages = sum(1 for s in statuses for a in s.alerts if a.firing and a.policy.severity == "page")
    tickets = sum(1 for s in statuses for a in s.alerts if a.firing and a.policy.severity == "ticket")
    worst = min((s.remaining for s in statuses), default=None)
    out.append(
        Tile(
            "Incident Response",
            "open incidents",
            f"{sum((open_incidents or {}).values())}",
            ", ".join(f"{n} {sev}" for sev, n in sorted((open_incidents or {}).items()))
            + f" · burn-rate alerts firing: {pages} page, {tickets} ticket · lowest error budget left: "
            + ("—" if worst is None else f"{worst:.1%}"),
            "alert"
            if pages or any(sev in PAGING for sev in open_incidents or {})
            else "warn"
            if tickets or open_incidents
            else "ok",
        )
    )

    exc = figures.exceptions(run, start=day, actor=actor, service=service, end=at)
    by_type = exc.by_type
    top = (
        f"top: {by_type['ExceptionType'].iloc[0]} ({by_type['exceptions'].iloc[0]:,})" if exc.total else "no exceptions"
    )
    out.append(
        Tile(
            "Postmortem & RCA",
            f"exceptions of {service}, last 24 h",
            f"{exc.total:,}",
            top,
            "warn" if exc.total else "ok",
            day,
            at,
            service,
        )
    )

    rel = figures.releases(run, start=month, actor=actor, service=service, end=at)
    if rel.empty:
        out.append(_testing_tile(tests) or Tile("Testing", "latest release", "—", "no requests in 30 days", "none"))
        out.append(Tile("Development", f"releases of {service}, last 30 days", "0", "", "none", month, at, service))
    else:
        last = rel.iloc[-1]
        out.append(
            _testing_tile(tests)
            or Tile(
                "Testing",
                "latest release in production",
                str(last["AppVersion"]),
                f"first seen {pd.Timestamp(last['first_seen']):%Y-%m-%d %H:%M} UTC",
                "ok",
            )
        )
        out.append(
            Tile(
                "Development",
                f"releases of {service}, last 30 days",
                f"{len(rel)}",
                " → ".join(str(v) for v in rel["AppVersion"].tail(3)),
                "ok",
                month,
                at,
                service,
            )
        )

    peak = figures.peak_rps(run, start=week, actor=actor, service=service, end=at)
    now_rps = h.average_rps
    out.append(
        Tile(
            "Capacity Planning",
            f"peak RPS of {service}, last 7 days",
            f"{peak.rps:,.1f}",
            f"{figures.PEAK_RPS} · last hour averages {now_rps:,.2f} RPS"
            + (f" ({now_rps / peak.rps:.0%} of peak)" if peak.rps else ""),
            "ok",
            week,
            at,
            service,
        )
    )

    logins = figures.failed_logins(run, start=day, actor=actor, service=service, end=at)
    top_acct = f"top account {logins.top_account}: {logins.top_count:,}" if logins.top_account else "none"
    out.append(
        Tile(
            "Product",
            f"failed logins on {service}, last 24 h",
            f"{logins.total:,}",
            f"{logins.accounts:,} account(s) · {top_acct}",
            "warn" if logins.top_count > 10 else "ok",
            day,
            at,
            service,
        )
    )
    return out
