"""`sre-backoffice import clef FILE... [--service NAME]`: Serilog compact JSON into the local telemetry store."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

Handler = Callable[[argparse.Namespace], None]
SHOWN_BAD_LINES = 20


def register(sub: Any) -> dict[tuple[str, str | None], Handler]:
    """Add the `import` command group with `clef`."""
    imp = sub.add_parser("import", help="import logs into the local telemetry store").add_subparsers(
        dest="cmd", required=True, metavar="CMD"
    )
    clef = imp.add_parser(
        "clef", help="Serilog compact JSON (CLEF) files: events with @x into AppExceptions, the rest into AppTraces"
    )
    clef.add_argument("files", nargs="+", type=Path, metavar="FILE")
    clef.add_argument(
        "--service", help="AppRoleName for events without an Application property (default: SRE_SERVICE_NAME)"
    )
    return {("import", "clef"): _import_clef}


def _import_clef(args: argparse.Namespace) -> None:
    from services.auth import cli_actor
    from services.config import get_settings
    from services.db import session_scope
    from services.telemetry.clef_import import import_files

    settings = get_settings()
    with session_scope() as s:
        report = import_files(
            s,
            settings.telemetry.dir,
            args.files,
            actor=cli_actor(args.actor),
            service=args.service or settings.telemetry.service_name,
        )
    for where, why in report.bad[:SHOWN_BAD_LINES]:
        print(f"skipped {where}: {why}", file=sys.stderr)
    if report.bad_count > SHOWN_BAD_LINES:
        print(f"… and {report.bad_count - SHOWN_BAD_LINES:,} more skipped lines", file=sys.stderr)
    print(f"{report.summary()} into {settings.telemetry.dir}")
