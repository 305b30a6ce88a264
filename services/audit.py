"""Append-only audit records: who changed what, when, with the state before and after."""

from __future__ import annotations

import json
from datetime import datetime
from typing import Any

from sqlalchemy import JSON, String, select
from sqlalchemy.orm import Mapped, Session, mapped_column

from services.auth import Actor, require
from services.db import Base, UTCDateTime, utcnow


class AuditRecord(Base):
    """One change made through the service layer. Never updated, never deleted."""

    __tablename__ = "audit_record"

    id: Mapped[int] = mapped_column(primary_key=True)
    at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow, index=True)
    actor: Mapped[str] = mapped_column(String(200))
    role: Mapped[str] = mapped_column(String(20))
    action: Mapped[str] = mapped_column(String(100), index=True)
    entity: Mapped[str] = mapped_column(String(100))
    entity_id: Mapped[str | None] = mapped_column(String(100))
    before: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    after: Mapped[dict[str, Any] | None] = mapped_column(JSON)


def _plain(value: dict[str, Any] | None) -> dict[str, Any] | None:
    # round-trip through JSON so datetimes and decimals are stored as text, the same on every database
    return None if value is None else json.loads(json.dumps(value, default=str))


def record(
    session: Session,
    *,
    actor: Actor,
    action: str,
    entity: str,
    entity_id: str | int | None,
    before: dict[str, Any] | None = None,
    after: dict[str, Any] | None = None,
) -> AuditRecord:
    """Append one audit record to the caller's transaction."""
    rec = AuditRecord(
        actor=actor.name,
        role=actor.role,
        action=action,
        entity=entity,
        entity_id=None if entity_id is None else str(entity_id),
        before=_plain(before),
        after=_plain(after),
        at=utcnow(),
    )
    session.add(rec)
    session.flush()
    return rec


def list_records(session: Session, *, actor: Actor, entity: str | None = None, limit: int = 500) -> list[AuditRecord]:
    """The newest audit records first, optionally for one kind of entity."""
    require(actor, "audit.read")
    stmt = select(AuditRecord).order_by(AuditRecord.id.desc()).limit(limit)
    if entity:
        stmt = stmt.where(AuditRecord.entity == entity)
    return list(session.scalars(stmt))
