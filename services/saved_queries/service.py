"""Saved-query rules: a user saves, renames and deletes only their own queries; every change is audited."""

from __future__ import annotations

from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from services import audit
from services.auth import Actor, require
from services.errors import Conflict
from services.repository import found_or_raise
from services.saved_queries import repository as query_repo
from services.saved_queries.models import SavedQuery
from services.saved_queries.schemas import SavedQueryInput, parse_saved_query


def list_saved_queries(session: Session, *, actor: Actor) -> list[SavedQuery]:
    """The actor's own saved queries, by name."""
    require(actor, "query.read")
    return query_repo.list_for_owner(session, actor.name)


def get_saved_query(session: Session, *, actor: Actor, query_id: int) -> SavedQuery:
    """One of the actor's saved queries; someone else's is NotFound, as if it did not exist."""
    require(actor, "query.read")
    return found_or_raise(
        query_repo.get_for_owner(session, actor.name, query_id),
        missing=f"Saved query {query_id} does not exist among your queries; it may have been deleted.",
    )


def _conflict(name: str) -> Conflict:
    return Conflict(f"You already have a saved query named {name!r}; choose another name or overwrite it.")


def save_query(
    session: Session, *, actor: Actor, name: str, text: str, overwrite: bool = False
) -> tuple[SavedQuery, bool]:
    """Save a query under a name; with `overwrite` an existing one of that name gets the new text. (query, created)."""
    require(actor, "query.save")
    data: SavedQueryInput = parse_saved_query({"name": name, "text": text})
    existing = query_repo.get_by_name(session, actor.name, data.name)
    if existing is not None:
        if not overwrite:
            raise _conflict(data.name)
        before = existing.as_dict()
        existing.text = data.text
        session.flush()
        audit.record(
            session,
            actor=actor,
            action="saved_query.update",
            entity="saved_query",
            entity_id=existing.id,
            before=before,
            after=existing.as_dict(),
        )
        return existing, False
    query = SavedQuery(owner=actor.name, name=data.name, text=data.text)
    try:
        with session.begin_nested():
            query_repo.add(session, query)
    except IntegrityError:
        raise _conflict(data.name) from None
    audit.record(
        session,
        actor=actor,
        action="saved_query.create",
        entity="saved_query",
        entity_id=query.id,
        after=query.as_dict(),
    )
    return query, True


def rename_query(session: Session, *, actor: Actor, query_id: int, name: str) -> SavedQuery:
    """Give one of the actor's saved queries a new name."""
    require(actor, "query.save")
    query = get_saved_query(session, actor=actor, query_id=query_id)
    data = parse_saved_query({"name": name, "text": query.text})
    other = query_repo.get_by_name(session, actor.name, data.name)
    if other is not None and other.id != query.id:
        raise _conflict(data.name)
    before = query.as_dict()
    query.name = data.name
    session.flush()
    audit.record(
        session,
        actor=actor,
        action="saved_query.rename",
        entity="saved_query",
        entity_id=query.id,
        before=before,
        after=query.as_dict(),
    )
    return query


def delete_query(session: Session, *, actor: Actor, query_id: int) -> None:
    """Delete one of the actor's saved queries and audit what it was."""
    require(actor, "query.save")
    query = get_saved_query(session, actor=actor, query_id=query_id)
    before = query.as_dict()
    query_repo.delete(session, query)
    audit.record(
        session, actor=actor, action="saved_query.delete", entity="saved_query", entity_id=query_id, before=before
    )
