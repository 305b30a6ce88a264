"""The audit record: one change made through the service layer, chained to the one before it."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from sqlalchemy import JSON, String
from sqlalchemy.orm import Mapped, mapped_column

from services.db import Base, UTCDateTime, utcnow

GENESIS = "0" * 64  # the previous hash of the first record
HASHED = ("id", "at", "actor", "role", "os_user", "action", "entity", "entity_id", "before", "after")


class AuditRecord(Base):
    """One change made through the service layer. Never updated, never deleted."""

    __tablename__ = "audit_record"

    id: Mapped[int] = mapped_column(primary_key=True)
    at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow, index=True)
    actor: Mapped[str] = mapped_column(String(200))
    role: Mapped[str] = mapped_column(String(20))
    os_user: Mapped[str | None] = mapped_column(String(200))
    action: Mapped[str] = mapped_column(String(100), index=True)
    entity: Mapped[str] = mapped_column(String(100))
    entity_id: Mapped[str | None] = mapped_column(String(100))
    before: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    after: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    prev_hash: Mapped[str] = mapped_column(String(64))
    hash: Mapped[str] = mapped_column(String(64))

    def as_dict(self) -> dict[str, Any]:
        """The record as an auditor reads it, with its place in the chain."""
        return {**canonical_fields(self), "prev_hash": self.prev_hash, "hash": self.hash}


def canonical_fields(rec: AuditRecord) -> dict[str, Any]:
    """The hashed fields of a record as plain JSON values."""
    values = {f: getattr(rec, f) for f in HASHED}
    values["at"] = rec.at.astimezone(UTC).isoformat(timespec="microseconds")
    return values
