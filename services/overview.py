"""The Home page's practice tiles: each one a figure computed from telemetry and SLO status."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

import pandas as pd

from services.auth import Actor
from services.incidents.severities import PAGING
from services.slos.evaluation import SloStatus
from services.telemetry import runner
from services.telemetry.kql import KqlValue
from services.telemetry.source import TelemetrySource
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
    """One practice's live status: a headline value, a line of context, and whether it needs attention."""

    practice: str
    label: str
    value: str
    detail: str
    state: str  # "ok", "warn", "alert" or "none"


def _first(frame: pd.DataFrame, col: str, default: float = 0.0) -> float:
    if frame.empty or col not in frame or pd.isna(frame[col].iloc[0]):
        return default
    return float(frame[col].iloc[0])


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
    )


def tiles(
    source: TelemetrySource,
    statuses: list[SloStatus],
    *,
    actor: Actor,
    service: str,
    at: datetime,
    open_incidents: dict[str, int] | None = None,
    tests: TestSummary | None = None,
) -> list[Tile]:
    """Every practice's tile as of `at`; `open_incidents` counts open incidents per severity, `tests` sums up the
    service's newest test runs (the Testing tile shows the latest release when there are none)."""

    def _q(name: str, start: datetime, **params: KqlValue) -> pd.DataFrame:
        return runner.run(source, name, actor=actor, start=start, end=at, **params).frame

    hour = _q("service_health", at - timedelta(hours=1), service=service)
    req, failed = _first(hour, "requests"), _first(hour, "failed")
    fr = failed / req if req else 0.0
    p95 = _first(hour, "p95_ms")
    out = [
        Tile(
            "Monitoring",
            "requests in the last hour",
            f"{req:,.0f}",
            f"{fr:.2%} failed · p95 {p95:,.0f} ms",
            "alert" if fr > 0.01 or p95 > 300 else "ok",
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
            + f" · burn-rate alerts firing: {pages} page, {tickets} ticket · lowest budget left: "
            + ("—" if worst is None else f"{worst:.1%}"),
            "alert"
            if pages or any(sev in PAGING for sev in open_incidents or {})
            else "warn"
            if tickets or open_incidents
            else "ok",
        )
    )

    exc = _q("exceptions_by_type", at - timedelta(days=1), service=service)
    top = (
        f"top: {exc['ExceptionType'].iloc[0]} ({exc['exceptions'].iloc[0]:,.0f})" if not exc.empty else "no exceptions"
    )
    out.append(
        Tile(
            "Postmortem & RCA",
            "exceptions in 24 h",
            f"{exc['exceptions'].sum() if not exc.empty else 0:,.0f}",
            top,
            "warn" if not exc.empty else "ok",
        )
    )

    rel = _q("releases", at - timedelta(days=30), service=service)
    if rel.empty:
        out.append(_testing_tile(tests) or Tile("Testing", "latest release", "—", "no requests in 30 days", "none"))
        out.append(Tile("Development", "releases in 30 days", "0", "", "none"))
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
                "releases in 30 days",
                f"{len(rel)}",
                " → ".join(str(v) for v in rel["AppVersion"].tail(3)),
                "ok",
            )
        )

    peak = _q("peak_rps", at - timedelta(days=7), service=service)
    now_rps = req / 3600.0
    peak_rps = _first(peak, "peak_rps")
    out.append(
        Tile(
            "Capacity Planning",
            "peak RPS (7 days)",
            f"{peak_rps:,.1f}",
            f"last hour averages {now_rps:,.2f} RPS" + (f" ({now_rps / peak_rps:.0%} of peak)" if peak_rps else ""),
            "ok",
        )
    )

    logins = _q("failed_logins_by_account", at - timedelta(days=1))
    total = logins["failed_logins"].sum() if not logins.empty else 0
    top_acct = (
        f"top account {logins['account'].iloc[0]}: {logins['failed_logins'].iloc[0]:,.0f}"
        if not logins.empty
        else "none"
    )
    out.append(
        Tile(
            "Product",
            "failed logins in 24 h",
            f"{total:,.0f}",
            top_acct,
            "warn" if not logins.empty and logins["failed_logins"].iloc[0] > 10 else "ok",
        )
    )
    return out
