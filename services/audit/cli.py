"""`sre-backoffice audit verify` and `sre-backoffice audit export --from --to --format csv|json`."""

from __future__ import annotations

import argparse
from collections.abc import Callable
from pathlib import Path
from typing import Any

Handler = Callable[[argparse.Namespace], None]


def register(sub: Any) -> dict[tuple[str, str | None], Handler]:
    """Add the `audit` command group."""
    au = sub.add_parser("audit", help="the hash-chained audit log").add_subparsers(
        dest="cmd", required=True, metavar="CMD"
    )
    au.add_parser("verify", help="walk the chain; exit non-zero naming the first record edited, deleted or forged")
    exp = au.add_parser("export", help="the records of a period with the chain head, for an auditor (leads, admins)")
    exp.add_argument("--from", dest="start", help="ISO-8601 instant, inclusive (default: the first record)")
    exp.add_argument("--to", dest="end", help="ISO-8601 instant, exclusive (default: now)")
    exp.add_argument("--format", choices=("csv", "json"), default="json")
    exp.add_argument("--output", type=Path, help="write to this file instead of standard output")
    return {("audit", "verify"): _verify, ("audit", "export"): _export}


def _verify(args: argparse.Namespace) -> None:
    from services.audit.service import verify_chain
    from services.auth import cli_actor
    from services.db import session_scope
    from services.errors import Conflict

    with session_scope() as s:
        state = verify_chain(s, actor=cli_actor(args.actor))
    if not state.ok:
        raise Conflict(state.summary())
    print(state.summary())


def _export(args: argparse.Namespace) -> None:
    from services.audit.export import export_records, to_csv, to_json
    from services.auth import cli_actor
    from services.db import session_scope
    from services.errors import InvalidInput
    from services.timeutil import parse_instant

    start = parse_instant(args.start) if args.start else None
    end = parse_instant(args.end) if args.end else None
    if start and end and end <= start:
        raise InvalidInput(f"--to ({args.end}) must be after --from ({args.start}).")
    with session_scope() as s:
        export = export_records(s, actor=cli_actor(args.actor), start=start, end=end)
    body = to_csv(export) if args.format == "csv" else to_json(export)
    if args.output is None:
        print(body, end="" if body.endswith("\n") else "\n")
        return
    try:
        args.output.write_text(body, encoding="utf-8")
    except OSError as exc:
        raise InvalidInput(f"cannot write {args.output}: {exc.strerror}") from None
    print(f"{len(export.records):,} record(s) written to {args.output}; {export.chain.summary()}")
