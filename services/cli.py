"""The `sre-backoffice` command: database, demo data and KQL from a terminal or a pipeline; each domain adds its
command group (SLOs, incidents, alerts, …) from its own cli.py."""

from __future__ import annotations

import argparse
import importlib
import logging
import sys
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

from services.errors import InvalidInput, ServiceError

log = logging.getLogger("sre_backoffice")


def _parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="sre-backoffice", description="SRE Backoffice for the mana API.")
    p.add_argument("--actor", help="act as this configured user (default: the local admin identity)")
    sub = p.add_subparsers(dest="group", required=True, metavar="COMMAND")

    db = sub.add_parser("db", help="database schema").add_subparsers(dest="cmd", required=True, metavar="CMD")
    db.add_parser("upgrade", help="apply every Alembic migration")

    demo = sub.add_parser("demo", help="demo telemetry").add_subparsers(dest="cmd", required=True, metavar="CMD")
    seed = demo.add_parser("seed", help="write deterministic demo telemetry and the team's SLOs")
    seed.add_argument("--days", type=int, default=30)
    seed.add_argument("--seed", type=int, default=7)
    seed.add_argument("--end", help="ISO-8601 end of the seeded period (default: now)")
    seed.add_argument("--if-empty", action="store_true", help="do nothing when the store already has requests")
    seed.add_argument(
        "--recent-days",
        type=int,
        default=0,
        help="write only the newest N days now and leave the older ones to `demo live` (0: every day now)",
    )
    live = demo.add_parser("live", help="append current demo traffic every few seconds until stopped")
    live.add_argument("--interval", type=float, default=None, help="seconds between writes")

    kql = sub.add_parser("kql", help="run a KQL query against the configured telemetry source")
    kql.add_argument("query", help="KQL text, or @FILE to read it from a file")
    kql.add_argument("--timespan", default="P1D", help="ISO-8601 duration back from now (default P1D)")
    kql.add_argument("--format", choices=("table", "csv", "json"), default="table")

    tel = sub.add_parser("telemetry", help="the local telemetry store").add_subparsers(
        dest="cmd", required=True, metavar="CMD"
    )
    tel.add_parser("compact", help="merge each table's small files into one")
    tel.add_parser("check", help="list files queries leave out (not Parquet, not in the table's schema)")
    ret = tel.add_parser("retention", help="remove each table's rows older than SRE_RETENTION_DAYS allows")
    ret.add_argument("--dry-run", action="store_true", help="count what would be removed; change nothing")

    ui = sub.add_parser("ui", help="serve the Streamlit UI (on SRE_BIND_ADDRESS, 127.0.0.1 unless set)")
    ui.add_argument("--port", type=int, default=8501)
    ui.add_argument("streamlit_args", nargs=argparse.REMAINDER, help="further `streamlit run` options after --")
    for name in EXTENSIONS:
        COMMANDS.update(importlib.import_module(name).register(sub))
    return p


def _actor(name: str | None) -> Any:
    from services.auth import cli_actor

    return cli_actor(name)


def cmd_db_upgrade(args: argparse.Namespace) -> None:
    """Apply migrations."""
    from services.config import get_settings
    from services.migrate import upgrade

    upgrade(get_settings().database.url)
    print("database is up to date")


