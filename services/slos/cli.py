"""`sre-backoffice slo …`: SLO status, the team's SLOs, create / edit / delete / list, and SLOs as code (export to and
apply OpenSLO or Sloth files). Handlers import the service layer when they run, so `--help` stays fast."""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

Handler = Callable[[argparse.Namespace], None]
KINDS = ("availability", "latency", "ratio")
FIELDS = ("name", "service", "operation", "kind", "objective", "threshold_ms", "window_days", "description")
QUERIES = ("good_query", "bad_query", "total_query")


def _fields(p: argparse.ArgumentParser, *, new: bool) -> None:
    p.add_argument("--name", required=new, help="the new name" if not new else "unique, e.g. 'DOPA success'")
    p.add_argument("--service", required=new, help="the AppRoleName it belongs to, e.g. mana")
    p.add_argument("--operation", help="request Name (availability and latency; empty: every request)")
    p.add_argument("--kind", choices=KINDS, required=new)
    p.add_argument("--objective", type=float, required=new, help="percent, e.g. 99.5")
    p.add_argument("--threshold-ms", type=float, help="latency SLOs: a request is good when faster")
    p.add_argument("--window-days", type=int, choices=(7, 28, 30), default=30 if new else None)
    p.add_argument("--description")
    for q in ("good", "bad", "total"):
        p.add_argument(f"--{q}-query", metavar="KQL", help=f"ratio SLOs: the {q} events' rows (KQL, or @FILE)")


def register(sub: Any) -> dict[tuple[str, str | None], Handler]:
    """Add the `slo` command group."""
    slo = sub.add_parser("slo", help="SLOs").add_subparsers(dest="cmd", required=True, metavar="CMD")
    status = slo.add_parser("status", help="SLI, error budget and burn rates of every SLO")
    status.add_argument("--at", help="evaluate as of this ISO-8601 instant (default: now)")
    status.add_argument("--json", action="store_true", help="print a JSON list")
    slo.add_parser("seed", help="create the team's SLOs where missing")
    lst = slo.add_parser("list", help="every SLO's definition")
    lst.add_argument("--json", action="store_true", help="print a JSON list (the fields of `slo status --json`)")
    _fields(slo.add_parser("create", help="a new SLO with its burn-rate alert rules (lead role)"), new=True)
    edit = slo.add_parser("edit", help="change the given fields of an SLO (lead role)")
    edit.add_argument("slo", metavar="NAME")
    _fields(edit, new=False)
    rm = slo.add_parser("delete", help="delete an SLO with its burn-rate alert rules (lead role)")
    rm.add_argument("slo", metavar="NAME")
    rm.add_argument("--yes", action="store_true", help="do not ask")
    ex = slo.add_parser("export", help="SLOs as OpenSLO v1 or Sloth YAML on stdout")
    ex.add_argument("names", nargs="*", metavar="NAME", help="only these SLOs (default: all)")
    ex.add_argument("--format", choices=("openslo", "sloth"), default="openslo")
    ap = slo.add_parser("apply", help="make the SLOs match OpenSLO or Sloth files; the diff first with --dry-run")
    ap.add_argument("files", nargs="+", metavar="FILE")
    ap.add_argument("--dry-run", action="store_true", help="print what would change and change nothing")
    ap.add_argument("--prune", action="store_true", help="also delete the stored SLOs the files leave out")
    return {
        ("slo", "status"): _status,
        ("slo", "seed"): _seed,
        ("slo", "list"): _list,
        ("slo", "create"): _create,
        ("slo", "edit"): _edit,
        ("slo", "delete"): _delete,
        ("slo", "export"): _export,
        ("slo", "apply"): _apply,
    }


def _actor(args: argparse.Namespace) -> Any:
    from services.auth import cli_actor

    return cli_actor(args.actor)


def _text(value: str) -> str:
    """A query given inline, or @FILE read from a file."""
    from services.errors import InvalidInput

    if not value.startswith("@"):
        return value
    try:
        return Path(value[1:]).read_text(encoding="utf-8")
    except OSError as exc:
        raise InvalidInput(f"cannot read the query file {value[1:]}: {exc.strerror}") from None


def _given(args: argparse.Namespace) -> dict[str, Any]:
    out = {f: getattr(args, f) for f in FIELDS if getattr(args, f) is not None}
    out |= {q: _text(getattr(args, q)) for q in QUERIES if getattr(args, q) is not None}
    return out


def _status(args: argparse.Namespace) -> None:
    from services.db import session_scope
    from services.slos import service as slo_service
    from services.slos.evaluation import SloDefinition, evaluate
    from services.telemetry.factory import build_source
    from services.timeutil import parse_instant

    at = parse_instant(args.at) if args.at else datetime.now(UTC)
    actor = _actor(args)
    with session_scope() as s:
        slos = [SloDefinition.of(x) for x in slo_service.list_slos(s, actor=actor)]
    statuses = evaluate(build_source(), slos, actor=actor, at=at)
    if args.json:
        print(json.dumps([st.as_json() for st in statuses], indent=2))
        return
    print(f"SLO status as of {at.isoformat()}")
    for st in statuses:
        sli = f"no {st.slo.events}" if st.sli is None else f"{st.sli * 100:.3f} %"
        burns = "  ".join(f"{w}={'-' if b is None else f'{b:.2f}'}" for w, b in st.burn_rates.items())
        firing = [a.policy.name for a in st.alerts if a.firing]
        print(
            f"- {st.slo.name}: SLI {sli} (objective {st.slo.objective:g} %, {st.good:,}/{st.total:,} good "
            f"over {st.slo.window_days}d); budget left {st.remaining * 100:.1f} %; burn {burns}"
            + (f"; FIRING: {', '.join(firing)}" if firing else "")
        )


