"""Shared fixtures: isolated settings per test, migrated SQLite and PostgreSQL databases, fixture telemetry."""

from __future__ import annotations

import importlib.util
import os
import sqlite3
import uuid
from collections.abc import Iterator
from contextlib import closing
from datetime import UTC, datetime
from pathlib import Path

import pytest
import time_machine
from sqlalchemy import create_engine, text
from sqlalchemy.engine import Engine

from services.config import get_settings
from services.db import get_engine, make_engine
from services.features.models import GateTemplate
from services.migrate import upgrade

pytest_plugins = ["tests.azure_fake"]


def _first_template() -> dict[str, object]:
    """Gate template version 1 as migration 0010 stores it."""
    spec = importlib.util.spec_from_file_location(
        "m0010", ROOT / "migrations" / "versions" / "20261202_0010_features.py"
    )
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return {"version": 1, "items": module.FIRST_TEMPLATE, "note": "the team's process notes",
            "created_at": datetime(2026, 12, 2, tzinfo=UTC), "created_by": "migration"}  # fmt: skip


ROOT = Path(__file__).resolve().parents[1]
_FIRST_TEMPLATE = _first_template()

CLOCK = os.environ.get("SRE_TEST_CLOCK", "")  # run the suite as if on that day, e.g. 2027-09-15T03:00:00Z
PG_ADMIN_URL = os.environ.get("SRE_TEST_PG_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test")
IN_CI = os.environ.get("CI", "").lower() in ("1", "true", "yes")


def pytest_configure(config: pytest.Config) -> None:
    """With SRE_TEST_CLOCK set, the whole run starts on that instant and the clock ticks on from there.

    `make later` runs the suite on a leap day more than a year ahead: no test may depend on the day it runs.
    """
    if CLOCK:
        traveller = time_machine.travel(datetime.fromisoformat(CLOCK), tick=True)
        traveller.start()
        config.add_cleanup(traveller.stop)


@pytest.fixture(autouse=True)
def isolated_settings(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    """Every test gets its own SQLite file and telemetry folder; nothing leaks from the developer's .env."""
    for key in list(os.environ):
        if key.startswith("SRE_") and key != "SRE_TEST_PG_URL":
            monkeypatch.delenv(key)
    monkeypatch.setenv("SRE_DATABASE_URL", f"sqlite:///{tmp_path / 'state.db'}")
    monkeypatch.setenv("SRE_TELEMETRY_DIR", str(tmp_path / "telemetry"))
    monkeypatch.chdir(tmp_path)
    get_settings.cache_clear()
    get_engine.cache_clear()
    yield tmp_path
    get_settings.cache_clear()
    get_engine.cache_clear()


@pytest.fixture(scope="session")
def migrated_sqlite(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """One SQLite database migrated to head for the whole run; each test gets a copy (migrating takes ~0.5 s)."""
    path = tmp_path_factory.mktemp("migrated") / "head.db"
    upgrade(f"sqlite:///{path}")
    return path


@pytest.fixture
def sqlite_engine(isolated_settings: Path, migrated_sqlite: Path) -> Engine:
    """The test's SQLite database, migrated to head (a copy of the run's migrated database)."""
    url = get_settings().database.url
    target = Path(url.removeprefix("sqlite:///"))
    with closing(sqlite3.connect(migrated_sqlite)) as src, closing(sqlite3.connect(target)) as dst:
        src.backup(dst)  # the backup API copies a consistent database whatever the journal mode
    return get_engine()


def _pg_reachable() -> str | None:
    try:
        eng = create_engine(PG_ADMIN_URL, isolation_level="AUTOCOMMIT")
        with eng.connect() as c:
            c.execute(text("select 1"))
        eng.dispose()
        return None
    except Exception as exc:
        return str(exc).splitlines()[0]


@pytest.fixture(scope="session")
def pg_url() -> Iterator[str]:
    """A fresh PostgreSQL database for this test session, migrated to head; dropped afterwards."""
    problem = _pg_reachable()
    if problem:
        if IN_CI:
            pytest.fail(f"PostgreSQL is required in CI and is not reachable at {PG_ADMIN_URL}: {problem}")
        pytest.skip(f"PostgreSQL not reachable: {problem}")
    name = f"sre_test_{uuid.uuid4().hex[:10]}"
    admin = create_engine(PG_ADMIN_URL, isolation_level="AUTOCOMMIT")
    with admin.connect() as c:
        c.execute(text(f'CREATE DATABASE "{name}"'))
    url = PG_ADMIN_URL.rsplit("/", 1)[0] + f"/{name}"
    upgrade(url)
    yield url
    with admin.connect() as c:
        c.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    admin.dispose()


@pytest.fixture
def pg_engine(pg_url: str) -> Iterator[Engine]:
    """An engine on the session's PostgreSQL database, emptied after each test."""
    eng = make_engine(pg_url)
    yield eng
    from services.models import Base

    tables = ", ".join(f'"{t.name}"' for t in Base.metadata.sorted_tables)
    with eng.begin() as c:
        c.execute(text(f"TRUNCATE {tables} RESTART IDENTITY CASCADE"))
        # what the migrations store besides the schema goes back as they left it
        c.execute(GateTemplate.__table__.insert(), [_FIRST_TEMPLATE])
    eng.dispose()


@pytest.fixture(params=["sqlite", "postgresql"])
def engine(request: pytest.FixtureRequest) -> Engine:
    """Both databases the app supports."""
    if request.param == "sqlite":
        return request.getfixturevalue("sqlite_engine")  # type: ignore[no-any-return]
    return request.getfixturevalue("pg_engine")  # type: ignore[no-any-return]
