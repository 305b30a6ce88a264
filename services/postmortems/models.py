"""The postmortem table: one per incident."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, ForeignKey, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from services.db import Base, UTCDateTime, utcnow

POSTMORTEM_STATUSES = ("draft", "in_review", "published")


class Postmortem(Base):
    """A blameless review of one incident."""

    __tablename__ = "postmortem"

    id: Mapped[int] = mapped_column(primary_key=True)
    incident_id: Mapped[int] = mapped_column(ForeignKey("incident.id", ondelete="CASCADE"), unique=True)
    status: Mapped[str] = mapped_column(String(20), default="draft")
    summary: Mapped[str] = mapped_column(Text, default="")
    impact: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    timeline: Mapped[list[dict[str, str]]] = mapped_column(JSON, default=list)
    root_cause: Mapped[str] = mapped_column(Text, default="")
    five_whys: Mapped[list[str]] = mapped_column(JSON, default=list)
    contributing_factors: Mapped[str] = mapped_column(Text, default="")
    went_well: Mapped[str] = mapped_column(Text, default="")
    action_items: Mapped[list[dict[str, Any]]] = mapped_column(JSON, default=list)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow, onupdate=utcnow)
    updated_by: Mapped[str | None] = mapped_column(String(200))
    published_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    version: Mapped[int] = mapped_column(Integer, default=1)

    __mapper_args__ = {"version_id_col": version}  # noqa: RUF012 - SQLAlchemy's own mapping

    def as_dict(self) -> dict[str, Any]:
        """Every field, for audit and export."""
        return {
            c: getattr(self, c)
            for c in (
                "id",
                "incident_id",
                "status",
                "summary",
                "impact",
                "timeline",
                "root_cause",
                "five_whys",
                "contributing_factors",
                "went_well",
                "action_items",
                "published_at",
                "version",
            )
        }
