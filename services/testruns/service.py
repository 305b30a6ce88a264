"""Test-run rules: import a run's reports (developers), read runs with their figures, delete a run (leads); audited."""

from __future__ import annotations

import contextlib
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from sqlalchemy import event
from sqlalchemy.orm import Session

from services import audit
from services.auth import Actor, require
from services.errors import InvalidInput
from services.repository import get_or_raise
from services.testruns import analysis, formats, storage
from services.testruns import repository as repo
from services.testruns.models import TestRun
from services.testruns.schemas import KINDS, ParsedCase, ParsedReport, RunOptions, TestResult

MAX_TEXT = 20_000  # a failure's message or stack kept per test (the rest is cut, saying so)


def _cut(text: str) -> str:
    return text if len(text) <= MAX_TEXT else text[:MAX_TEXT] + f"\n… ({len(text) - MAX_TEXT:,} more characters cut)"


def test_key(suite: str, classname: str, name: str) -> str:
    """The same test across runs: its class (or suite) and name."""
    return f"{classname or suite}::{name}"


def import_run(
    session: Session,
    *,
    actor: Actor,
    files: Sequence[tuple[str, bytes | Path]],
    options: RunOptions,
    max_bytes: int,
) -> TestRun:
    """Read the reports of ONE run (JUnit XML or TRX; plain, gzip or zip) and store the run, every test case in its
    results file. A run is aborted when a report's own summary says so, failed when a test failed or errored, else
    passed. The file is in place before the caller commits and goes again if the transaction is rolled back."""
    require(actor, "testrun.import")
    if not files:
        raise InvalidInput("No report given: attach the JUnit XML or TRX files of one test run.")
    reports: list[ParsedReport] = formats.parse_files(files, max_bytes=max_bytes)
    cases = [c for r in reports for c in r.cases]
    if not cases:
        names = ", ".join(r.file for r in reports)
        raise InvalidInput(f"{names}: no test case in the report(s); nothing was imported. Did the tests run?")
    columns = _columns(cases)
    count = Counter(columns["outcome"])
    aborted = any(r.aborted for r in reports)
    outcome = "aborted" if aborted else "failed" if count["failed"] + count["error"] else "passed"
    durations = [d for d in columns["duration_s"] if d is not None]
    starts = [r.started_at for r in reports if r.started_at is not None]
    run = TestRun(
        **options.model_dump(),
        files=[
            {
                "name": r.file,
                "format": r.format,
                "tests": len(r.cases),
                "summary_outcome": r.summary_outcome,
                "counters": r.counters,
                "aborted": r.aborted,
            }
            for r in reports
        ],
        outcome=outcome,
        tests=len(cases),
        passed=count["passed"],
        failed=count["failed"],
        errors=count["error"],
        skipped=count["skipped"],
        duration_s=sum(durations) if durations else None,
        started_at=min(starts) if starts else None,
        imported_by=actor.name,
    )
    root = storage.root()
    staged = storage.stage(root, columns)  # written before the run's row takes the database's write lock
    name: str | None = None
    try:
        repo.add_run(session, run)  # the first statement is the write, as begin_writing expects on SQLite
        name = storage.new_name(run.id)
        storage.promote(staged, root, name)
        run.results_file = name
        _when_done(session, rolled_back=lambda: storage.remove(root, name))
        audit.record(
            session, actor=actor, action="testrun.import", entity="test_run", entity_id=run.id, after=run.as_dict()
        )
        _sweep(session, root, newer=root / name)
    except BaseException:
        staged.unlink(missing_ok=True)
        storage.remove(root, name)
        raise
    return run


def _columns(cases: Sequence[ParsedCase]) -> dict[str, list[Any]]:
    """The results file's columns (storage.COLUMNS) of the parsed cases, in the report's order."""
    # one pass per column: zip(*cases) would build 100,000-item tuples, which the garbage collector keeps scanning
    return {
        "test_key": [f"{c.classname or c.suite}::{c.name}" for c in cases],  # test_key(), inline for 100,000 cases
        "suite": [c.suite for c in cases],
        "classname": [c.classname for c in cases],
        "name": [c.name for c in cases],
        "outcome": [c.outcome for c in cases],
        "duration_s": [c.duration_s for c in cases],
        "message": [_cut(c.message) for c in cases],
        "stack": [_cut(c.stack) for c in cases],
    }


def _when_done(
    session: Session, *, committed: Callable[[], None] | None = None, rolled_back: Callable[[], None] | None = None
) -> None:
    """Run one of two file clean-ups when the caller's transaction ends: on its commit or its rollback, never both."""

    def on_commit(_session: Session) -> None:
        event.remove(session, "after_rollback", on_rollback)
        if committed:
            committed()

    def on_rollback(_session: Session) -> None:
        event.remove(session, "after_commit", on_commit)
        if rolled_back:
            rolled_back()

    event.listen(session, "after_commit", on_commit, once=True)
    event.listen(session, "after_rollback", on_rollback, once=True)


