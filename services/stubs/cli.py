"""`sre-backoffice stubs …`: build a WireMock stub set from a dependency's production telemetry, import one, list
sets, show a version's coverage, export it as mappings/*.json. Handlers import the service layer when they run."""

from __future__ import annotations

import argparse
import io
import zipfile
from collections.abc import Callable
from datetime import timedelta
from pathlib import Path
from typing import Any

Handler = Callable[[argparse.Namespace], None]


def register(sub: Any) -> dict[tuple[str, str | None], Handler]:
    """Add the `stubs` command group."""
    st = sub.add_parser("stubs", help="WireMock stub sets for a dependency, built from production").add_subparsers(
        dest="cmd", required=True, metavar="CMD"
    )
    b = st.add_parser("build", help="a new version built from AppDependencies of one target; prints its version")
    b.add_argument("--name", required=True, help="the set's name, e.g. DOPA")
    b.add_argument("--target", required=True, help="the dependency's Target, e.g. api.dopa.go.th")
    b.add_argument("--days", type=float, default=7.0, help="the window: N days (default 7) up to --end")
    b.add_argument("--end", help="the window's end, an ISO instant such as 2026-12-01T00:00:00Z (default: now)")
    b.add_argument("--note", default="")
    imp = st.add_parser("import", help="a new version from WireMock or WireMock.Net mapping JSON (or a zip)")
    imp.add_argument("file")
    imp.add_argument("--name", required=True)
    imp.add_argument("--target", default="", help="needed when the set is new")
    st.add_parser("list", help="stub sets and their latest versions")
    show = st.add_parser("show", help="a version's stubs and which observed behaviours they cover")
    show.add_argument("name")
    show.add_argument("--version", type=int)
    ex = st.add_parser("export", help="write a version's mappings/*.json into a folder (or a .zip)")
    ex.add_argument("name")
    ex.add_argument("out", help="a folder (mappings/ is made inside) or a path ending in .zip")
    ex.add_argument("--version", type=int)
    return {
        ("stubs", "build"): _build,
        ("stubs", "import"): _import,
        ("stubs", "list"): _list,
        ("stubs", "show"): _show,
        ("stubs", "export"): _export,
    }


def _actor(args: argparse.Namespace) -> Any:
    from services.auth import cli_actor

    return cli_actor(args.actor)


def _set_id(session: Any, actor: Any, name: str) -> int:
    from services.errors import NotFound
    from services.stubs import service

    for s in service.list_sets(session, actor=actor):
        if s.name == name:
            return int(s.id)
    raise NotFound(f"No stub set named {name!r}; `sre-backoffice stubs list` shows them.")


def _build(args: argparse.Namespace) -> None:
    from services.db import session_scope, utcnow
    from services.stubs import service
    from services.telemetry.factory import build_source
    from services.timeutil import parse_instant

    end = parse_instant(args.end) if args.end else utcnow()
    start = end - timedelta(days=args.days)
    with session_scope() as s:
        v = service.build_from_telemetry(
            s, build_source(), actor=_actor(args), name=args.name, target=args.target, start=start, end=end,
            note=args.note,
        )  # fmt: skip
        line = f"{args.name} version {v.version}: {len(v.mappings)} stubs for {len(v.observations)} observed behaviours"
        number = v.version
    print(line)
    print(number)


def _import(args: argparse.Namespace) -> None:
    from services.db import session_scope
    from services.errors import InvalidInput
    from services.stubs import service

    path = Path(args.file)
    if not path.is_file():
        raise InvalidInput(f"{args.file}: no such file; nothing was stored.")
    with session_scope() as s:
        v = service.upload(
            s, actor=_actor(args), name=args.name, target=args.target, file_name=path.name, data=path.read_bytes()
        )
        line, number = f"{args.name} version {v.version}: {len(v.mappings)} stubs", v.version
    print(line)
    print(number)


def _list(args: argparse.Namespace) -> None:
    from services.db import session_scope
    from services.stubs import service

    with session_scope() as s:
        rows = [(x.name, x.target, x.latest_version) for x in service.list_sets(s, actor=_actor(args))]
    if not rows:
        print("no stub set yet; build one with `sre-backoffice stubs build --name DOPA --target api.dopa.go.th`")
    for name, target, version in rows:
        print(f"{name}  {target}  version {version}")


def _show(args: argparse.Namespace) -> None:
    from services.db import session_scope
    from services.stubs import service

    with session_scope() as s:
        actor = _actor(args)
        v = service.get_version(s, actor=actor, set_id=_set_id(s, actor, args.name), version=args.version)
        names = [str(m.get("name") or m.get("id")) for m in v.mappings]
        cov = service.coverage(v)
        number = v.version
    print(f"{args.name} version {number}: {len(names)} stubs")
    for n in names:
        print(f"  {n}")
    for row in cov.rows:
        o = row.observation
        mark = "covered" if row.covered else "NOT COVERED"
        print(f"{o.method} {o.path} {o.behaviour.words}: {o.calls:,} calls, {mark}")


def _export(args: argparse.Namespace) -> None:
    from services.db import session_scope
    from services.stubs import service

    with session_scope() as s:
        actor = _actor(args)
        v = service.get_version(s, actor=actor, set_id=_set_id(s, actor, args.name), version=args.version)
        data, count = service.export_zip(v), len(v.mappings)
    out = Path(args.out)
    if out.suffix == ".zip":
        out.write_bytes(data)
    else:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            archive.extractall(out)  # our own archive: mappings/NNN-name.json only
    print(f"{count} mappings written to {out}")
