"""Test-run rules: import a run's reports (developers), read runs with their figures, delete a run (leads); audited."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy.orm import Session

from services import audit
from services.auth import Actor, require
from services.errors import InvalidInput
from services.repository import get_or_raise
from services.testruns import analysis, formats
from services.testruns import repository as repo
from services.testruns.models import TestResult, TestRun
from services.testruns.schemas import KINDS, ParsedReport, RunOptions

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
    """Read the reports of ONE run (JUnit XML or TRX; plain, gzip or zip) and store the run with every test case.
    A run is aborted when a report's own summary says so, failed when a test failed or errored, else passed."""
    require(actor, "testrun.import")
    if not files:
        raise InvalidInput("No report given: attach the JUnit XML or TRX files of one test run.")
    reports: list[ParsedReport] = formats.parse_files(files, max_bytes=max_bytes)
    cases = [c for r in reports for c in r.cases]
    if not cases:
        names = ", ".join(r.file for r in reports)
        raise InvalidInput(f"{names}: no test case in the report(s); nothing was imported. Did the tests run?")
    count = {o: sum(1 for c in cases if c.outcome == o) for o in ("passed", "failed", "error", "skipped")}
    aborted = any(r.aborted for r in reports)
    outcome = "aborted" if aborted else "failed" if count["failed"] + count["error"] else "passed"
    durations = [c.duration_s for c in cases if c.duration_s is not None]
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
    rows = [
        {
            "test_key": test_key(c.suite, c.classname, c.name)[:1000],
            "suite": c.suite[:500],
            "classname": c.classname[:500],
            "name": c.name[:1000],
            "outcome": c.outcome,
            "duration_s": c.duration_s,
            "message": _cut(c.message),
            "stack": _cut(c.stack),
        }
        for c in cases
    ]
    repo.add_run(session, run, rows)
    audit.record(
        session, actor=actor, action="testrun.import", entity="test_run", entity_id=run.id, after=run.as_dict()
    )
    return run


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
    """A run's test results (only the failed and errored ones when asked)."""
    get_run(session, actor=actor, run_id=run_id)
    return repo.results(session, run_id, outcomes=analysis.FAILING if failing_only else None)


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
    runs = list(reversed(repo.list_runs(session, service=service, kind=kind, limit=limit)))
    per_run: dict[int, dict[str, str]] = {r.id: {} for r in runs}
    durations: list[tuple[str, float | None]] = []
    for run_id, key, outcome, duration in repo.outcomes(session, [r.id for r in runs]):
        per_run[run_id][key] = outcome
        durations.append((key, duration))
    rows = [analysis.RunRow(r.id, r.commit, per_run[r.id]) for r in runs]
    return History(runs, rows, durations)


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
        flaky += len(analysis.flaky_tests(history(session, actor=actor, service=service, kind=kind, limit=runs).rows))
    return Summary(tuple(latest), flaky)


def delete_run(session: Session, *, actor: Actor, run_id: int) -> None:
    """Delete a run and its results (leads); audited with what it was."""
    require(actor, "testrun.delete")
    run = get_run(session, actor=actor, run_id=run_id)
    before = run.as_dict()
    repo.delete_run(session, run)
    audit.record(session, actor=actor, action="testrun.delete", entity="test_run", entity_id=run_id, before=before)