def _sweep(session: Session, root: Path, *, newer: Path) -> None:
    """Remove the files of imports that crashed before their commit (and of deletes that crashed after theirs): the
    hidden staged files and the named files no run holds, when GRACE_S older than the file just written."""
    with contextlib.suppress(OSError):  # clean-up is never a reason to refuse an import
        staged, named = storage.strays(root, newer=newer)
        held = repo.results_files(session, list(named)) if named else set()
        for path in staged + [p for p in named.values() if p.name not in held]:
            path.unlink(missing_ok=True)


def list_runs(
    session: Session, *, actor: Actor, service: str | None = None, kind: str | None = None, limit: int = 1000
) -> list[TestRun]:
    """Runs (of one service and kind), newest first."""
    require(actor, "testrun.read")
    return repo.list_runs(session, service=service, kind=kind, limit=limit)


def get_run(session: Session, *, actor: Actor, run_id: int) -> TestRun:
    """One run, or NotFound."""
    require(actor, "testrun.read")
    return get_or_raise(session, TestRun, run_id, missing=f"Test run {run_id} does not exist.")


def results(session: Session, *, actor: Actor, run_id: int, failing_only: bool = False) -> list[TestResult]:
    """A run's test results in the report's order (only the failed and errored ones when asked)."""
    run = get_run(session, actor=actor, run_id=run_id)
    path = storage.path_of(storage.root(), run.results_file, run.id)
    return storage.results(path, outcomes=analysis.FAILING if failing_only else None)


def runs_for(
    session: Session, *, actor: Actor, services: Sequence[str], releases: Sequence[str], commits: Sequence[str]
) -> list[TestRun]:
    """Runs of the services for any of the releases or commits, newest first (the feature gates read these)."""
    require(actor, "testrun.read")
    return repo.runs_for(session, services=services, releases=releases, commits=commits)


@dataclass(frozen=True)
class History:
    """A service's runs of one kind, oldest first, with each test's outcome per run."""

    runs: list[TestRun]
    rows: list[analysis.RunRow]
    durations: list[tuple[str, float | None]]


def history(session: Session, *, actor: Actor, service: str, kind: str, limit: int = 50) -> History:
    """The last `limit` runs of a service and kind with their outcomes: what flakiness, trends and diffs read."""
    require(actor, "testrun.read")
    return _history(session, service=service, kind=kind, limit=limit, durations=True)


def _history(session: Session, *, service: str, kind: str, limit: int, durations: bool) -> History:
    runs = list(reversed(repo.list_runs(session, service=service, kind=kind, limit=limit)))
    per_run: dict[int, dict[str, str]] = {r.id: {} for r in runs}
    took: list[tuple[str, float | None]] = []
    root = storage.root()
    paths = {r.id: storage.path_of(root, r.results_file, r.id) for r in runs}
    for run_id, key, outcome, duration in storage.outcomes(paths, durations=durations):
        per_run[run_id][key] = outcome
        if durations:
            took.append((key, duration))
    rows = [analysis.RunRow(r.id, r.commit, per_run[r.id]) for r in runs]
    return History(runs, rows, took)


@dataclass(frozen=True)
class Summary:
    """The Home tile's figures: each kind's newest run (id, outcome, pass rate) and the flaky tests of its history."""

    latest: tuple[tuple[str, int, str, float | None], ...]  # (kind, run id, outcome, pass rate), unit first
    flaky: int


def summary(session: Session, *, actor: Actor, service: str, runs: int = 50) -> Summary:
    """The newest run of each kind of the service, and how many tests were flaky over each kind's last `runs`."""
    require(actor, "testrun.read")
    latest = []
    flaky = 0
    for kind in KINDS:
        newest = repo.list_runs(session, service=service, kind=kind, limit=1)
        if not newest:
            continue
        r = newest[0]
        latest.append((kind, r.id, r.outcome, analysis.pass_rate(r.passed, r.tests, r.skipped)))
        found = _history(session, service=service, kind=kind, limit=runs, durations=False)
        flaky += len(analysis.flaky_tests(found.rows))
    return Summary(tuple(latest), flaky)


def delete_run(session: Session, *, actor: Actor, run_id: int) -> None:
    """Delete a run (leads); audited with what it was. Its results file goes once the transaction commits."""
    require(actor, "testrun.delete")
    run = get_run(session, actor=actor, run_id=run_id)
    before = run.as_dict()
    name = run.results_file
    repo.delete_run(session, run)
    audit.record(session, actor=actor, action="testrun.delete", entity="test_run", entity_id=run_id, before=before)
    root = storage.root()
    _when_done(session, committed=lambda: storage.remove(root, name))