def cmd_demo_seed(args: argparse.Namespace) -> None:
    """Seed demo telemetry, the team's SLOs and alert rules, the demo incidents and the demo features."""
    from services.alerts.seeds import seed_team_rules
    from services.auth import require
    from services.config import get_settings
    from services.db import session_scope
    from services.demo import generator, history
    from services.demo.seed_features import seed_demo_features
    from services.demo.seed_incidents import seed_demo_incidents
    from services.demo.seed_stubs import seed_demo_stubs
    from services.slos import service as slo_service
    from services.telemetry.factory import build_source
    from services.telemetry.store import table_files
    from services.timeutil import parse_instant

    actor = _actor(args.actor)
    require(actor, "demo.seed")
    settings = get_settings()
    if args.days < 1 or args.days > 400:
        raise InvalidInput("--days must be between 1 and 400")
    if args.recent_days < 0:
        raise InvalidInput("--recent-days must be 0 (every day now) or more")
    end = parse_instant(args.end) if args.end else generator.floor_minute(datetime.now(UTC))
    with session_scope() as s:
        slos = [slo.name for slo in slo_service.seed_team_targets(s, actor=actor)]
        rules = seed_team_rules(s, actor=actor)
    for name in slos:  # only once committed
        print(f"created SLO {name!r}")
    if rules:
        print(f"created {rules} alert rule(s)")
    if args.if_empty and table_files(settings.telemetry.dir, "AppRequests"):
        print(f"telemetry already present in {settings.telemetry.dir}; not seeding it")
    else:
        root, recent = settings.telemetry.dir, args.recent_days
        later = history.plan(root, end=end, days=args.days, recent_days=recent, seed=args.seed) if recent else None
        which = slice(-recent, None) if later else slice(None)
        counts = generator.seed(root, days=args.days, seed=args.seed, end=end, which=which)
        for table, n in counts.items():
            print(f"{table}: {n:,} rows")
        if later:
            print(f"the newest {recent} day(s) written; `demo live` writes the {later.total} older in the background")
        else:
            history.clear(root)
        with session_scope() as s:
            service = settings.telemetry.service_name
            opened = seed_demo_incidents(s, actor=actor, end=end, days=args.days, service=service)
        print(f"{opened} demo incident(s) with their runbooks in the triage queue")
    with session_scope() as s:  # only when there are no features yet
        made = seed_demo_features(
            s,
            actor=actor,
            source=build_source(),
            service=settings.telemetry.service_name,
            loadtest_root=settings.loadtests.dir,
            at=min(end, datetime.now(UTC)),
        )
    if made:
        print(f"{made} demo feature(s) across the phases; release 2026.12.1 with the sample k6 run")
    with session_scope() as s:  # only when there is no DOPA set yet
        stub_version = seed_demo_stubs(s, actor=actor, source=build_source(), end=min(end, datetime.now(UTC)))
    if stub_version:
        print("the DOPA WireMock stub set, built from the demo's api.dopa.go.th calls")


def cmd_demo_live(args: argparse.Namespace) -> None:
    """Append live demo traffic until interrupted."""
    from services.config import get_settings
    from services.db import session_scope
    from services.demo import generator, history
    from services.demo.live import start_live
    from services.shutdown import stop_on_signals

    stop = stop_on_signals()  # SIGINT or SIGTERM ends the loop after the file being written, with no traceback
    settings = get_settings()
    history.start_backfill(settings.telemetry.dir, stop=stop)  # the older days `demo seed --recent-days` left
    interval = args.interval or settings.demo.live_interval_s
    with session_scope() as s:
        start_live(s, actor=_actor(args.actor), root=settings.telemetry.dir, interval_s=interval)
    print(f"writing live demo traffic to {settings.telemetry.dir} every {interval:g}s; Ctrl+C stops", flush=True)
    generator.live(
        settings.telemetry.dir, interval_s=interval, stop=stop, rate_per_minute=settings.demo.live_rate_per_minute
    )


def cmd_kql(args: argparse.Namespace) -> None:
    """Run one KQL query and print the rows."""
    from services.telemetry.formatting import format_frame
    from services.telemetry.queries_service import run_user_query
    from services.timeutil import parse_duration

    text = args.query
    if text.startswith("@"):
        try:
            with open(text[1:], encoding="utf-8") as fh:
                text = fh.read()
        except OSError as exc:
            raise InvalidInput(f"cannot read the query file {text[1:]}: {exc.strerror}") from None
    span = parse_duration(args.timespan)
    end = datetime.now(UTC)
    result = run_user_query(text, actor=_actor(args.actor), timespan=(end - span, end))
    for notice in result.notices:
        print(f"warning: {notice}", file=sys.stderr)
    print(format_frame(result.frame, args.format))


def cmd_telemetry_compact(args: argparse.Namespace) -> None:
    """Compact the store's files."""
    from services.config import get_settings
    from services.db import session_scope
    from services.telemetry.maintenance import compact_store

    with session_scope() as s:
        merged = compact_store(s, actor=_actor(args.actor), root=get_settings().telemetry.dir)
    for table, n in merged.items():
        print(f"{table}: {n} files merged" if n else f"{table}: nothing to merge")


def cmd_telemetry_retention(args: argparse.Namespace) -> None:
    """Apply SRE_RETENTION_DAYS to the local store now (or, with --dry-run, say what it would remove)."""
    from services.config import get_settings
    from services.db import session_scope
    from services.telemetry.maintenance import apply_retention
    from services.telemetry.retention import parse_policy

    policy = parse_policy(get_settings().telemetry.retention_days)
    with session_scope() as s:
        done = apply_retention(
            s,
            actor=_actor(args.actor),
            root=get_settings().telemetry.dir,
            policy=policy,
            now=datetime.now(UTC),
            dry_run=args.dry_run,
        )
    if not done:
        print("SRE_RETENTION_DAYS is not set: every table keeps every row")
    verb = "would remove" if args.dry_run else "removed"
    for r in done:
        print(
            f"{r.table}: keeps rows from {r.cutoff:%Y-%m-%d} 00:00 UTC; {verb} {r.rows_removed:,} rows "
            f"({r.files_removed} files whole, {r.files_rewritten} rewritten)"
        )


