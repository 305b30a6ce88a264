"""`sre-backoffice incident …`: open, list, show, classify and move incidents from scripts.

The handlers import the service layer when they run, so that `sre-backoffice --help` and every other command stay
fast (no SQLAlchemy, pandas or board clients loaded for them).
"""

from __future__ import annotations

import argparse
import json
from collections.abc import Callable
from typing import Any

Handler = Callable[[argparse.Namespace], None]


def register(sub: Any) -> dict[tuple[str, str | None], Handler]:
    """Add the `incident` and `postmortem` command groups."""
    inc = sub.add_parser("incident", help="incidents and the triage queue").add_subparsers(
        dest="cmd", required=True, metavar="CMD"
    )
    create = inc.add_parser("create", help="open an incident; prints its id on the last line")
    create.add_argument("--title", required=True)
    create.add_argument("--service", required=True)
    create.add_argument("--severity", required=True, help="Sev0 … Sev4")
    create.add_argument("--description", default="")
    lst = inc.add_parser("list", help="incidents, open ones by default")
    lst.add_argument("--status", action="append", help="new, acknowledged, mitigating, resolved, closed (repeatable)")
    lst.add_argument("--json", action="store_true")
    show = inc.add_parser("show", help="one incident with its timeline")
    show.add_argument("id", type=int)
    show.add_argument("--json", action="store_true")
    classify = inc.add_parser("classify", help="classify by the team's protocol")
    classify.add_argument("id", type=int)
    classify.add_argument(
        "--as", dest="classification", required=True, choices=("protocol", "non-critical", "critical", "unknown")
    )
    move = inc.add_parser("move", help="change the status (acknowledged, mitigating, resolved, closed, new=reopen)")
    move.add_argument("id", type=int)
    move.add_argument("--to", required=True)
    move.add_argument(
        "--reason",
        default="",
        help="why, when resolving skips mitigating or leaves runbook steps unticked (it goes on the timeline)",
    )
    pm = sub.add_parser("postmortem", help="blameless postmortems").add_subparsers(
        dest="cmd", required=True, metavar="CMD"
    )
    export = pm.add_parser("export", help="print an incident's postmortem")
    export.add_argument("id", type=int, help="the incident id")
    export.add_argument("--format", choices=("md",), default="md")
    return {
        ("postmortem", "export"): _export,
        ("incident", "create"): _create,
        ("incident", "list"): _list,
        ("incident", "show"): _show,
        ("incident", "classify"): _classify,
        ("incident", "move"): _move,
    }


def _actor(args: argparse.Namespace) -> Any:
    # imported on use: keeps the CLI fast
    from services.auth import cli_actor

    return cli_actor(args.actor)


def _json(value: Any) -> str:
    return json.dumps(value, indent=2, default=lambda v: v.isoformat() if hasattr(v, "isoformat") else str(v))


def _create(args: argparse.Namespace) -> None:
    # imported on use: keeps the CLI fast
    from services.db import session_scope
    from services.incidents import service
    from services.incidents.schemas import parse_incident_input

    data = parse_incident_input(
        {"title": args.title, "service": args.service, "severity": args.severity, "description": args.description}
    )
    with session_scope() as s:
        inc = service.create_incident(s, actor=_actor(args), data=data)
    print(f"opened {inc.severity} incident {inc.id}: {inc.title}")  # only once committed
    print(inc.id)


def _list(args: argparse.Namespace) -> None:
    # imported on use: keeps the CLI fast
    from services.db import session_scope
    from services.incidents import service

    with session_scope() as s:
        rows = [i.as_dict() for i in service.list_incidents(s, actor=_actor(args), statuses=args.status)]
    if args.json:
        print(_json(rows))
        return
    for r in rows:
        print(f"{r['id']:>5}  {r['severity']}  {r['status']:<12} {r['classification']:<12} {r['title']}")
    if not rows:
        print("no incidents")


def _show(args: argparse.Namespace) -> None:
    # imported on use: keeps the CLI fast
    from services.db import session_scope
    from services.incidents import service
    from services.incidents.board_issues import links

    with session_scope() as s:
        actor = _actor(args)
        inc = service.get_incident(s, actor=actor, incident_id=args.id)
        out = inc.as_dict()
        found = links(s, actor=actor, incident_id=args.id)
        out["board_issue_url"] = next((x.url for x in found if x.purpose == "incident"), None)
        out["board_issues"] = [
            {"purpose": x.purpose, "provider": x.provider, "key": x.key, "url": x.url, "state": x.state} for x in found
        ]
        out["timeline"] = [
            {"at": e.at, "actor": e.actor, "kind": e.kind, "message": e.message}
            for e in service.timeline(s, actor=actor, incident_id=args.id)
        ]
    if args.json:
        print(_json(out))
        return
    print(f"#{out['id']} {out['severity']} {out['status']} ({out['classification']}): {out['title']}")
    for e in out["timeline"]:
        print(f"  {e['at']:%Y-%m-%d %H:%M:%S} {e['actor']}: {e['message']}")


def _classify(args: argparse.Namespace) -> None:
    # imported on use: keeps the CLI fast
    from services.boards.factory import build_board
    from services.config import get_settings
    from services.db import session_scope
    from services.incident_response import classify
    from services.incidents.workflow import protocol_for

    rule = protocol_for(args.classification)
    board = build_board(get_settings()) if rule.board_issue else None
    with session_scope() as s:
        classify(s, actor=_actor(args), incident_id=args.id, classification=args.classification, board=board)
    print(f"incident {args.id} classified {args.classification}: {rule.summary}")


def _move(args: argparse.Namespace) -> None:
    # imported on use: keeps the CLI fast
    from services.db import session_scope
    from services.incident_response import transition

    with session_scope() as s:
        inc = transition(s, actor=_actor(args), incident_id=args.id, to=args.to, reason=args.reason)
    print(f"incident {inc.id} is now {inc.status}")  # only once committed


def _export(args: argparse.Namespace) -> None:
    # imported on use: keeps the CLI fast
    from services.db import session_scope
    from services.errors import NotFound
    from services.incidents import service
    from services.postmortems import service as postmortems

    with session_scope() as s:
        actor = _actor(args)
        inc = service.get_incident(s, actor=actor, incident_id=args.id)
        pm = postmortems.get_for_incident(s, actor=actor, incident_id=args.id)
        if pm is None:
            raise NotFound(f"Incident {args.id} has no postmortem yet; start one on the Postmortems page.")
        markdown = postmortems.to_markdown(pm, inc.as_dict())
    print(markdown, end="")
