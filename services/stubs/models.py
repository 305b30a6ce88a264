"""The stub-set tables: a named set of WireMock stubs for one dependency target, and its versions (each kept whole)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, CheckConstraint, ForeignKey, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from services.db import Base, UTCDateTime, utcnow

ORIGINS = ("telemetry", "upload", "edit")


class StubSet(Base):
    """WireMock stubs standing in for one dependency (such as DOPA) in integration tests."""

    __tablename__ = "stub_set"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(200), unique=True)
    target: Mapped[str] = mapped_column(String(500))  # the AppDependencies Target it stands in for
    latest_version: Mapped[int] = mapped_column(Integer, default=0)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    created_by: Mapped[str] = mapped_column(String(200))

    def as_dict(self) -> dict[str, Any]:
        """The fields an audit record keeps."""
        return {"name": self.name, "target": self.target, "latest_version": self.latest_version}


class StubSetVersion(Base):
    """One version of a set: its mappings whole, and what production showed when it was built."""

    __tablename__ = "stub_set_version"
    __table_args__ = (
        UniqueConstraint("set_id", "version", name="uq_stub_set_version_set_version"),
        CheckConstraint("origin IN ('telemetry', 'upload', 'edit')", name="origin_known"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    set_id: Mapped[int] = mapped_column(ForeignKey("stub_set.id", ondelete="CASCADE"), index=True)
    version: Mapped[int] = mapped_column(Integer)
    origin: Mapped[str] = mapped_column(String(20))
    mappings: Mapped[list[dict[str, Any]]] = mapped_column(JSON)
    observations: Mapped[list[dict[str, Any]]] = mapped_column(JSON, default=list)
    window_start: Mapped[datetime | None] = mapped_column(UTCDateTime())
    window_end: Mapped[datetime | None] = mapped_column(UTCDateTime())
    note: Mapped[str] = mapped_column(Text, default="")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    created_by: Mapped[str] = mapped_column(String(200))

    def as_dict(self) -> dict[str, Any]:
        """The fields an audit record keeps (the mappings by count: the version itself keeps them whole)."""
        return {
            "version": self.version,
            "origin": self.origin,
            "stubs": len(self.mappings),
            "window_start": self.window_start.isoformat() if self.window_start else None,
            "window_end": self.window_end.isoformat() if self.window_end else None,
            "note": self.note,
        }
