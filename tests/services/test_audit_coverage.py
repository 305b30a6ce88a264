"""Every state change made through services/ writes exactly one audit record per changed entity, and reads write none.

The service surface is found, not listed by hand: every public function of every module under services/ whose first
parameter is `session` and which takes a keyword-only `actor: Actor` (repository functions take the actor's name as
text and check no permission: the services this test covers call them). `services.audit.record` is the write path
itself and is left out. Each function found must be in exactly one of three lists (tests/services/audit_cases.py,
with their setups in audit_fixtures.py):

- READS: must change no row and write no audit record; each is run against a database holding one of everything.
- MUTATIONS: a setup (committed first) and one call with valid arguments, with the exact audit records the call must
  write as (action, entity, entity_id), in order: one per changed entity. Rows are measured with session events
  (after_flush for ORM rows, do_orm_execute for bulk statements) and cross-checked against every INSERT, UPDATE and
  DELETE the database received: each changed row must belong to an entity a record names, and each record must name
  a changed row (the telemetry store's records: its files changed).
- BOOKKEEPING: changes that are nobody's decision, so no audit record; each names the tables it may touch and why.
  Defaults stored on first use are the code's, and every later edit of them is audited; a mirror of a board issue's
  state is the board's own history. A worker's delivery bookkeeping (outbox attempts, leases, rule evaluation state)
  is recorded in the outbox and alert rows themselves, not in the audit log: those functions take no actor, so they
  are not part of the surface found here.
"""

from __future__ import annotations

import getpass
import importlib
import inspect
import pkgutil
import re
import sqlite3
from collections.abc import Callable, Iterator
from contextlib import closing, contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import event, func, select
from sqlalchemy.engine import Engine
from sqlalchemy.orm import ORMExecuteState, Session

import services
from services.audit import AuditRecord
from services.auth import Actor
from services.cli import main
from services.config import get_settings
from services.db import get_engine, session_scope
from services.migrate import upgrade
from tests.services.audit_cases import BOOKKEEPING, MUTATIONS, READS
from tests.services.audit_fixtures import ADMIN, world

WRITE_PATH = "services.audit.service.record"  # the one write path every mutation calls; tests/services/test_audit.py

# which entity a changed row belongs to, as an audit record names it: (entity, how to get its id from the row)
OWNERS: dict[str, tuple[str, Callable[[Any], object]]] = {
    "incident": ("incident", lambda r: r.id),
    "incident_event": ("incident", lambda r: r.incident_id),
    "board_issue_link": ("incident", lambda r: r.incident_id),
    "postmortem": ("postmortem", lambda r: r.id),
    "runbook": ("runbook", lambda r: f"{r.key}@{r.version}"),
    "severity_definition": ("severity", lambda r: r.severity),
    "slo": ("slo", lambda r: r.id),
    "alert_rule": ("alert_rule", lambda r: r.id),
    "alert": ("alert_rule", lambda r: r.rule_id),
    "saved_query": ("saved_query", lambda r: r.id),
    "user_preference": ("user_preference", lambda r: r.user_name),
    "loadtest_run": ("loadtest_run", lambda r: r.id),
    "loadtest_threshold": ("loadtest_run", lambda r: r.run_id),
    "loadtest_check": ("loadtest_run", lambda r: r.run_id),
    "loadtest_endpoint": ("loadtest_run", lambda r: r.run_id),
    "feature": ("feature", lambda r: r.id),
    "feature_move": ("feature", lambda r: r.feature_id),
    "gate_sign_off": ("feature", lambda r: r.feature_id),
    "gate_template": ("gate_template", lambda r: r.version),
    "test_run": ("test_run", lambda r: r.id),
    "stub_set": ("stub_set", lambda r: r.id),
    "stub_set_version": ("stub_set", lambda r: r.set_id),
}
AUDIT_TABLE = AuditRecord.__tablename__
DML = re.compile(r'^\s*(?:INSERT\s+INTO|UPDATE|DELETE\s+FROM)\s+"?(\w+)', re.IGNORECASE)


