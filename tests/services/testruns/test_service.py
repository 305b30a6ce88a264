"""Importing a run's reports, its figures, the CLI, and the feature gates that read the runs."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from sqlalchemy.engine import Engine

from services.auth import Actor
from services.cli import main
from services.db import session_scope
from services.errors import InvalidInput, PermissionDenied
from services.testruns import service
from services.testruns.schemas import parse_run_options
from tests.services.features.conftest import create, judge

DEMO = Path(__file__).resolve().parents[3] / "services" / "demo" / "testruns"
DEV = Actor("dana", "developer")
EMPTY = b'<?xml version="1.0"?><testsuites><testsuite name="empty" tests="0"/></testsuites>'


def imported(engine: Engine, name: str, **options: str) -> int:
    opts = parse_run_options({"service": "mana", "kind": "unit", **options})
    with session_scope(engine) as s:
        return service.import_run(s, actor=DEV, files=[(name, DEMO / name)], options=opts, max_bytes=1 << 20).id


def test_a_run_keeps_each_test_and_its_outcome_as_pytest_wrote_it(sqlite_engine: Engine) -> None:
    run_id = imported(sqlite_engine, "unit-2026.12.1-a.xml", release="2026.12.1", commit="9C3D2A1")
    with session_scope(sqlite_engine) as s:
        run = service.get_run(s, actor=DEV, run_id=run_id)
        assert (run.outcome, run.tests, run.passed, run.failed, run.errors, run.skipped) == ("failed", 5, 4, 1, 0, 0)
        assert (run.release, run.commit, run.files[0]["format"]) == ("2026.12.1", "9c3d2a1", "junit")
        (failure,) = service.results(s, actor=DEV, run_id=run_id, failing_only=True)
        assert (failure.test_key, failure.outcome) == ("test_mana_unit::test_payment_callback_is_idempotent", "failed")
        assert failure.message.startswith("AssertionError: callback processed twice: expected 1 ledger entry")
        assert "def test_payment_callback_is_idempotent" in failure.stack


def test_an_empty_report_a_bad_kind_and_a_viewer_are_refused_and_nothing_is_stored(sqlite_engine: Engine) -> None:
    opts = parse_run_options({"service": "mana", "kind": "unit"})
    with session_scope(sqlite_engine) as s, pytest.raises(InvalidInput, match="no test case in the report"):
        service.import_run(s, actor=DEV, files=[("empty.xml", EMPTY)], options=opts, max_bytes=1 << 20)
    with pytest.raises(InvalidInput, match="kind: must be one of unit, integration, system, acceptance"):
        parse_run_options({"service": "mana", "kind": "smoke"})
    refusal = "Importing a test run needs the developer role; you are viewer"
    with session_scope(sqlite_engine) as s, pytest.raises(PermissionDenied, match=refusal):
        service.import_run(s, actor=Actor("vic", "viewer"), files=[("u.xml", DEMO / "unit-2026.11.5.xml")],
                           options=opts, max_bytes=1 << 20)  # fmt: skip
    with session_scope(sqlite_engine) as s:
        assert service.list_runs(s, actor=DEV) == []


def _cli(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str, str]:
    code = main(["--actor", "admin", *args])
    out = capsys.readouterr()
    return code, out.out, out.err


def test_the_cli_imports_lists_shows_finds_the_flaky_test_and_diffs(
    sqlite_engine: Engine, capsys: pytest.CaptureFixture[str]
) -> None:
    ids = []
    for name in ("unit-2026.11.5.xml", "unit-2026.12.1-a.xml", "unit-2026.12.1-b.xml"):
        code, out, _ = _cli(capsys, "testrun", "import", str(DEMO / name), "--service", "mana", "--kind", "unit",
                            "--release", "2026.12.1", "--commit", "9c3d2a1")  # fmt: skip
        assert code == 0
        ids.append(int(out.splitlines()[-1]))
    assert out.splitlines()[0] == "imported 1 report(s): 5 tests, 5 passed, 0 failed, 0 errors, 0 skipped: passed"
    code, out, _ = _cli(capsys, "testrun", "list", "--json")
    listed = json.loads(out)
    assert [(r["id"], r["outcome"], r["pass_rate"]) for r in listed] == [
        (ids[2], "passed", 1.0),
        (ids[1], "failed", 0.8),
        (ids[0], "passed", 1.0),
    ]
    code, out, _ = _cli(capsys, "testrun", "show", str(ids[1]), "--json")
    assert [f["name"] for f in json.loads(out)["failures"]] == ["test_payment_callback_is_idempotent"]
    code, out, _ = _cli(capsys, "testrun", "flaky", "--service", "mana", "--kind", "unit")
    assert out == (
        "test_mana_unit::test_payment_callback_is_idempotent: failed 1 of 3 runs, 2 flips, passed and failed on one "
        "commit\n"
    )
    code, out, _ = _cli(capsys, "testrun", "diff", str(ids[0]), str(ids[1]))
    assert out.splitlines()[:2] == [
        "new failures (1): test_mana_unit::test_payment_callback_is_idempotent",
        "fixed (0): none",
    ]
    code, _, err = _cli(capsys, "testrun", "import", "nope.xml", "--service", "mana", "--kind", "unit")
    assert (code, err) == (2, "error: nope.xml: no such file; nothing was imported.\n")


def test_the_implementation_gate_reads_the_newest_run_of_the_features_commit_or_release(sqlite_engine: Engine) -> None:
    with session_scope(sqlite_engine) as s:
        by_release = create(s, entry="pull-request", release="2026.12.1")
        by_commit = create(s, entry="pull-request", release="2026.12.1", commit="e71b5c0")
        untested = create(s, entry="pull-request", release="2026.12.3")

    def state(fid: int, key: str) -> tuple[str, str]:
        item = next(i for i in judge(sqlite_engine, fid).items if i.key == key)
        return item.state, item.detail

    failing = imported(sqlite_engine, "unit-2026.12.1-a.xml", release="2026.12.1", commit="9c3d2a1")
    assert state(by_release, "implementation.unit_tests") == (
        "open",
        f"Unit-test run #{failing} failed: 1 failed, 0 errors; 4 of 5 passed.",
    )
    passing = imported(sqlite_engine, "unit-2026.12.1-b.xml", release="2026.12.1", commit="9c3d2a1")
    assert state(by_release, "implementation.unit_tests") == ("passed", f"Unit-test run #{passing}: 5 of 5 passed.")
    # a run of the feature's own commit counts before any run of its release
    imported(sqlite_engine, "integration-2026.12.2.xml", kind="integration", release="2026.12.2", commit="e71b5c0")
    imported(sqlite_engine, "integration-2026.12.1.xml", kind="integration", release="2026.12.1", commit="9c3d2a1")
    assert state(by_commit, "implementation.integration_tests")[0] == "open"
    assert state(by_release, "implementation.integration_tests")[0] == "passed"
    assert state(untested, "implementation.unit_tests") == (
        "open",
        "No unit-test run of mana for release 2026.12.3: import one with `sre-backoffice testrun import FILE... "
        "--service mana --kind unit --release 2026.12.3`.",
    )


def test_the_home_tile_shows_the_newest_pass_rates_and_the_flaky_count(sqlite_engine: Engine) -> None:
    from services.overview import _testing_tile

    for name in ("unit-2026.11.5.xml", "unit-2026.12.1-a.xml", "unit-2026.12.1-b.xml"):
        imported(sqlite_engine, name, release="2026.12.1", commit="9c3d2a1")
    failing = imported(sqlite_engine, "integration-2026.12.2.xml", kind="integration", release="2026.12.2")
    with session_scope(sqlite_engine) as s:
        summary = service.summary(s, actor=DEV, service="mana")
    assert summary.flaky == 1
    assert [(k, o, r) for k, _, o, r in summary.latest] == [("unit", "passed", 1.0), ("integration", "failed", 2 / 3)]
    tile = _testing_tile(summary)
    assert tile is not None
    assert (tile.label, tile.value, tile.detail, tile.state) == (
        "pass rate of the newest unit · integration run",
        "100% · 67%",
        f"1 flaky test(s) in the last 50 runs · integration #{failing} failed",
        "alert",
    )
