"""The feature tables: features, their phase moves, sign-offs and waivers, and the versioned gate template."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, Boolean, CheckConstraint, ForeignKey, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from services.db import Base, UTCDateTime, utcnow

_PHASES = "'planning', 'analysis', 'design', 'implementation', 'testing', 'maintenance'"


class GateTemplate(Base):
    """One version of the checklist every phase's gate asks for; a lead's edit adds a version, never rewrites one."""

    __tablename__ = "gate_template"

    version: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    items: Mapped[list[dict[str, Any]]] = mapped_column(JSON)
    note: Mapped[str] = mapped_column(Text, default="")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    created_by: Mapped[str] = mapped_column(String(200))


class Feature(Base):
    """A piece of work travelling Planning → Maintenance, judged by the gate template it started with."""

    __tablename__ = "feature"
    __table_args__ = (CheckConstraint(f"phase IN ({_PHASES})", name="phase_known"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    title: Mapped[str] = mapped_column(String(300))
    description: Mapped[str] = mapped_column(Text, default="")
    owner: Mapped[str] = mapped_column(String(200), default="")
    service: Mapped[str] = mapped_column(String(200), index=True)
    operations: Mapped[list[str]] = mapped_column(JSON, default=list)
    service_slos_cover: Mapped[bool] = mapped_column(Boolean, default=False)
    release: Mapped[str | None] = mapped_column(String(50), index=True)
    commit: Mapped[str | None] = mapped_column(String(64))
    work_item_url: Mapped[str | None] = mapped_column(String(500))
    pull_request_url: Mapped[str | None] = mapped_column(String(500))
    entry: Mapped[str] = mapped_column(String(30), default="feature")
    phase: Mapped[str] = mapped_column(String(20), index=True)
    template_version: Mapped[int] = mapped_column(ForeignKey("gate_template.version"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    created_by: Mapped[str] = mapped_column(String(200))
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow, onupdate=utcnow)
    updated_by: Mapped[str | None] = mapped_column(String(200))
    version: Mapped[int] = mapped_column(Integer, default=1)

    __mapper_args__ = {"version_id_col": version}  # noqa: RUF012 - SQLAlchemy's own mapping

    def as_dict(self) -> dict[str, Any]:
        """The fields an audit record keeps."""
        return {
            c: getattr(self, c)
            for c in (
                "title",
                "description",
                "owner",
                "service",
                "operations",
                "service_slos_cover",
                "release",
                "commit",
                "work_item_url",
                "pull_request_url",
                "entry",
                "phase",
                "template_version",
            )
        }


class FeatureMove(Base):
    """One step of a feature's history: where it entered, each advance and each move back."""

    __tablename__ = "feature_move"

    id: Mapped[int] = mapped_column(primary_key=True)
    feature_id: Mapped[int] = mapped_column(ForeignKey("feature.id", ondelete="CASCADE"), index=True)
    at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    actor: Mapped[str] = mapped_column(String(200))
    kind: Mapped[str] = mapped_column(String(20))  # entry, advance, back
    from_phase: Mapped[str | None] = mapped_column(String(20))
    to_phase: Mapped[str] = mapped_column(String(20))
    note: Mapped[str] = mapped_column(Text, default="")


class GateSignOff(Base):
    """A person's word on one gate item of one feature: a sign-off with its evidence, or a lead's waiver with its
    reason. Rows are only added: a waiver stays on the feature for good."""

    __tablename__ = "gate_sign_off"
    __table_args__ = (CheckConstraint("kind IN ('sign-off', 'waiver')", name="kind_known"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    feature_id: Mapped[int] = mapped_column(ForeignKey("feature.id", ondelete="CASCADE"), index=True)
    item_key: Mapped[str] = mapped_column(String(100))
    kind: Mapped[str] = mapped_column(String(20))
    actor: Mapped[str] = mapped_column(String(200))
    role: Mapped[str] = mapped_column(String(20))
    at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    evidence: Mapped[str] = mapped_column(Text, default="")
