"""Saved-query queries."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from services.saved_queries.models import SavedQuery


def list_for_owner(session: Session, owner: str) -> list[SavedQuery]:
    """One user's saved queries, by name."""
    return list(session.scalars(select(SavedQuery).where(SavedQuery.owner == owner).order_by(SavedQuery.name)))


def get_for_owner(session: Session, owner: str, query_id: int) -> SavedQuery | None:
    """One user's saved query by id (someone else's is not found)."""
    query = session.get(SavedQuery, query_id)
    return query if query is not None and query.owner == owner else None


def get_by_name(session: Session, owner: str, name: str) -> SavedQuery | None:
    """One user's saved query by name."""
    return session.scalars(select(SavedQuery).where(SavedQuery.owner == owner, SavedQuery.name == name)).first()


def add(session: Session, query: SavedQuery) -> SavedQuery:
    """Add a saved query and flush it for its id."""
    session.add(query)
    session.flush()
    return query


def delete(session: Session, query: SavedQuery) -> None:
    """Remove a saved query."""
    session.delete(query)
    session.flush()
