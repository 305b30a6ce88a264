"""What every domain's repository shares: one way to load-or-refuse and one way to flush a versioned row."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar

from sqlalchemy import inspect
from sqlalchemy.orm import Session
from sqlalchemy.orm.exc import StaleDataError

from services.errors import Conflict, NotFound

T = TypeVar("T")


def get_or_raise(session: Session, model: type[T], key: Any, *, missing: str) -> T:
    """The row of `model` with primary key `key`, or NotFound carrying the `missing` message."""
    row = session.get(model, key)
    if row is None:
        raise NotFound(missing)
    return row


def found_or_raise(row: T | None, *, missing: str) -> T:
    """`row` itself, or NotFound carrying the `missing` message (for rows found by a query, not by id)."""
    if row is None:
        raise NotFound(missing)
    return row


def check_version(current: int, expected: int | None, *, stale: str) -> None:
    """Refuse with Conflict(`stale`) when the caller saw another version than the stored one."""
    if expected is not None and current != expected:
        raise Conflict(stale)


def flush_versioned(session: Session, row: object, *, stale: Callable[[str], str]) -> None:
    """Flush with SQLAlchemy's version check; a row another writer changed meanwhile is a Conflict.

    `stale(who)` words the refusal, `who` being the last writer as now committed. The caller's session is left
    as it is: its unit of work rolls back when the Conflict leaves it.
    """
    try:
        session.flush()
    except StaleDataError:
        raise Conflict(stale(_last_writer(session, row))) from None


def _last_writer(session: Session, row: object) -> str:
    """Who changed `row` last, read on a fresh session of the same database (the caller's needs a rollback)."""
    state = inspect(row)
    with Session(bind=session.get_bind()) as fresh:
        current = fresh.get(type(row), state.identity)
        return str(getattr(current, "updated_by", None) or "someone else")
