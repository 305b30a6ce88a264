"""Audit queries: the chain's head under its lock, the newest records, the chain in order, a period."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime

from sqlalchemy import Row, select, text
from sqlalchemy.orm import Session

from services.audit.models import GENESIS, AuditRecord

_PG_CLAIM = text("SELECT next_id, head_hash FROM audit_chain_claim()")  # the function: migration 0008
_SQLITE_LOCK = text("UPDATE audit_record SET id = id WHERE 0")
_SQLITE_HEAD = text("SELECT id, hash FROM audit_record ORDER BY id DESC LIMIT 1")


def claim_next(session: Session) -> tuple[int, str]:
    """Take the chain for this transaction and return the new record's id and the head's hash.

    PostgreSQL: `audit_chain_claim()` takes the transaction-level advisory lock, then reads the head committed before
    it and the next id of the column's sequence, in one round trip. SQLite: a write, even of no row, takes the
    database's write lock before the head is read.
    """
    conn = session.connection()
    if conn.dialect.name == "postgresql":
        row = conn.execute(_PG_CLAIM).one()
        return int(row.next_id), row.head_hash or GENESIS
    conn.execute(_SQLITE_LOCK)
    head = conn.execute(_SQLITE_HEAD).first()
    return (head[0] + 1, head[1]) if head else (1, GENESIS)


def head(session: Session) -> Row[int, str] | None:
    """The last record's id and hash."""
    return session.execute(select(AuditRecord.id, AuditRecord.hash).order_by(AuditRecord.id.desc()).limit(1)).first()


def newest(session: Session, *, entity: str | None, limit: int) -> list[AuditRecord]:
    """The newest records first, optionally of one kind of entity."""
    stmt = select(AuditRecord).order_by(AuditRecord.id.desc()).limit(limit)
    if entity:
        stmt = stmt.where(AuditRecord.entity == entity)
    return list(session.scalars(stmt))


def in_chain_order(session: Session) -> Iterator[AuditRecord]:
    """Every record from the first, streamed a thousand at a time."""
    yield from session.scalars(select(AuditRecord).order_by(AuditRecord.id).execution_options(yield_per=1000))


def period(session: Session, *, start: datetime | None, end: datetime | None) -> list[AuditRecord]:
    """Records with start <= at < end, oldest first."""
    stmt = select(AuditRecord).order_by(AuditRecord.id)
    if start is not None:
        stmt = stmt.where(AuditRecord.at >= start)
    if end is not None:
        stmt = stmt.where(AuditRecord.at < end)
    return list(session.scalars(stmt))
