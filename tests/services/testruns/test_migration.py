"""Migration 0014: the results a database held in its test_result table move to one Parquet file per run, in their
import order, on SQLite and PostgreSQL; the way back puts them in the table again."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from datetime import UTC, datetime

import pytest
from alembic import command
from sqlalchemy import MetaData, create_engine, inspect, text

from services.auth import Actor
from services.db import make_engine, session_scope
from services.migrate import alembic_config, upgrade
from services.testruns import service, storage
from tests.conftest import IN_CI, PG_ADMIN_URL, _pg_reachable

DEV = Actor("dana", "developer")
AT = datetime(2026, 12, 1, 9, 30, tzinfo=UTC)


@pytest.fixture(params=["sqlite", "postgresql"])
def empty_url(request: pytest.FixtureRequest) -> Iterator[str]:
    """A database with no tables yet."""
    if request.param == "sqlite":
        yield f"sqlite:///{request.getfixturevalue('isolated_settings') / 'old.db'}"
        return
    problem = _pg_reachable()
    if problem:
        if IN_CI:
            pytest.fail(f"PostgreSQL is required in CI and is not reachable at {PG_ADMIN_URL}: {problem}")
        pytest.skip(f"PostgreSQL not reachable: {problem}")
    name = f"sre_test_{uuid.uuid4().hex[:10]}"
    admin = create_engine(PG_ADMIN_URL, isolation_level="AUTOCOMMIT")
    with admin.connect() as c:
        c.execute(text(f'CREATE DATABASE "{name}"'))
    yield PG_ADMIN_URL.rsplit("/", 1)[0] + f"/{name}"
    with admin.connect() as c:
        c.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    admin.dispose()


def _run(run_id: int, tests: int, passed: int, failed: int) -> dict[str, object]:
    return {"id": run_id, "service": "mana", "kind": "unit", "files": [], "outcome": "failed" if failed else "passed",
            "tests": tests, "passed": passed, "failed": failed, "errors": 0, "skipped": 0, "imported_at": AT,
            "imported_by": "dana"}  # fmt: skip


def _result(run_id: int, name: str, outcome: str, message: str = "", stack: str = "") -> dict[str, object]:
    return {"run_id": run_id, "test_key": f"tests.test_shop::{name}", "suite": "shop", "classname": "tests.test_shop",
            "name": name, "outcome": outcome, "duration_s": 0.25, "message": message, "stack": stack}  # fmt: skip


def test_the_rows_move_to_one_file_per_run_and_back(empty_url: str) -> None:
    upgrade(empty_url, "0013")
    engine = make_engine(empty_url)
    try:
        tables = MetaData()
        tables.reflect(engine, only=["test_run", "test_result"])
        with engine.begin() as c:
            c.execute(tables.tables["test_run"].insert(), [_run(1, 3, 2, 1), _run(2, 1, 1, 0)])
            c.execute(
                tables.tables["test_result"].insert(),
                [
                    _result(1, "test_b", "passed"),
                    _result(1, "test_a", "failed", "assert 1 == 2", "def test_a():\n>       assert 1 == 2"),
                    _result(1, "test_c", "passed"),
                    _result(2, "test_a", "passed"),
                ],
            )
        upgrade(empty_url, "0014")
        assert "test_result" not in inspect(engine).get_table_names()
        with session_scope(engine) as s:
            names = [service.get_run(s, actor=DEV, run_id=i).results_file for i in (1, 2)]
            first = service.results(s, actor=DEV, run_id=1)
            failing = service.results(s, actor=DEV, run_id=1, failing_only=True)
            second = service.results(s, actor=DEV, run_id=2)
        assert sorted(p.name for p in storage.root().iterdir()) == sorted(str(n) for n in names)
        assert [n.split("-")[1] for n in names if n] == ["1", "2"]
        assert [(r.name, r.outcome) for r in first] == [
            ("test_b", "passed"),
            ("test_a", "failed"),
            ("test_c", "passed"),
        ]
        assert [(r.test_key, r.message, r.stack) for r in failing] == [
            ("tests.test_shop::test_a", "assert 1 == 2", "def test_a():\n>       assert 1 == 2")
        ]
        assert [(r.name, r.duration_s) for r in second] == [("test_a", 0.25)]
        upgrade(empty_url, "0014")  # already there: nothing moves twice
        with session_scope(engine) as s:
            assert service.get_run(s, actor=DEV, run_id=1).results_file == names[0]
        command.downgrade(alembic_config(empty_url), "0013")
        with engine.connect() as c:
            back = c.execute(text("SELECT run_id, name, outcome, message FROM test_result ORDER BY id")).all()
        assert [tuple(r) for r in back] == [
            (1, "test_b", "passed", ""),
            (1, "test_a", "failed", "assert 1 == 2"),
            (1, "test_c", "passed", ""),
            (2, "test_a", "passed", ""),
        ]
    finally:
        engine.dispose()


def test_a_database_without_runs_moves_nothing(empty_url: str) -> None:
    upgrade(empty_url, "0014")
    assert not storage.root().exists()
