"""Worker benchmark: 1,000 alert rules evaluated against 10 million AppRequests rows, next to one bare query.

usage: .venv/bin/python bench/worker_bench.py [--rules 1000] [--data bench/out/slo10m]

Reuses the data set of bench/slo_bench.py (seeded there if absent). The rules mix what the team runs: failure
counts per operation, average durations, failed logins per account, DOPA failure rates, SLO burn-rate pairs, with
5–60 minute windows. It prints the time of one worker cycle (every rule due) against the one-minute evaluation
period, the mean per rule, and a baseline: one plain `summarize count()` over the last 15 minutes.
"""

from __future__ import annotations

import argparse
import logging
import os
import sys
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
logging.getLogger("streamlit").setLevel(logging.ERROR)

END = datetime(2026, 11, 1, 12, 0, tzinfo=UTC)


def rule_set(n: int) -> list[dict[str, object]]:
    ops = [
        "GET /api/shops",
        "GET /api/shops/{id}",
        "POST /api/orders",
        "POST /api/auth/login",
        "POST /api/payments/callback",
        "POST /api/identity/dopa-verify",
    ]
    out: list[dict[str, object]] = []
    i = 0
    while len(out) < n:
        op = ops[i % len(ops)]
        window = (5, 10, 15, 30, 60)[i % 5]
        kind = i % 4
        base = {"name": f"rule {i}", "frequency_min": 5, "window_min": window, "severity": "Sev3", "actions": []}
        if kind == 0:
            out.append(
                {
                    **base,
                    "query": f'AppRequests | where Name == "{op}" and Success == false',
                    "aggregation": "Count",
                    "operator": "GreaterThan",
                    "threshold": 50,
                }
            )
        elif kind == 1:
            out.append(
                {
                    **base,
                    "query": f'AppRequests | where Name == "{op}"',
                    "aggregation": "Average",
                    "measure_column": "DurationMs",
                    "operator": "GreaterThan",
                    "threshold": 300,
                }
            )
        elif kind == 2:
            out.append(
                {
                    **base,
                    "query": 'AppEvents | where Name == "LoginFailed" | extend account = tostring(Properties.account)',
                    "aggregation": "Count",
                    "dimension": "account",
                    "operator": "GreaterThan",
                    "threshold": 5 + i % 7,
                }
            )
        else:
            out.append(
                {
                    **base,
                    "query": 'AppDependencies | where Target == "api.dopa.go.th" | extend failed_pct = '
                    "iff(Success == true, 0.0, 100.0)",
                    "aggregation": "Average",
                    "measure_column": "failed_pct",
                    "operator": "GreaterThan",
                    "threshold": 5,
                }
            )
        i += 1
    return out


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--rules", type=int, default=1000)
    ap.add_argument("--data", type=Path, default=ROOT / "bench" / "out" / "slo10m")
    args = ap.parse_args()
    from bench.common import ensure_data

    root = ensure_data(args.data)
    db = args.data / "worker.db"
    db.unlink(missing_ok=True)
    os.environ.update(SRE_TELEMETRY_DIR=str(root), SRE_DATABASE_URL=f"sqlite:///{db}")
    from services.alerts import service as alert_service
    from services.alerts import worker
    from services.alerts.seeds import seed_team_rules
    from services.auth import Actor
    from services.db import session_scope
    from services.migrate import upgrade
    from services.slos import service as slo_service
    from services.telemetry.local import LocalTelemetrySource

    upgrade(f"sqlite:///{db}")
    admin = Actor("bench", "admin")
    with session_scope() as s:
        slo_service.seed_team_targets(s, actor=admin)
        seeded = seed_team_rules(s, actor=admin)
        for data in rule_set(args.rules - seeded):
            alert_service.create_rule(s, actor=admin, data=data)
        total = len(alert_service.list_rules(s, actor=admin))
    src = LocalTelemetrySource(root)
    t = time.perf_counter()
    src.query("AppRequests | summarize n = count()", timespan=(END - timedelta(minutes=15), END))
    baseline = time.perf_counter() - t
    cycles = []
    for k in range(3):
        now = END + timedelta(minutes=5 * k)
        t = time.perf_counter()
        changes = worker.evaluate_due(src, now=now).changes
        cycles.append(time.perf_counter() - t)
        print(f"cycle {k + 1}: {total} rules due, {len(changes)} alert changes, {cycles[-1]:.2f}s")
    best = min(cycles)
    print()
    print(f"{'measure':<58}{'seconds':>10}")
    print(f"{'baseline: AppRequests | summarize count() over 15 min':<58}{baseline:>10.3f}")
    print(
        f"{f'one worker cycle, {total} rules due (budget: 60 s)':<58}{best:>10.3f}   "
        f"({best / 60:.0%} of the period; {best / total * 1000:.0f} ms a rule)"
    )


if __name__ == "__main__":
    main()