def discover() -> dict[str, Callable[..., Any]]:
    """Every public function under services/ taking `session` first and a keyword-only `actor: Actor`."""
    found: dict[str, Callable[..., Any]] = {}
    for info in pkgutil.walk_packages(services.__path__, "services."):
        module = importlib.import_module(info.name)
        for name, fn in vars(module).items():
            if name.startswith("_") or not inspect.isfunction(fn) or fn.__module__ != module.__name__:
                continue
            params = inspect.signature(fn).parameters
            actor = params.get("actor")
            if (
                next(iter(params), None) == "session"
                and actor is not None
                and actor.kind is inspect.Parameter.KEYWORD_ONLY
                and actor.annotation in (Actor, "Actor")
            ):
                found[f"{module.__name__}.{name}"] = fn
    found.pop(WRITE_PATH)
    return found


SURFACE = discover()


@dataclass
class Changes:
    """What one call changed: rows by (operation, table, entity, entity id), and the tables the database wrote."""

    rows: set[tuple[str, str, str, str | None]] = field(default_factory=set)
    dml_tables: set[str] = field(default_factory=set)

    def _row(self, op: str, obj: Any) -> None:
        table = obj.__table__.name
        if table == AUDIT_TABLE:
            return
        assert table in OWNERS, f"a change to table {table}: say in OWNERS which audited entity its rows belong to"
        entity, key = OWNERS[table]
        self.rows.add((op, table, entity, str(key(obj))))

    def after_flush(self, session: Session, _ctx: object) -> None:
        for obj in session.new:
            self._row("insert", obj)
        for obj in session.dirty:
            if session.is_modified(obj, include_collections=False):
                self._row("update", obj)
        for obj in session.deleted:
            self._row("delete", obj)

    def orm_execute(self, state: ORMExecuteState) -> None:
        if state.is_insert or state.is_update or state.is_delete:
            table = state.statement.table.name  # type: ignore[attr-defined]
            if table != AUDIT_TABLE:
                self.rows.add(("bulk", table, OWNERS[table][0], None))

    def cursor(self, _conn: object, _cursor: object, statement: str, *_args: object) -> None:
        m = DML.match(statement)
        if m and m.group(1) != AUDIT_TABLE:
            self.dml_tables.add(m.group(1))

    @property
    def tables(self) -> set[str]:
        """The tables the session events saw changing."""
        return {table for _, table, _, _ in self.rows}


@contextmanager
def _watching(engine: Engine, changes: Changes) -> Iterator[None]:
    event.listen(engine, "before_cursor_execute", changes.cursor)
    try:
        yield
    finally:
        event.remove(engine, "before_cursor_execute", changes.cursor)


def _observe(engine: Engine, call: Callable[[Session], object]) -> tuple[list[AuditRecord], Changes]:
    """Run one call in its own committed transaction: the audit records it wrote and the rows it changed."""
    with session_scope(engine) as s:
        head = s.scalar(select(func.max(AuditRecord.id))) or 0
    changes = Changes()
    with _watching(engine, changes), session_scope(engine) as s:
        event.listen(s, "after_flush", changes.after_flush)
        event.listen(s, "do_orm_execute", changes.orm_execute)
        call(s)
    with session_scope(engine) as s:
        return list(s.scalars(select(AuditRecord).where(AuditRecord.id > head).order_by(AuditRecord.id))), changes


def _store_files() -> list[str]:
    root = get_settings().telemetry.dir
    return sorted(str(p.relative_to(root)) for p in root.rglob("*.parquet")) if root.exists() else []