def _seed(args: argparse.Namespace) -> None:
    from services.db import session_scope
    from services.slos import service as slo_service

    with session_scope() as s:
        created = slo_service.seed_team_targets(s, actor=_actor(args))
    print(f"{len(created)} SLO(s) created")


def _definitions(args: argparse.Namespace, names: list[str] | None = None) -> list[Any]:
    from services.db import session_scope
    from services.slos import service as slo_service
    from services.slos.evaluation import SloDefinition

    with session_scope() as s:
        actor = _actor(args)
        if names:
            return [SloDefinition.of(slo_service.get_slo_by_name(s, actor=actor, name=n)) for n in names]
        return [SloDefinition.of(x) for x in slo_service.list_slos(s, actor=actor)]


def _list(args: argparse.Namespace) -> None:
    slos = _definitions(args)
    if args.json:
        print(json.dumps([d.as_json() for d in slos], indent=2))
        return
    for d in slos:
        print(f"{d.name}: {d.kind}, {d.objective:g} % over {d.window_days} d; SLI = {d.describe_sli()}")
    print(f"{len(slos)} SLO(s)" if slos else "no SLO yet; `sre-backoffice slo seed` creates the team's two")


def _create(args: argparse.Namespace) -> None:
    from services.db import session_scope
    from services.slos import service as slo_service
    from services.slos.schemas import parse_slo_input

    data = parse_slo_input(_given(args))
    with session_scope() as s:
        slo_service.create_slo(s, actor=_actor(args), data=data)
    print(f"created SLO {data.name!r} ({data.kind}, {data.objective:g} % over {data.window_days} days) with its 3 "
          "burn-rate alert rules")  # fmt: skip


def _edit(args: argparse.Namespace) -> None:
    from services.db import session_scope
    from services.slos import service as slo_service
    from services.slos.schemas import parse_slo_input

    given = _given(args)
    with session_scope() as s:
        actor = _actor(args)
        slo = slo_service.get_slo_by_name(s, actor=actor, name=args.slo)
        before = slo.as_dict()
        if "good_query" in given:  # a good query replaces a bad one, and the other way round
            before["bad_query"] = None
        if "bad_query" in given:
            before["good_query"] = None
        data = parse_slo_input({**before, **given})
        changed = [k for k, v in data.model_dump().items() if slo.as_dict()[k] != v]
        if changed:
            slo_service.update_slo(s, actor=actor, slo_id=slo.id, data=data, expected_version=slo.version)
    print(f"SLO {data.name!r}: " + (f"changed {', '.join(changed)}" if changed else "nothing changed"))


def _delete(args: argparse.Namespace) -> None:
    from services.db import session_scope
    from services.errors import InvalidInput
    from services.slos import service as slo_service

    if not args.yes:
        if not sys.stdin.isatty():
            raise InvalidInput(f"deleting SLO {args.slo!r} removes its burn-rate alert rules too; add --yes to confirm")
        if input(f"Delete SLO {args.slo!r} with its burn-rate alert rules? [y/N] ").strip().lower() not in ("y", "yes"):
            print("nothing deleted")
            return
    with session_scope() as s:
        actor = _actor(args)
        slo = slo_service.get_slo_by_name(s, actor=actor, name=args.slo)
        slo_service.delete_slo(s, actor=actor, slo_id=slo.id)
    print(f"deleted SLO {args.slo!r} with its burn-rate alert rules")


def _export(args: argparse.Namespace) -> None:
    from services.slos import files, openslo, sloth

    slos = _definitions(args, args.names)
    docs = [openslo.document(d) for d in slos] if args.format == "openslo" else sloth.documents(slos)
    sys.stdout.write(files.dump(docs) if docs else "")
    what = "OpenSLO v1" if args.format == "openslo" else "Sloth prometheus/v1"
    print(f"exported {len(slos)} SLO(s) as {what}", file=sys.stderr)


def _apply(args: argparse.Namespace) -> None:
    from services.db import session_scope
    from services.errors import InvalidInput
    from services.slos import apply, documents, files

    read: list[files.SloDocument] = []
    for name in args.files:
        try:
            text = Path(name).read_text(encoding="utf-8")
        except OSError as exc:
            raise InvalidInput(f"cannot read {name}: {exc.strerror}; nothing was applied") from None
        read += documents.read(text, file_name=name)
    where: dict[str, str] = {}
    for d in read:
        if d.slo.name in where:
            raise InvalidInput(
                f"SLO {d.slo.name!r} is defined twice ({where[d.slo.name]} and {d.where}); nothing was applied"
            )
        where[d.slo.name] = d.where
    wanted = [d.slo for d in read]
    with session_scope() as s:
        actor = _actor(args)
        if args.dry_run:
            plan = apply.plan_apply(s, actor=actor, wanted=wanted, prune=args.prune)
        else:
            plan = apply.apply_slos(s, actor=actor, wanted=wanted, prune=args.prune)
    for c in plan.changes:
        if args.dry_run or c.action != "unchanged":
            print(c.line())
    print(plan.summary(dry_run=args.dry_run))
