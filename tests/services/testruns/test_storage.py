"""A run's results in its Parquet file: read back as imported, gone with the run, and never a file no committed run
names (a crash before the commit, a rollback, a crash after a delete), on SQLite and PostgreSQL."""

from __future__ import annotations

import os
import threading
from collections import Counter
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import func, select
from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session

from services import audit
from services.auth import Actor
from services.db import session_scope
from services.errors import NotFound
from services.testruns import service, storage
from services.testruns.models import TestRun
from services.testruns.schemas import parse_run_options

DEV = Actor("dana", "developer")
LEAD = Actor("lee", "lead")
STACK = (
    "def test_refund_is_rejected_twice(client):\n"
    "        client.post('/refunds/7')\n"
    ">       assert client.post('/refunds/7').status_code == 409\n"
    "E       assert 200 == 409\n"
    "\n"
    "tests/test_refunds.py:12: AssertionError"
)


def report(*, fails: int = 2, errors: int = 1, skips: int = 3, passes: int = 7) -> bytes:
    """One suite: the passes, then the failures (the first with STACK), the errors and the skips, in that order."""
    cases = [f'<testcase classname="tests.test_shop" name="test_pass_{i}" time="0.01"/>' for i in range(passes)]
    for i in range(fails):
        text = STACK.replace(">", "&gt;") if i == 0 else "assert False"
        cases.append(
            f'<testcase classname="tests.test_refunds" name="test_fail_{i}" time="1.5">'
            f'<failure message="assert 200 == 409">{text}</failure></testcase>'
        )
    cases += [
        f'<testcase classname="tests.test_db" name="test_error_{i}" time="0.2"><error message="database is down"/>'
        "</testcase>"
        for i in range(errors)
    ]
    cases += [
        f'<testcase classname="tests.test_gpu" name="test_skip_{i}" time="0"><skipped message="needs a GPU"/>'
        "</testcase>"
        for i in range(skips)
    ]
    return (
        '<?xml version="1.0"?><testsuites><testsuite name="shop">' + "".join(cases) + "</testsuite></testsuites>"
    ).encode()


def imported(engine: Engine, data: bytes | None = None, **options: str) -> int:
    opts = parse_run_options({"service": "mana", "kind": "unit", **options})
    with session_scope(engine) as s:
        files: list[tuple[str, bytes | Path]] = [("junit.xml", data or report())]
        return service.import_run(s, actor=DEV, files=files, options=opts, max_bytes=1 << 20).id


def files_in(folder: Path) -> list[str]:
    return sorted(p.name for p in folder.iterdir()) if folder.exists() else []


def results_file(engine: Engine, run_id: int) -> str:
    with session_scope(engine) as s:
        name = service.get_run(s, actor=DEV, run_id=run_id).results_file
    assert name is not None
    return name


def test_the_results_are_read_back_as_imported(engine: Engine) -> None:
    run_id = imported(engine)
    folder = storage.root()
    assert files_in(folder) == [results_file(engine, run_id)]
    assert results_file(engine, run_id).startswith(f"run-{run_id}-")
    with session_scope(engine) as s:
        run = service.get_run(s, actor=DEV, run_id=run_id)
        everything = service.results(s, actor=DEV, run_id=run_id)
        failing = service.results(s, actor=DEV, run_id=run_id, failing_only=True)
    # 7 passed + 2 failed + 1 error + 3 skipped = 13 tests, as the run's figures say
    assert (run.tests, run.passed, run.failed, run.errors, run.skipped) == (13, 7, 2, 1, 3)
    assert Counter(r.outcome for r in everything) == {"passed": 7, "failed": 2, "error": 1, "skipped": 3}
    assert [r.name for r in everything][:8] == [f"test_pass_{i}" for i in range(7)] + ["test_fail_0"]  # file order
    assert [r.test_key for r in failing] == [
        "tests.test_refunds::test_fail_0",
        "tests.test_refunds::test_fail_1",
        "tests.test_db::test_error_0",
    ]
    first = failing[0]
    assert (first.suite, first.classname, first.outcome, first.duration_s) == (
        "shop",
        "tests.test_refunds",
        "failed",
        1.5,
    )
    assert (first.message, first.stack) == ("assert 200 == 409", STACK)
    assert (failing[2].message, failing[2].stack) == ("database is down", "")
    skipped = [r for r in everything if r.outcome == "skipped"]
    assert {r.message for r in skipped} == {"needs a GPU"}


