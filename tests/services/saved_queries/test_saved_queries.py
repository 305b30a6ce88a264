"""Saved queries on SQLite and PostgreSQL: per user, audited, nobody else's to see or change."""

from __future__ import annotations

import pytest
from sqlalchemy.engine import Engine

from services import audit
from services.auth import Actor
from services.db import session_scope
from services.errors import Conflict, InvalidInput, NotFound
from services.saved_queries import service

ANONG = Actor("anong", "viewer")
SOMCHAI = Actor("somchai", "developer")
ADMIN = Actor("admin", "admin")
Q = "AppRequests | summarize count() by Name"


def _actions(engine: Engine) -> list[tuple[str, str, str | None]]:
    with session_scope(engine) as s:
        return [(r.action, r.actor, r.entity_id) for r in reversed(audit.list_records(s, actor=ADMIN))]


def test_a_viewer_saves_renames_and_deletes_their_own_query(engine: Engine) -> None:
    with session_scope(engine) as s:
        q, created = service.save_query(s, actor=ANONG, name="  slow shops ", text=Q)
        qid = q.id
    assert created
    with session_scope(engine) as s:
        mine = service.list_saved_queries(s, actor=ANONG)
        assert [(x.name, x.text, x.owner) for x in mine] == [("slow shops", Q, "anong")]
        service.rename_query(s, actor=ANONG, query_id=qid, name="shops p95")
    with session_scope(engine) as s:
        assert [x.name for x in service.list_saved_queries(s, actor=ANONG)] == ["shops p95"]
        service.delete_query(s, actor=ANONG, query_id=qid)
    with session_scope(engine) as s:
        assert service.list_saved_queries(s, actor=ANONG) == []
    assert _actions(engine) == [
        ("saved_query.create", "anong", str(qid)),
        ("saved_query.rename", "anong", str(qid)),
        ("saved_query.delete", "anong", str(qid)),
    ]
    with session_scope(engine) as s:
        rename = audit.list_records(s, actor=ADMIN, entity="saved_query")[1]
        assert (rename.before["name"], rename.after["name"]) == ("slow shops", "shops p95")


def test_another_user_cannot_see_rename_or_delete_mine(engine: Engine) -> None:
    with session_scope(engine) as s:
        qid = service.save_query(s, actor=ANONG, name="mine", text=Q)[0].id
        service.save_query(s, actor=SOMCHAI, name="mine", text="AppTraces | take 5")  # same name, other owner
    with session_scope(engine) as s:
        assert [(x.owner, x.text) for x in service.list_saved_queries(s, actor=SOMCHAI)] == [
            ("somchai", "AppTraces | take 5")
        ]
        with pytest.raises(NotFound):
            service.get_saved_query(s, actor=SOMCHAI, query_id=qid)
        with pytest.raises(NotFound):
            service.rename_query(s, actor=SOMCHAI, query_id=qid, name="stolen")
        with pytest.raises(NotFound):
            service.delete_query(s, actor=SOMCHAI, query_id=qid)
    with session_scope(engine) as s:
        assert [(x.name, x.text) for x in service.list_saved_queries(s, actor=ANONG)] == [("mine", Q)]
    assert [a for a, _, _ in _actions(engine)] == ["saved_query.create", "saved_query.create"]


def test_a_name_is_unique_per_user_unless_overwritten(engine: Engine) -> None:
    with session_scope(engine) as s:
        service.save_query(s, actor=ANONG, name="a", text=Q)
        b = service.save_query(s, actor=ANONG, name="b", text=Q)[0]
    with session_scope(engine) as s, pytest.raises(Conflict, match="already have a saved query named 'a'"):
        service.save_query(s, actor=ANONG, name="a", text="AppTraces")
    with session_scope(engine) as s, pytest.raises(Conflict):
        service.rename_query(s, actor=ANONG, query_id=b.id, name="a")
    with session_scope(engine) as s:
        _, created = service.save_query(s, actor=ANONG, name="a", text="AppTraces | take 1", overwrite=True)
        assert not created
    with session_scope(engine) as s:
        assert {x.name: x.text for x in service.list_saved_queries(s, actor=ANONG)} == {
            "a": "AppTraces | take 1",
            "b": Q,
        }
    assert [a for a, _, _ in _actions(engine)] == ["saved_query.create", "saved_query.create", "saved_query.update"]


@pytest.mark.parametrize(
    ("name", "text", "message"),
    [("", Q, "name: must not be empty"), ("x", "   ", "text: the query is empty"), ("n" * 201, Q, "at most 200")],
)
def test_invalid_input_stores_nothing(engine: Engine, name: str, text: str, message: str) -> None:
    with session_scope(engine) as s, pytest.raises(InvalidInput, match=message):
        service.save_query(s, actor=ANONG, name=name, text=text)
    with session_scope(engine) as s:
        assert service.list_saved_queries(s, actor=ANONG) == []
    assert _actions(engine) == []
