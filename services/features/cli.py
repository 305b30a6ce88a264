"""`sre-backoffice feature …` and `sre-backoffice release check`: features through their gates from a terminal or a
pipeline. Handlers import the service layer when they run, so `--help` stays fast."""

from __future__ import annotations

import argparse
import json
from collections.abc import Callable
from typing import Any

Handler = Callable[[argparse.Namespace], "int | None"]
ENTRIES = ("feature", "pull-request", "bug", "single-environment")


def register(sub: Any) -> dict[tuple[str, str | None], Handler]:
    """Add the `feature` and `release` command groups."""
    ft = sub.add_parser("feature", help="features through the SDLC phases and their gates").add_subparsers(
        dest="cmd", required=True, metavar="CMD"
    )
    new = ft.add_parser("create", help="a new feature; prints its id on the last line")
    new.add_argument("--title", required=True)
    new.add_argument("--service", required=True, help="the AppRoleName it belongs to, e.g. mana")
    new.add_argument(
        "--operation",
        action="append",
        default=[],
        metavar="NAME",
        help="a request name it adds or changes, e.g. 'POST /api/orders' (repeat for several)",
    )
    new.add_argument("--release", help="target release, e.g. 2026.12.1")
    new.add_argument("--entry", choices=ENTRIES, default="feature", help="where it enters the workflow")
    new.add_argument("--owner", default="")
    new.add_argument("--description", default="")
    new.add_argument("--commit", help="the commit it was built from")
    new.add_argument("--work-item", help="link to the board work item")
    new.add_argument("--pull-request", help="link to the pull request")
    new.add_argument("--service-slos-cover", action="store_true", help="the service-wide SLOs cover its operations")
    lst = ft.add_parser("list", help="every feature with its phase and its current gate")
    lst.add_argument("--json", action="store_true")
    show = ft.add_parser("show", help="one feature's checklist, each item passed, open or waived")
    show.add_argument("id", type=int)
    show.add_argument("--json", action="store_true")
    adv = ft.add_parser("advance", help="move to the next phase (refused, exit 2, while a required item is open)")
    adv.add_argument("id", type=int)
    back = ft.add_parser("back", help="move back one phase")
    back.add_argument("id", type=int)
    back.add_argument("--reason", default="")
    so = ft.add_parser("sign-off", help="sign off one sign-off item")
    so.add_argument("id", type=int)
    so.add_argument("item_key", metavar="ITEM_KEY")
    so.add_argument("--evidence", default="", help="a link or a note (some items require it)")
    wv = ft.add_parser("waive", help="waive one item with a reason (lead)")
    wv.add_argument("id", type=int)
    wv.add_argument("item_key", metavar="ITEM_KEY")
    wv.add_argument("--reason", required=True)
    rel = sub.add_parser("release", help="releases: go or no-go").add_subparsers(
        dest="cmd", required=True, metavar="CMD"
    )
    chk = rel.add_parser("check", help="go (exit 0) or no-go (exit 1) with the reasons")
    chk.add_argument("version", metavar="VERSION")
    chk.add_argument("--json", action="store_true")
    return {
        ("feature", "create"): _create,
        ("feature", "list"): _list,
        ("feature", "show"): _show,
        ("feature", "advance"): _advance,
        ("feature", "back"): _back,
        ("feature", "sign-off"): _sign_off,
        ("feature", "waive"): _waive,
        ("release", "check"): _release_check,
    }


def _actor(args: argparse.Namespace) -> Any:
    from services.auth import cli_actor

    return cli_actor(args.actor)


def _source() -> Any:
    from services.telemetry.factory import build_source

    return build_source()


def _json(value: Any) -> str:
    return json.dumps(value, indent=2, default=lambda v: v.isoformat() if hasattr(v, "isoformat") else str(v))


def _create(args: argparse.Namespace) -> None:
    from services.db import session_scope
    from services.features import service
    from services.features.schemas import parse_feature_input

    data = parse_feature_input(
        {
            "title": args.title,
            "service": args.service,
            "operations": args.operation,
            "release": args.release,
            "entry": args.entry,
            "owner": args.owner,
            "description": args.description,
            "commit": args.commit,
            "work_item_url": args.work_item,
            "pull_request_url": args.pull_request,
            "service_slos_cover": args.service_slos_cover,
        }
    )
    with session_scope() as s:
        f = service.create_feature(s, actor=_actor(args), data=data)
        fid, phase = f.id, f.phase
    print(f"created feature #{fid} in {phase}")  # only once committed
    print(fid)