def test_the_history_reads_the_outcomes_of_the_service_and_kind_only(engine: Engine) -> None:
    first = imported(engine, report(fails=0, errors=0), commit="a1b2c3d")
    second = imported(engine, report(fails=1, errors=0), commit="a1b2c3d")
    imported(engine, report(), kind="integration")  # another kind: not in the unit history
    with session_scope(engine) as s:
        h = service.history(s, actor=DEV, service="mana", kind="unit")
        summary = service.summary(s, actor=DEV, service="mana")
    assert [r.id for r in h.runs] == [first, second]
    assert [len(r.outcomes) for r in h.rows] == [10, 11]  # 7 passed + 3 skipped, then one failure more
    assert h.rows[1].outcomes["tests.test_refunds::test_fail_0"] == "failed"
    assert len(h.durations) == 21 and max(d or 0 for _, d in h.durations) == 1.5
    assert summary.flaky == 0  # test_fail_0 ran once: nothing to flip


def test_deleting_a_run_removes_its_file_once_committed(engine: Engine) -> None:
    kept, deleted = imported(engine), imported(engine)
    folder = storage.root()
    kept_file, deleted_file = results_file(engine, kept), results_file(engine, deleted)
    with Session(engine) as s:
        service.delete_run(s, actor=LEAD, run_id=deleted)
        assert (folder / deleted_file).exists()  # not before the commit
        s.rollback()  # the user action failed after the delete: the run and its file stay
        service.get_run(s, actor=DEV, run_id=kept)
        s.commit()  # and a later commit in the same session does not take the file either
    assert files_in(folder) == sorted([kept_file, deleted_file])
    with session_scope(engine) as s:
        service.delete_run(s, actor=LEAD, run_id=deleted)
    assert files_in(folder) == [kept_file]
    with session_scope(engine) as s, pytest.raises(NotFound, match=f"Test run {deleted} does not exist"):
        service.results(s, actor=DEV, run_id=deleted)


def _runs(engine: Engine) -> int:
    with session_scope(engine) as s:
        return int(s.scalar(select(func.count()).select_from(TestRun)) or 0)


def test_a_crash_between_the_file_and_the_commit_leaves_no_run_and_no_file(
    engine: Engine, monkeypatch: pytest.MonkeyPatch
) -> None:
    folder = storage.root()
    real_record = audit.record

    def record_then_fail(*args: object, **kwargs: object) -> None:
        assert len(files_in(folder)) == 1  # the results file is in place
        raise OSError("disk full")

    monkeypatch.setattr(audit, "record", record_then_fail)
    with pytest.raises(OSError, match="disk full"):
        imported(engine)
    assert (_runs(engine), files_in(folder)) == (0, [])
    monkeypatch.setattr(audit, "record", real_record)
    # the caller's action fails after the import returned: the rollback takes the file with it
    opts = parse_run_options({"service": "mana", "kind": "unit"})
    with pytest.raises(RuntimeError), session_scope(engine) as s:
        service.import_run(s, actor=DEV, files=[("junit.xml", report())], options=opts, max_bytes=1 << 20)
        assert len(files_in(folder)) == 1
        raise RuntimeError("the next step of the user action fails")
    assert (_runs(engine), files_in(folder)) == (0, [])


def test_a_stray_file_is_never_shown_and_goes_once_an_hour_older_than_a_new_import(engine: Engine) -> None:
    run_id = imported(engine)
    folder = storage.root()
    committed = folder / results_file(engine, run_id)
    # what a crashed import leaves: its file renamed into place (run 99 never committed) and a half-written one
    stray = folder / "run-99-0123456789abcdef.parquet"
    stray.write_bytes(committed.read_bytes())
    half = folder / ".run-fedcba9876543210fedcba9876543210.parquet"
    half.write_bytes(b"PAR1 cut short")
    young = folder / "run-98-00000000000000aa.parquet"  # another process's import, not committed yet
    young.write_bytes(committed.read_bytes())
    for path in (stray, half, committed):
        os.utime(path, (1, 1))  # written long before the next import (1970)
    with session_scope(engine) as s:
        assert [r.id for r in service.list_runs(s, actor=DEV)] == [run_id]
        h = service.history(s, actor=DEV, service="mana", kind="unit")
        with pytest.raises(NotFound, match="Test run 99 does not exist"):
            service.results(s, actor=DEV, run_id=99)
    assert [r.id for r in h.runs] == [run_id] and len(h.durations) == 13  # one run's 13 tests, not the stray's
    newer = imported(engine)
    assert files_in(folder) == sorted([committed.name, young.name, results_file(engine, newer)])


