"""The audit chain on SQLite and PostgreSQL: records chained to the one before, tampering named, export for leads."""

from __future__ import annotations

import hashlib
import json
import threading
from datetime import UTC, datetime, timedelta

import pytest
import time_machine
from sqlalchemy import text
from sqlalchemy.engine import Engine

from services import audit
from services.audit.export import export_records, to_csv, to_json
from services.auth import Actor
from services.db import session_scope
from services.errors import PermissionDenied

ADMIN = Actor("ada", "admin", os_user="ada-shell")
LEAD = Actor("lee", "lead")
OPERATOR = Actor("otto", "operator")
VIEWER = Actor("vic", "viewer")


def _write(engine: Engine, n: int, actor: Actor = ADMIN) -> None:
    for i in range(n):
        with session_scope(engine) as s:
            audit.record(
                s,
                actor=actor,
                action="slo.update",
                entity="slo",
                entity_id=i,
                before={"objective": 99.0, "name": f"slo {i}"},
                after={"objective": 99.5, "name": f"slo {i}"},
            )


def _verify(engine: Engine) -> audit.ChainState:
    with session_scope(engine) as s:
        return audit.verify_chain(s, actor=VIEWER)


def test_each_record_chains_the_previous_hash_and_its_canonical_json(engine: Engine) -> None:
    _write(engine, 3)
    with session_scope(engine) as s:
        first, second, third = reversed(audit.list_records(s, actor=VIEWER))
    assert first.prev_hash == "0" * 64 and second.prev_hash == first.hash and third.prev_hash == second.hash
    # recomputed by hand from the stored fields, the way an auditor would
    canonical = json.dumps(
        {
            "id": second.id,
            "at": second.at.astimezone(UTC).isoformat(timespec="microseconds"),
            "actor": "ada",
            "role": "admin",
            "os_user": "ada-shell",
            "action": "slo.update",
            "entity": "slo",
            "entity_id": "1",
            "before": {"objective": 99.0, "name": "slo 1"},
            "after": {"objective": 99.5, "name": "slo 1"},
        },
        sort_keys=True,
        separators=(",", ":"),
    )
    assert second.hash == hashlib.sha256((first.hash + canonical).encode()).hexdigest()
    state = _verify(engine)
    assert state.ok and state.checked == 3 and state.head_id == third.id and state.head_hash == third.hash
    assert state.summary().startswith(f"Audit chain verified up to record {third.id} ")


def test_a_row_edited_with_sql_is_named(engine: Engine) -> None:
    _write(engine, 4)
    with engine.begin() as c:
        c.execute(text("UPDATE audit_record SET actor = 'mallory' WHERE id = 2"))
    state = _verify(engine)
    assert not state.ok and state.broken_at == 2 and state.verified_to == 1
    assert "record 2 does not match its hash: it was edited" in state.summary()


def test_a_deleted_row_is_named(engine: Engine) -> None:
    _write(engine, 4)
    with engine.begin() as c:
        c.execute(text("DELETE FROM audit_record WHERE id = 3"))
    state = _verify(engine)
    assert state.broken_at == 3 and "record 3 deleted: record 4 no longer follows record 2" in state.reason


def test_a_deleted_first_row_is_named(engine: Engine) -> None:
    _write(engine, 2)
    with engine.begin() as c:
        c.execute(text("DELETE FROM audit_record WHERE id = 1"))
    assert "record 2 does not start the chain" in _verify(engine).reason


@pytest.mark.parametrize("prev", ["copied", "made up"])
def test_a_forged_row_inserted_with_sql_is_named(engine: Engine, prev: str) -> None:
    _write(engine, 2)
    head = _verify(engine).head_hash
    with engine.begin() as c:
        c.execute(
            text(
                "INSERT INTO audit_record (id, at, actor, role, action, entity, entity_id, prev_hash, hash)"
                " VALUES (3, :at, 'mallory', 'admin', 'slo.delete', 'slo', '1', :prev, :hash)"
            ),
            {"at": datetime.now(UTC), "prev": head if prev == "copied" else "f" * 64, "hash": "e" * 64},
        )
    state = _verify(engine)
    assert state.broken_at == 3 and state.head_id == 3
    why = "does not match its hash" if prev == "copied" else "does not follow record 2: it was inserted out of chain"
    assert why in state.reason


