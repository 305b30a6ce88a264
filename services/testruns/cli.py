"""`sre-backoffice testrun …`: import a run's JUnit XML or TRX reports, list runs, show a run's failures, flaky tests,
what changed between two runs, delete a run. Handlers import the service layer when they run."""

from __future__ import annotations

import argparse
import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

from services.testruns.models import KINDS

Handler = Callable[[argparse.Namespace], None]


def register(sub: Any) -> dict[tuple[str, str | None], Handler]:
    """Add the `testrun` command group."""
    tr = sub.add_parser("testrun", help="unit, integration, system and acceptance test runs").add_subparsers(
        dest="cmd", required=True, metavar="CMD"
    )
    imp = tr.add_parser("import", help="import the reports of ONE run; prints the new run id on the last line")
    imp.add_argument("files", nargs="+", metavar="FILE", help="JUnit XML or TRX, plain, .gz or a .zip of several")
    imp.add_argument("--service", required=True, help="the AppRoleName whose tests ran, e.g. mana")
    imp.add_argument("--kind", required=True, choices=KINDS)
    imp.add_argument("--release", help="the release tested, e.g. 2026.12.1")
    imp.add_argument("--commit", help="the commit tested")
    imp.add_argument("--branch")
    imp.add_argument("--pipeline-url", help="link to the pipeline run")
    lst = tr.add_parser("list", help="runs, newest first")
    lst.add_argument("--service")
    lst.add_argument("--kind", choices=KINDS)
    lst.add_argument("--json", action="store_true")
    show = tr.add_parser("show", help="one run's figures and failures")
    show.add_argument("id", type=int)
    show.add_argument("--json", action="store_true")
    fl = tr.add_parser("flaky", help="tests that passed and failed on one commit or flipped across runs")
    fl.add_argument("--service", required=True)
    fl.add_argument("--kind", required=True, choices=KINDS)
    fl.add_argument("--runs", type=int, default=50, help="how many recent runs to look at")
    df = tr.add_parser("diff", help="what changed from run A to run B")
    df.add_argument("a", type=int)
    df.add_argument("b", type=int)
    rm = tr.add_parser("delete", help="delete a run (lead role)")
    rm.add_argument("id", type=int)
    return {
        ("testrun", "import"): _import,
        ("testrun", "list"): _list,
        ("testrun", "show"): _show,
        ("testrun", "flaky"): _flaky,
        ("testrun", "diff"): _diff,
        ("testrun", "delete"): _delete,
    }


def _actor(args: argparse.Namespace) -> Any:
    from services.auth import cli_actor

    return cli_actor(args.actor)


def _json(value: Any) -> str:
    return json.dumps(value, indent=2, default=lambda v: v.isoformat() if hasattr(v, "isoformat") else str(v))


def _run_json(r: Any) -> dict[str, Any]:
    from services.testruns import analysis

    return {
        "id": r.id,
        "service": r.service,
        "kind": r.kind,
        "release": r.release,
        "commit": r.commit,
        "branch": r.branch,
        "pipeline_url": r.pipeline_url,
        "outcome": r.outcome,
        "tests": r.tests,
        "passed": r.passed,
        "failed": r.failed,
        "errors": r.errors,
        "skipped": r.skipped,
        "pass_rate": analysis.pass_rate(r.passed, r.tests, r.skipped),
        "duration_s": r.duration_s,
        "started_at": r.started_at,
        "imported_at": r.imported_at,
        "imported_by": r.imported_by,
        "files": r.files,
    }