def test_a_rolled_back_id_given_again_gets_a_file_of_its_own(engine: Engine) -> None:
    # SQLite gives a rolled-back run's id to the next run; the name's token keeps the two files apart, so the first
    # import's clean-up (had it come late) could never remove the second's file
    folder = storage.root()
    opts = parse_run_options({"service": "mana", "kind": "unit"})
    with pytest.raises(RuntimeError), session_scope(engine) as s:
        first = service.import_run(s, actor=DEV, files=[("a.xml", report())], options=opts, max_bytes=1 << 20)
        first_file = first.results_file
        raise RuntimeError("rolled back")
    second = imported(engine)
    second_file = results_file(engine, second)
    assert second_file != first_file
    storage.remove(folder, first_file)  # a late clean-up of the first import
    assert files_in(folder) == [second_file]


def test_two_imports_in_flight_at_once_keep_their_own_files(pg_engine: Engine, monkeypatch: pytest.MonkeyPatch) -> None:
    # two imports at once on PostgreSQL, each in its own thread and transaction: B's row and file are in place while A
    # (holding the audit chain's lock, so B waits for it) has not committed; A fails, B commits
    folder = storage.root()
    opts = parse_run_options({"service": "mana", "kind": "unit"})
    a_imported, b_at_audit = threading.Event(), threading.Event()
    real_record = audit.record
    found: dict[str, object] = {}

    def record(*args: Any, **kwargs: Any) -> Any:
        if threading.current_thread().name == "b":
            b_at_audit.set()  # B's file is in place; the real record waits for A's transaction to end
        return real_record(*args, **kwargs)

    def import_a() -> None:
        try:
            with session_scope(pg_engine) as s:
                run = service.import_run(s, actor=DEV, files=[("a.xml", report())], options=opts, max_bytes=1 << 20)
                found["a"] = run.id
                a_imported.set()
                assert b_at_audit.wait(60)
                found["in flight"] = files_in(folder)
                raise RuntimeError("the first import fails")
        except RuntimeError as exc:
            found["a failed"] = str(exc)

    def import_b() -> None:
        assert a_imported.wait(60)
        with session_scope(pg_engine) as s:
            run = service.import_run(s, actor=DEV, files=[("b.xml", report())], options=opts, max_bytes=1 << 20)
            found["b"], found["b file"] = run.id, run.results_file

    monkeypatch.setattr(audit, "record", record)
    threads = [threading.Thread(target=import_a, name="a"), threading.Thread(target=import_b, name="b")]
    for t in threads:
        t.start()
    for t in threads:
        t.join(120)
    assert found["a failed"] == "the first import fails" and found["a"] != found["b"]
    assert len(found["in flight"]) == 2  # type: ignore[arg-type]  # both files in place at once
    assert files_in(folder) == [found["b file"]]
    with session_scope(pg_engine) as s:
        assert [r.id for r in service.list_runs(s, actor=DEV)] == [found["b"]]
        assert len(service.results(s, actor=DEV, run_id=int(found["b"]))) == 13  # type: ignore[call-overload]


def test_a_missing_results_file_is_named(sqlite_engine: Engine) -> None:
    run_id = imported(sqlite_engine)
    path = storage.root() / results_file(sqlite_engine, run_id)
    path.unlink()
    with session_scope(sqlite_engine) as s, pytest.raises(NotFound) as caught:
        service.results(s, actor=DEV, run_id=run_id)
    assert str(caught.value) == (
        f"The test results of run {run_id} are missing: {path} (was the SRE_TESTRUN_DIR folder moved?)."
    )