def _list(args: argparse.Namespace) -> None:
    from services.db import session_scope
    from services.features import service
    from services.features.phases import PHASE_NAMES

    with session_scope() as s:
        judged, _ = service.gates(s, actor=_actor(args), source=_source(), current_phase_only=True)
    rows: list[dict[str, Any]] = [
        {
            "id": g.feature.id,
            "title": g.feature.title,
            "service": g.feature.service,
            "phase": g.feature.phase,
            "release": g.feature.release,
            "gate": g.counts(),
            "open_items": [i.key for i in g.blocking()],
        }
        for g in judged
    ]
    if args.json:
        print(_json(rows))
        return
    if not rows:
        print("no features yet; create one with `sre-backoffice feature create --title T --service S`")
    for r in rows:
        c = r["gate"]
        print(
            f"#{r['id']:<4} {PHASE_NAMES[r['phase']]:<22} {r['service']:<12} {r['release'] or '-':<12} "
            f"{c['passed']} passed, {c['open']} open, {c['waived']} waived  {r['title']}"
        )


def _show(args: argparse.Namespace) -> None:
    from services.db import session_scope
    from services.features import service
    from services.features.phases import PHASE_NAMES

    with session_scope() as s:
        judged, ev = service.gates(s, actor=_actor(args), source=_source(), feature_ids=[args.id])
        moves = [
            {"at": m.at, "by": m.actor, "kind": m.kind, "from": m.from_phase, "to": m.to_phase, "note": m.note}
            for m in service.history(s, actor=_actor(args), feature_id=args.id)
        ]
    g = judged[0]
    f = g.feature
    out = {
        "id": f.id,
        "title": f.title,
        "service": f.service,
        "phase": f.phase,
        "release": f.release,
        "operations": list(f.operations),
        "entry": f.entry,
        "owner": f.owner,
        "template_version": f.template_version,
        "service_slos_cover": f.service_slos_cover,
        "work_item_url": f.work_item_url,
        "pull_request_url": f.pull_request_url,
        "commit": f.commit,
        "items": [i.as_json() for i in g.items],
        "history": moves,
        "telemetry_queries": ev.queries,
    }
    if args.json:
        print(_json(out))
        return
    print(f"#{f.id} {f.title} · {f.service} · {PHASE_NAMES[f.phase]} · release {f.release or '-'}")
    mark = {"passed": "✓", "open": "✗", "waived": "~"}
    for i in g.items:
        here = " (current)" if i.phase == f.phase else ""
        req = "" if i.required else " [optional]"
        print(f"  {mark[i.state]} {PHASE_NAMES[i.phase]}{here} {i.key}{req}: {i.detail}")


def _advance(args: argparse.Namespace) -> None:
    from services.db import session_scope
    from services.features import service
    from services.features.phases import PHASE_NAMES

    with session_scope() as s:
        f = service.advance(s, actor=_actor(args), source=_source(), feature_id=args.id)
        fid, phase = f.id, f.phase
    print(f"feature #{fid} is now in {PHASE_NAMES[phase]}")


def _back(args: argparse.Namespace) -> None:
    from services.db import session_scope
    from services.features import service
    from services.features.phases import PHASE_NAMES

    with session_scope() as s:
        f = service.move_back(s, actor=_actor(args), feature_id=args.id, reason=args.reason)
        fid, phase = f.id, f.phase
    print(f"feature #{fid} is back in {PHASE_NAMES[phase]}")


def _sign_off(args: argparse.Namespace) -> None:
    from services.db import session_scope
    from services.features import service

    with session_scope() as s:
        service.sign_off(s, actor=_actor(args), feature_id=args.id, item_key=args.item_key, evidence=args.evidence)
    print(f"signed off {args.item_key} of feature #{args.id}")


def _waive(args: argparse.Namespace) -> None:
    from services.db import session_scope
    from services.features import service

    with session_scope() as s:
        service.waive(s, actor=_actor(args), feature_id=args.id, item_key=args.item_key, reason=args.reason)
    print(f"waived {args.item_key} of feature #{args.id}")


def _release_check(args: argparse.Namespace) -> int:
    from services.db import session_scope
    from services.features.releases import check_release

    with session_scope() as s:
        verdict = check_release(s, actor=_actor(args), source=_source(), version=args.version)
    if args.json:
        print(_json(verdict.as_json()))
    else:
        print(f"release {verdict.release}: {'GO' if verdict.go else 'NO-GO'}")
        for f in verdict.features:
            print(f"  #{f['id']} {f['title']} ({f['phase']}): {len(f['open_items'])} open item(s)")
        for r in verdict.reasons:
            print(f"  - {r}")
    return 0 if verdict.go else 1