@pytest.fixture(scope="module")
def migrated(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """One SQLite database migrated to head, copied for every case: migrating once keeps some 70 cases fast."""
    path = tmp_path_factory.mktemp("audit-coverage") / "migrated.db"
    upgrade(f"sqlite:///{path}")
    return path


@pytest.fixture
def fresh_db(migrated: Path, isolated_settings: Path) -> Engine:
    """The test's own SQLite database (SRE_DATABASE_URL), a copy of the migrated one."""
    with closing(sqlite3.connect(migrated)) as src, closing(sqlite3.connect(isolated_settings / "state.db")) as dst:
        src.backup(dst)
    return get_engine()


def test_every_service_function_is_classified_once() -> None:
    listed = [*READS, *MUTATIONS, *BOOKKEEPING]
    assert sorted(set(SURFACE) - set(listed)) == [], (
        "new service functions: add each to READS, MUTATIONS or BOOKKEEPING"
    )
    assert sorted(set(listed) - set(SURFACE)) == [], "listed functions that no longer exist (or lost their actor)"
    assert len(listed) == len(set(listed)), "a function is in more than one list"
    assert all(case.records for case in MUTATIONS.values())


def test_discovery_finds_the_service_surface_and_not_the_repositories() -> None:
    assert "services.incidents.service.acknowledge" in SURFACE
    assert "services.incident_response.classify" in SURFACE
    assert "services.telemetry.clef_import.import_files" in SURFACE  # actor after other parameters, still keyword-only
    assert "services.incidents.repository.add_event" not in SURFACE  # actor: str, no permission check
    assert WRITE_PATH not in SURFACE
    assert len(SURFACE) > 60


@pytest.mark.parametrize("name", sorted(MUTATIONS))
def test_a_mutation_writes_one_audit_record_per_changed_entity(name: str, fresh_db: Engine) -> None:
    case = MUTATIONS[name]
    with session_scope(fresh_db) as s:
        case.setup(s)
    store_before = _store_files()
    records, changes = _observe(fresh_db, lambda s: case.call(s, SURFACE[name]))

    assert [(r.action, r.entity, r.entity_id) for r in records] == list(case.records)
    assert {(r.actor, r.role) for r in records} == {(ADMIN.name, ADMIN.role)}
    named = {(r.entity, r.entity_id) for r in records}
    for op, table, entity, entity_id in sorted(changes.rows, key=str):
        covered = (entity, entity_id) in named if entity_id is not None else entity in {e for e, _ in named}
        assert covered, f"{op} of a {table} row of {entity} {entity_id}: no audit record names it"
    for entity, entity_id in named:
        if entity == "telemetry_store":
            assert _store_files() != store_before, "a telemetry store record, but no file of the store changed"
        else:
            assert any((e, i) == (entity, entity_id) for _, _, e, i in changes.rows), f"{entity} {entity_id} unchanged"
    assert changes.dml_tables == changes.tables, "the database was written outside the session's own changes"


@pytest.mark.parametrize("name", sorted(READS))
def test_a_read_changes_nothing_and_writes_no_record(name: str, fresh_db: Engine) -> None:
    with session_scope(fresh_db) as s:
        world(s)
    records, changes = _observe(fresh_db, lambda s: READS[name](s, SURFACE[name]))
    assert [r.action for r in records] == []
    assert changes.rows == set() and changes.dml_tables == set()


@pytest.mark.parametrize("name", sorted(BOOKKEEPING))
def test_bookkeeping_touches_only_its_own_tables_and_writes_no_record(name: str, fresh_db: Engine) -> None:
    case = BOOKKEEPING[name]
    with session_scope(fresh_db) as s:
        case.setup(s)
    records, changes = _observe(fresh_db, lambda s: case.call(s, SURFACE[name]))
    assert [r.action for r in records] == []
    assert changes.tables, f"{name} changed nothing: it is a read, move it to READS"
    assert changes.dml_tables == changes.tables <= set(case.tables), case.reason


def test_a_mutating_command_records_the_operating_system_user(sqlite_engine: Engine) -> None:
    assert (
        main(
            [
                "--actor",
                "operator",
                "incident",
                "create",
                "--title",
                "DOPA timeouts",
                "--service",
                "mana",
                "--severity",
                "Sev2",
            ]
        )
        == 0
    )
    assert main(["--actor", "operator", "incident", "move", "1", "--to", "acknowledged"]) == 0
    with session_scope(sqlite_engine) as s:
        recs = list(s.scalars(select(AuditRecord).order_by(AuditRecord.id)))
    assert [(r.action, r.entity_id, r.actor, r.role, r.os_user) for r in recs] == [
        ("incident.create", "1", "operator", "operator", getpass.getuser()),
        ("incident.acknowledged", "1", "operator", "operator", getpass.getuser()),
    ]
