"""`sre-backoffice loadtest …`: import k6 outputs as a run, list runs, show one run's figures, delete a run.

The handlers import the service layer when they run, so that `sre-backoffice --help` and every other command stay
fast (no SQLAlchemy, DuckDB or pandas loaded for them).
"""

from __future__ import annotations

import argparse
import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

Handler = Callable[[argparse.Namespace], None]


def register(sub: Any) -> dict[tuple[str, str | None], Handler]:
    """Add the `loadtest` command group."""
    lt = sub.add_parser("loadtest", help="k6 load-test runs").add_subparsers(dest="cmd", required=True, metavar="CMD")
    imp = lt.add_parser("import", help="import the k6 outputs of ONE run; prints the new run id on the last line")
    imp.add_argument("files", nargs="+", metavar="FILE", help="summary-export/handleSummary JSON, NDJSON, CSV (.gz)")
    imp.add_argument("--service", default=None, help="the service tested (default: SRE_SERVICE_NAME)")
    imp.add_argument("--label", default="", help="e.g. 'ramp to 200 VUs'")
    imp.add_argument("--git-ref", default="", help="the commit or tag that was tested")
    lst = lt.add_parser("list", help="runs, newest first")
    lst.add_argument("--service", default=None)
    lst.add_argument("--json", action="store_true")
    show = lt.add_parser("show", help="one run's figures, thresholds, checks and endpoints")
    show.add_argument("id", type=int)
    show.add_argument("--json", action="store_true")
    rm = lt.add_parser("delete", help="delete a run and its raw points (lead role)")
    rm.add_argument("id", type=int)
    return {
        ("loadtest", "import"): _import,
        ("loadtest", "list"): _list,
        ("loadtest", "show"): _show,
        ("loadtest", "delete"): _delete,
    }


def _actor(args: argparse.Namespace) -> Any:
    # imported on use: keeps the CLI fast
    from services.auth import cli_actor

    return cli_actor(args.actor)


def _json(value: Any) -> str:
    return json.dumps(value, indent=2, default=lambda v: v.isoformat() if hasattr(v, "isoformat") else str(v))


def _import(args: argparse.Namespace) -> None:
    # imported on use: keeps the CLI fast
    from services.config import get_settings
    from services.db import session_scope
    from services.errors import InvalidInput
    from services.loadtests import figures, service
    from services.loadtests.schemas import InputFile, parse_import_options

    settings = get_settings()
    files = []
    for name in args.files:
        path = Path(name)
        if not path.is_file():
            raise InvalidInput(f"{name}: no such file; nothing was imported.")
        files.append(InputFile(path=path, name=path.name))
    options = parse_import_options(
        {"service": args.service or settings.telemetry.service_name, "label": args.label, "git_ref": args.git_ref}
    )
    with session_scope() as s:
        run = service.import_run(
            s,
            actor=_actor(args),
            files=files,
            options=options,
            root=settings.loadtests.dir,
            max_bytes=settings.loadtests.max_upload_mb * 2**20,
        )
        p95 = "—" if run.duration_p95_ms is None else f"{run.duration_p95_ms:,.1f} ms"
        fr = "—" if run.failure_rate is None else f"{run.failure_rate:.2%}"
        lines = [f"imported {', '.join(f.name for f in files)}: {run.requests:,} requests, p95 {p95}, failed {fr}"]
        lines += figures.notices(run)
        run_id = run.id
    print("\n".join(lines))  # only once committed
    print(run_id)


def _list(args: argparse.Namespace) -> None:
    # imported on use: keeps the CLI fast
    from services.db import session_scope
    from services.loadtests import service

    with session_scope() as s:
        reports = service.reports(s, actor=_actor(args), service=args.service)
    if args.json:
        print(_json([r.as_json() for r in reports]))
        return
    if not reports:
        print("no load-test runs yet; import one with `sre-backoffice loadtest import FILE...`")
    for r in reports:
        p95 = r.duration_ms["p95"]
        verdict = {True: "thresholds ok", False: "THRESHOLDS FAILED", None: "thresholds —"}[r.thresholds_ok]
        print(
            f"{r.id:>5}  {r.imported_at:%Y-%m-%d %H:%M}  {r.service}  {r.label or '-'}  {r.git_ref or '-'}  "
            f"{r.requests:,} req  p95 {'—' if p95 is None else f'{p95:,.1f} ms'}  "
            f"failed {'—' if r.failure_rate is None else f'{r.failure_rate:.2%}'}  {verdict}"
        )


def _show(args: argparse.Namespace) -> None:
    # imported on use: keeps the CLI fast
    from services.db import session_scope
    from services.loadtests import service

    with session_scope() as s:
        r = service.run_report(s, actor=_actor(args), run_id=args.id)
    if args.json:
        print(_json(r.as_json()))
        return
    d = r.duration_ms
    print(f"run {r.title}: {r.requests:,} requests, {'—' if r.rps is None else f'{r.rps:,.1f}'} req/s")
    print("http_req_duration ms: " + "  ".join(f"{k}={'—' if v is None else f'{v:,.2f}'}" for k, v in d.items()))
    for t in r.thresholds:
        ok = {True: "pass", False: "FAIL", None: "?"}[t["ok"]]
        print(f"  threshold {t['metric']}: {t['expression']} -> {ok}")
    for c in r.checks:
        print(f"  check {c['name']}: {c['passes']} passed, {c['fails']} failed")
    for e in r.endpoints:
        print(f"  endpoint {e['name']}: {e['requests']:,} req, p95 {e['p95_ms'] or 0:,.1f} ms, {e['failure_rate']:.2%}")


def _delete(args: argparse.Namespace) -> None:
    # imported on use: keeps the CLI fast
    from services.config import get_settings
    from services.db import session_scope
    from services.loadtests import service

    with session_scope() as s:
        service.delete_run(s, actor=_actor(args), run_id=args.id, root=get_settings().loadtests.dir)
    print(f"deleted load-test run {args.id}")