def test_records_keep_chaining_after_a_rolled_back_write(engine: Engine) -> None:
    _write(engine, 1)
    with pytest.raises(RuntimeError), session_scope(engine) as s:
        audit.record(s, actor=ADMIN, action="slo.delete", entity="slo", entity_id=1)
        raise RuntimeError("the change failed after its record was written")
    _write(engine, 1)
    assert _verify(engine).ok and _verify(engine).checked == 2


@pytest.mark.postgres
def test_two_concurrent_writers_on_postgresql_make_one_chain(pg_engine: Engine) -> None:
    barrier = threading.Barrier(2)
    errors: list[BaseException] = []

    def writer(name: str) -> None:
        try:
            barrier.wait()
            for i in range(40):
                with session_scope(pg_engine) as s:  # each write its own session and transaction
                    audit.record(
                        s, actor=Actor(name, "operator"), action="incident.note", entity="incident", entity_id=i
                    )
        except BaseException as exc:
            errors.append(exc)

    threads = [threading.Thread(target=writer, args=(n,)) for n in ("one", "two")]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    state = _verify(pg_engine)
    assert state.ok and state.checked == 80
    with session_scope(pg_engine) as s:
        prevs = [r.prev_hash for r in audit.list_records(s, actor=VIEWER, limit=100)]
    assert len(set(prevs)) == 80  # no two records chained to the same predecessor: the chain never forked


def test_export_is_for_leads_and_admins(sqlite_engine: Engine) -> None:
    _write(sqlite_engine, 1)
    with session_scope(sqlite_engine) as s, pytest.raises(PermissionDenied, match="needs the lead role"):
        export_records(s, actor=OPERATOR)
    with session_scope(sqlite_engine) as s:
        assert len(export_records(s, actor=LEAD).records) == 1
        assert len(audit.list_records(s, actor=VIEWER)) == 1  # everyone reads


def test_export_of_a_period_carries_the_chain_head(sqlite_engine: Engine) -> None:
    start = datetime(2026, 11, 2, 9, 0, tzinfo=UTC)
    for day in range(3):
        with time_machine.travel(start + timedelta(days=day), tick=False):
            _write(sqlite_engine, 1)
    with session_scope(sqlite_engine) as s:
        export = export_records(s, actor=LEAD, start=start + timedelta(days=1), end=start + timedelta(days=2))
    assert [r["id"] for r in export.records] == [2]
    doc = json.loads(to_json(export))
    assert doc["chain"]["ok"] and doc["chain"]["head_id"] == 3 and doc["from"] == "2026-11-03T09:00:00+00:00"
    assert doc["records"][0]["after"] == {"objective": 99.5, "name": "slo 0"}
    assert doc["records"][0]["hash"] == export.records[0]["hash"]
    lines = to_csv(export).splitlines()
    assert lines[0] == "id,at,actor,role,os_user,action,entity,entity_id,before,after,prev_hash,hash"
    assert lines[1].startswith("2,2026-11-03T09:00:00.000000+00:00,ada,admin,ada-shell,slo.update,slo,0,")
    assert lines[-1].startswith("3,") and ",chain.head,audit_chain," in lines[-1]
    assert lines[-1].endswith(doc["chain"]["head_hash"])


def test_changes_read_as_field_old_to_new() -> None:
    assert audit.changes(
        {"status": "new", "owner": None, "version": 1}, {"status": "acknowledged", "owner": "ann", "version": 1}
    ) == [
        "status: new → acknowledged",
        "owner: — → ann",
    ]
    assert audit.changes(None, {"note": "restarted the pod"}) == ["note: restarted the pod"]
    assert audit.changes({"name": "mana latency"}, None) == ["name: mana latency → —"]
    assert audit.changes({"steps": ["a"]}, {"steps": ["a", "b"]}) == ['steps: ["a"] → ["a", "b"]']
