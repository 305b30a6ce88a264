"""Load-test rules: import k6 outputs as one run (all or nothing), read, delete; permissions and audit."""

from __future__ import annotations

import contextlib
import os
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from sqlalchemy import event
from sqlalchemy.orm import Session

from services import audit
from services.auth import Actor, require
from services.db import utcnow
from services.errors import InvalidInput
from services.loadtests import figures, formats, report, storage
from services.loadtests import repository as repo
from services.loadtests.models import LoadTestRun
from services.loadtests.points import parse_points
from services.loadtests.schemas import (
    SUMMARY_KINDS,
    ImportOptions,
    InputFile,
    ParsedPoints,
    ParsedSummary,
)
from services.repository import get_or_raise


def check_sizes(files: Sequence[InputFile], *, max_bytes: int | None) -> None:
    """Refuse any file over the limit before reading it."""
    for f in files:
        size = os.path.getsize(f.path)
        if max_bytes is not None and size > max_bytes:
            raise InvalidInput(
                f"{f.name} is {size / 2**20:,.0f} MB, over the {max_bytes / 2**20:,.0f} MB import limit "
                "(SRE_LOADTEST_MAX_UPLOAD_MB); nothing was imported. Gzip the file (k6 --out json=out.ndjson.gz) "
                "or import it with the CLI on the server after raising the limit."
            )


def classify(files: Sequence[InputFile]) -> dict[str, tuple[InputFile, str]]:
    """Sniff each file; at most one summary and one raw-points file make one run."""
    if not files:
        raise InvalidInput("No files given; import a k6 summary, its --out json/csv file, or both.")
    found: dict[str, tuple[InputFile, str]] = {}
    for f in files:
        kind = formats.sniff(f)
        role = "summary" if kind in SUMMARY_KINDS else "points"
        if role in found:
            other = found[role][0].name
            raise InvalidInput(
                f"{other} and {f.name} are both {'summaries' if role == 'summary' else 'raw-point files'}; "
                "one run takes at most one summary and one --out json/csv file. Nothing was imported."
            )
        found[role] = (f, kind)
    return found


def _forget_on_rollback(session: Session, root: Path, name: str) -> None:
    # the points file is in place before the caller commits: remove it if the transaction is rolled back
    def on_rollback(_session: Session) -> None:
        storage.remove(root, name)

    def on_commit(_session: Session) -> None:
        with contextlib.suppress(Exception):
            event.remove(session, "after_rollback", on_rollback)

    event.listen(session, "after_rollback", on_rollback, once=True)
    event.listen(session, "after_commit", on_commit, once=True)


def import_run(
    session: Session,
    *,
    actor: Actor,
    files: Sequence[InputFile],
    options: ImportOptions,
    root: Path,
    max_bytes: int | None = None,
    memory_limit: str = "300MB",
) -> LoadTestRun:
    """Import the files of one k6 run: figures to the database, raw points to Parquet; nothing stored on failure."""
    require(actor, "loadtest.import")
    check_sizes(files, max_bytes=max_bytes)
    found = classify(files)
    summary: ParsedSummary | None = None
    points: ParsedPoints | None = None
    if "summary" in found:
        summary = formats.parse_summary(*found["summary"])
    name: str | None = None
    try:
        if "points" in found:
            points = parse_points(*found["points"], root, memory_limit=memory_limit)
        values, thresholds, checks, endpoints = figures.build_rows(summary, points)
        name = storage.new_name() if points else None
        run = figures.new_run(
            values,
            service=options.service,
            label=options.label,
            git_ref=options.git_ref,
            files=figures.input_files(found.values(), points),
            points_file=name,
            imported_at=utcnow(),
            imported_by=actor.name,
        )
        # no savepoint: no flush error is caught here to be translated, so a failed flush fails the whole import, the
        # caller's session_scope rolls it back and the except below removes the points file
        repo.add(session, run, thresholds=thresholds, checks=checks, endpoints=endpoints)
        if points and name:
            storage.promote(points.staged, root, name)
            _forget_on_rollback(session, root, name)
        audit.record(
            session, actor=actor, action="loadtest.import", entity="loadtest_run", entity_id=run.id, after=run.as_dict()
        )
    except BaseException:
        if points is not None:
            points.staged.unlink(missing_ok=True)
        if name:
            storage.remove(root, name)
        raise
    return run


def list_runs(session: Session, *, actor: Actor, service: str | None = None) -> list[LoadTestRun]:
    """Every run (of one service), newest first."""
    require(actor, "loadtest.read")
    return repo.list_runs(session, service=service)


def get_run(session: Session, *, actor: Actor, run_id: int) -> LoadTestRun:
    """One run, or NotFound."""
    require(actor, "loadtest.read")
    return get_or_raise(
        session,
        LoadTestRun,
        run_id,
        missing=f"Load-test run {run_id} does not exist; list runs with `sre-backoffice loadtest list`.",
    )


def run_report(session: Session, *, actor: Actor, run_id: int) -> report.RunReport:
    """A run with its thresholds, checks and endpoints, as plain values."""
    run = get_run(session, actor=actor, run_id=run_id)
    return report.build(
        run, repo.thresholds(session, run.id), repo.checks(session, run.id), repo.endpoints(session, run.id)
    )


def reports(session: Session, *, actor: Actor, service: str | None = None) -> list[report.RunReport]:
    """Every run (of one service) as a RunReport, newest first."""
    return [run_report(session, actor=actor, run_id=r.id) for r in list_runs(session, actor=actor, service=service)]


def delete_run(session: Session, *, actor: Actor, run_id: int, root: Path) -> None:
    """Delete a run and audit it; its points file goes once the transaction commits."""
    require(actor, "loadtest.delete")
    run = get_run(session, actor=actor, run_id=run_id)
    before: dict[str, Any] = run.as_dict()
    name = run.points_file
    repo.delete_run(session, run)
    audit.record(session, actor=actor, action="loadtest.delete", entity="loadtest_run", entity_id=run_id, before=before)
    if name:
        event.listen(session, "after_commit", lambda _s: storage.remove(root, name), once=True)
