"""`sre-backoffice worker` and `sre-backoffice alerts …`."""

from __future__ import annotations

import argparse
import json
import logging
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

Handler = Callable[[argparse.Namespace], None]


def register(sub: Any) -> dict[tuple[str, str | None], Handler]:
    """Add the `worker` command and the `alerts` group."""
    w = sub.add_parser("worker", help="evaluate alert rules and deliver notifications")
    w.add_argument("--once", action="store_true", help="one cycle, then exit")
    al = sub.add_parser("alerts", help="alert rules").add_subparsers(dest="cmd", required=True, metavar="CMD")
    al.add_parser("seed", help="create the team's rules where missing")
    lst = al.add_parser("list", help="the rules")
    lst.add_argument("--json", action="store_true")
    exp = al.add_parser("export", help="every rule as an Azure Monitor ARM template (JSON)")
    exp.add_argument("--format", choices=("arm",), default="arm")
    bt = al.add_parser("backtest", help="when a rule would have fired and resolved")
    bt.add_argument("rule", help="rule id or name")
    bt.add_argument("--days", type=float, default=7)
    return {
        ("worker", None): _worker,
        ("alerts", "seed"): _seed,
        ("alerts", "list"): _list,
        ("alerts", "export"): _export,
        ("alerts", "backtest"): _backtest,
    }


def _actor(args: argparse.Namespace) -> Any:
    from services.auth import cli_actor  # lazy: keeps the CLI fast

    return cli_actor(args.actor)


def _worker(args: argparse.Namespace) -> None:
    # lazy: keeps the CLI fast
    from services.alerts import worker
    from services.boards.factory import build_board
    from services.config import get_settings
    from services.notify.factory import build_notifiers
    from services.shutdown import stop_on_signals
    from services.telemetry.factory import build_source

    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    settings = get_settings()
    source = build_source(settings)
    notifiers: dict[str, Any] = dict(build_notifiers(settings))
    board = build_board(settings)
    if board is not None:
        notifiers["board"] = board
    if args.once:
        print(json.dumps(worker.run_once(source, notifiers)))
        return
    policy = worker.retention_policy()  # a setting it cannot read stops it now, not on its first pass
    stop = stop_on_signals()  # SIGINT or SIGTERM ends the loop after the current cycle, with no traceback
    upkeep = f"store upkeep every {settings.worker.maintenance_min:g} min ({policy.describe()})"
    if settings.worker.maintenance_min <= 0 or settings.telemetry.source != "local":
        upkeep = "no store upkeep"
    print(
        f"worker: rules every {settings.worker.interval_s:g}s; {upkeep}; channels {', '.join(notifiers) or 'none'}",
        flush=True,
    )
    worker.run(source, notifiers, stop=stop, interval_s=settings.worker.interval_s)


def _seed(args: argparse.Namespace) -> None:
    # lazy: keeps the CLI fast
    from services.alerts.seeds import seed_team_rules
    from services.db import session_scope

    with session_scope() as s:
        created = seed_team_rules(s, actor=_actor(args))
    print(f"{created} rule(s) created")  # only once committed


def _list(args: argparse.Namespace) -> None:
    # lazy: keeps the CLI fast
    from services.alerts import service as alert_service
    from services.db import session_scope

    with session_scope() as s:
        rules = [
            {
                "id": r.id,
                "name": r.name,
                "kind": r.kind,
                "severity": r.severity,
                "enabled": r.enabled,
                "frequency_min": r.frequency_min,
                "window_min": r.window_min,
            }
            for r in alert_service.list_rules(s, actor=_actor(args))
        ]
    if args.json:
        print(json.dumps(rules, indent=2))
    else:
        for r in rules:
            print(f"{r['id']:>4}  {r['severity']}  {r['kind']:<9} every {r['frequency_min']} min  {r['name']}")


def _export(args: argparse.Namespace) -> None:
    # lazy: keeps the CLI fast
    from services.alerts import arm
    from services.alerts import service as alert_service
    from services.db import session_scope

    with session_scope() as s:
        template = arm.template(alert_service.list_rules(s, actor=_actor(args)))
    print(json.dumps(template, indent=2))


def _backtest(args: argparse.Namespace) -> None:
    # lazy: keeps the CLI fast
    from services.alerts import service as alert_service
    from services.alerts.evaluation import backtest
    from services.db import session_scope
    from services.errors import InvalidInput, NotFound
    from services.telemetry.factory import build_source

    with session_scope() as s:
        rules = alert_service.list_rules(s, actor=_actor(args))
        rule = next((r for r in rules if str(r.id) == args.rule or r.name == args.rule), None)
        if rule is None:
            raise NotFound(f"No alert rule {args.rule!r}; `sre-backoffice alerts list` shows them.")
        if rule.kind != "query":
            raise InvalidInput("SLO burn-rate rules are backtested on the SLO page (evaluate as of a past instant).")
        spec = alert_service.spec_of(rule)
    for t in backtest(build_source(), spec, end=datetime.now(UTC), days=args.days):
        dim = f" {t.dimension}" if t.dimension else ""
        print(f"{t.at.isoformat()} {t.state}{dim} value={t.value}")