def _import(args: argparse.Namespace) -> None:
    from services.config import get_settings
    from services.db import session_scope
    from services.errors import InvalidInput
    from services.testruns import service
    from services.testruns.schemas import parse_run_options

    files: list[tuple[str, bytes | Path]] = []
    for name in args.files:
        path = Path(name)
        if not path.is_file():
            raise InvalidInput(f"{name}: no such file; nothing was imported.")
        files.append((path.name, path))
    options = parse_run_options(
        {
            "service": args.service,
            "kind": args.kind,
            "release": args.release,
            "commit": args.commit,
            "branch": args.branch,
            "pipeline_url": args.pipeline_url,
        }
    )
    max_bytes = get_settings().uploads.max_decompressed_mb << 20
    with session_scope() as s:
        run = service.import_run(s, actor=_actor(args), files=files, options=options, max_bytes=max_bytes)
        line = (
            f"imported {len(run.files)} report(s): {run.tests:,} tests, {run.passed:,} passed, {run.failed:,} failed, "
            f"{run.errors:,} errors, {run.skipped:,} skipped: {run.outcome}"
        )
        run_id = run.id
    print(line)  # only once committed
    print(run_id)


def _list(args: argparse.Namespace) -> None:
    from services.db import session_scope
    from services.testruns import service

    with session_scope() as s:
        runs = [_run_json(r) for r in service.list_runs(s, actor=_actor(args), service=args.service, kind=args.kind)]
    if args.json:
        print(_json(runs))
        return
    if not runs:
        print("no test runs yet; import one with `sre-backoffice testrun import FILE... --service S --kind unit`")
    for r in runs:
        rate = "—" if r["pass_rate"] is None else f"{r['pass_rate']:.1%}"
        print(
            f"{r['id']:>5}  {r['imported_at']:%Y-%m-%d %H:%M}  {r['service']}  {r['kind']:<11}  {r['release'] or '-'}  "
            f"{(r['commit'] or '-')[:12]}  {r['outcome']:<7}  {r['tests']:,} tests  pass rate {rate}"
        )


def _show(args: argparse.Namespace) -> None:
    from services.db import session_scope
    from services.testruns import service

    with session_scope() as s:
        run = _run_json(service.get_run(s, actor=_actor(args), run_id=args.id))
        failures: list[dict[str, Any]] = [
            {
                "suite": t.suite,
                "classname": t.classname,
                "name": t.name,
                "outcome": t.outcome,
                "duration_s": t.duration_s,
                "message": t.message,
                "stack": t.stack,
            }
            for t in service.results(s, actor=_actor(args), run_id=args.id, failing_only=True)
        ]
    if args.json:
        print(_json({**run, "failures": failures}))
        return
    rate = "—" if run["pass_rate"] is None else f"{run['pass_rate']:.1%}"
    print(
        f"run #{run['id']} {run['service']} {run['kind']}: {run['outcome']}, {run['tests']:,} tests, pass rate {rate}"
    )
    for f in failures:
        print(f"  {f['outcome'].upper()} {f['classname'] or f['suite']}::{f['name']}: {f['message']}")


def _flaky(args: argparse.Namespace) -> None:
    from services.db import session_scope
    from services.testruns import analysis, service

    with session_scope() as s:
        hist = service.history(s, actor=_actor(args), service=args.service, kind=args.kind, limit=args.runs)
    found = analysis.flaky_tests(hist.rows)
    if not found:
        print(f"no flaky test in the last {len(hist.rows)} {args.kind} run(s) of {args.service}")
    for f in found:
        same = ", passed and failed on one commit" if f.same_commit else ""
        print(f"{f.test_key}: failed {f.failures} of {f.runs} runs, {f.flips} flips{same}")


def _diff(args: argparse.Namespace) -> None:
    from services.db import session_scope
    from services.testruns import analysis, service

    with session_scope() as s:
        actor = _actor(args)
        a = {t.test_key: t.outcome for t in service.results(s, actor=actor, run_id=args.a)}
        b = {t.test_key: t.outcome for t in service.results(s, actor=actor, run_id=args.b)}
    d = analysis.diff(a, b)
    for label, keys in (
        ("new failures", d.new_failures),
        ("fixed", d.fixed),
        ("new tests", d.new_tests),
        ("removed tests", d.removed_tests),
    ):
        print(f"{label} ({len(keys)}): " + (", ".join(keys) or "none"))


def _delete(args: argparse.Namespace) -> None:
    from services.db import session_scope
    from services.testruns import service

    with session_scope() as s:
        service.delete_run(s, actor=_actor(args), run_id=args.id)
    print(f"deleted test run #{args.id}")