def cmd_telemetry_check(args: argparse.Namespace) -> None:
    """List the store's files that queries leave out, with the reason per file; fail when there is any."""
    from services.config import get_settings
    from services.telemetry.schema import TABLES
    from services.telemetry.store import readable_files

    root = get_settings().telemetry.dir
    left_out = 0
    for table in TABLES:
        good, bad = readable_files(root, table)
        print(f"{table}: {len(good)} file{'s' * (len(good) != 1)} readable, {len(bad)} left out")
        for f in bad:
            print(f"  {f.path}: {f.reason}")
        left_out += len(bad)
    if left_out:
        raise InvalidInput(
            f"{left_out} telemetry file{'s are' if left_out > 1 else ' is'} left out of every query; move "
            f"{'them' if left_out > 1 else 'it'} out of {root} or rewrite in the table's schema."
        )


def cmd_ui(args: argparse.Namespace) -> None:
    """Run `streamlit run app/main.py` on the configured address; refuse a network address with local identities."""
    import os
    from importlib.util import find_spec

    from services.config import get_settings
    from services.network import require_safe_bind

    settings = get_settings()
    require_safe_bind(settings, settings.ui.bind_address)
    spec = find_spec("app.main")
    if spec is None or spec.origin is None:
        raise InvalidInput("The UI's app/main.py is not installed; run from the repository (`make run`).")
    extra = [a for a in args.streamlit_args if a != "--"]
    argv = [sys.executable, "-m", "streamlit", "run", spec.origin, "--server.address", settings.ui.bind_address]
    # the server refuses a bigger upload before it is in memory; the widgets' own limits are checked by the browser
    argv += ["--server.port", str(args.port), "--server.maxUploadSize", str(settings.uploads.max_page_mb), *extra]
    sys.stdout.flush()
    os.execv(sys.executable, argv)


Handler = Callable[[argparse.Namespace], "int | None"]

# Domain modules that add command groups: each has `register(sub) -> {(group, cmd): handler}` and keeps its
# imports inside the handlers, so `sre-backoffice --help` stays fast.
EXTENSIONS: tuple[str, ...] = (
    "services.slos.cli",
    "services.incidents.cli",
    "services.alerts.cli",
    "services.api.cli",
    "services.loadtests.cli",
    "services.telemetry.clef_cli",
    "services.audit.cli",
    "services.features.cli",
    "services.testruns.cli",
    "services.stubs.cli",
    "services.supervisor",
)

COMMANDS: dict[tuple[str, str | None], Handler] = {
    ("db", "upgrade"): cmd_db_upgrade,
    ("demo", "seed"): cmd_demo_seed,
    ("demo", "live"): cmd_demo_live,
    ("kql", None): cmd_kql,
    ("telemetry", "compact"): cmd_telemetry_compact,
    ("telemetry", "check"): cmd_telemetry_check,
    ("telemetry", "retention"): cmd_telemetry_retention,
    ("ui", None): cmd_ui,
}


def main(argv: list[str] | None = None) -> int:
    """Entry point: one clear line on stderr and a non-zero exit for any error, never a traceback."""
    args = _parser().parse_args(argv)
    handler = COMMANDS[(args.group, getattr(args, "cmd", None))]
    try:
        code = handler(args)  # a handler may answer with its own exit code (release check: 1 for no-go)
    except ServiceError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        return 130
    except Exception as exc:  # the edge: no traceback reaches the user
        log.debug("unexpected error", exc_info=True)
        from sqlalchemy.exc import DBAPIError  # imported on use: keeps the CLI fast

        if isinstance(exc, DBAPIError):  # outside a unit of work (migrations): the same words as inside one
            from services.db import database_error, get_engine

            print(f"error: {database_error(exc, get_engine())}", file=sys.stderr)
            return 2
        print(
            f"error: {type(exc).__name__}: {str(exc).splitlines()[0] if str(exc) else ''}".rstrip(": "), file=sys.stderr
        )
        return 1
    return code or 0


if __name__ == "__main__":
    sys.exit(main())
