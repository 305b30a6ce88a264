"""The SLO table."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import CheckConstraint, Float, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from services.db import Base, UTCDateTime, utcnow

SLI_KINDS = ("availability", "latency", "ratio")
WINDOW_DAYS = (7, 28, 30)


class Slo(Base):
    """A service level objective: an SLI kind over a rolling window, with an objective in percent.

    availability and latency count the service's requests; ratio counts the rows of its own KQL queries: good (or
    bad) over total, so a dependency's success rate or a business event's is an SLI too.
    """

    __tablename__ = "slo"
    __table_args__ = (
        CheckConstraint("objective > 0 AND objective < 100", name="objective_range"),
        CheckConstraint("kind IN ('availability', 'latency', 'ratio')", name="kind_known"),
        CheckConstraint("window_days IN (7, 28, 30)", name="window_known"),
        CheckConstraint(
            "kind <> 'ratio' OR (total_query IS NOT NULL AND (good_query IS NULL) <> (bad_query IS NULL))",
            name="ratio_queries",
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(200), unique=True)
    service: Mapped[str] = mapped_column(String(200))
    operation: Mapped[str | None] = mapped_column(String(400))
    kind: Mapped[str] = mapped_column(String(20))
    objective: Mapped[float] = mapped_column(Float)
    threshold_ms: Mapped[float | None] = mapped_column(Float)
    window_days: Mapped[int] = mapped_column(Integer, default=30)
    description: Mapped[str] = mapped_column(Text, default="")
    # a ratio SLO's KQL: the rows of good_query (or of total_query minus bad_query) over the rows of total_query
    good_query: Mapped[str | None] = mapped_column(Text)
    bad_query: Mapped[str | None] = mapped_column(Text)
    total_query: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow, onupdate=utcnow)
    version: Mapped[int] = mapped_column(Integer, default=1)

    __mapper_args__ = {"version_id_col": version}  # noqa: RUF012 - SQLAlchemy's own mapping

    def as_dict(self) -> dict[str, Any]:
        """The fields an audit record keeps (also what an SLO file sets)."""
        return {
            "name": self.name,
            "service": self.service,
            "operation": self.operation,
            "kind": self.kind,
            "objective": self.objective,
            "threshold_ms": self.threshold_ms,
            "window_days": self.window_days,
            "description": self.description,
            "good_query": self.good_query,
            "bad_query": self.bad_query,
            "total_query": self.total_query,
        }
