"""Incident, its timeline, and the team's severity definitions."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, ForeignKey, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from services.db import Base, UTCDateTime, utcnow

CLASSIFICATIONS = ("unknown", "protocol", "non-critical", "critical")
STATUSES = ("new", "acknowledged", "mitigating", "resolved", "closed")
SOURCES = ("manual", "alert-rule", "azure-monitor")


class Incident(Base):
    """Something that hurts users: triaged, classified by the team's protocol, worked to closed."""

    __tablename__ = "incident"
    __table_args__ = (UniqueConstraint("source", "source_ref", name="uq_incident_source_ref"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    title: Mapped[str] = mapped_column(String(300))
    service: Mapped[str] = mapped_column(String(200), index=True)
    severity: Mapped[str] = mapped_column(String(10), index=True)
    classification: Mapped[str] = mapped_column(String(20), default="unknown")
    status: Mapped[str] = mapped_column(String(20), default="new", index=True)
    assignee: Mapped[str | None] = mapped_column(String(200))
    source: Mapped[str] = mapped_column(String(20), default="manual")
    source_ref: Mapped[str | None] = mapped_column(String(300))
    description: Mapped[str] = mapped_column(Text, default="")
    # the signature runbooks match on (None: not known)
    operation: Mapped[str | None] = mapped_column(String(400))
    exception_type: Mapped[str | None] = mapped_column(String(400))
    result_code: Mapped[str | None] = mapped_column(String(20))
    dependency: Mapped[str | None] = mapped_column(String(400))
    operation_ids: Mapped[list[str]] = mapped_column(JSON, default=list)
    evidence_kql: Mapped[str | None] = mapped_column(Text)
    detected_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    acknowledged_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    mitigated_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    resolved_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    closed_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow, onupdate=utcnow)
    updated_by: Mapped[str | None] = mapped_column(String(200))
    version: Mapped[int] = mapped_column(Integer, default=1)

    events: Mapped[list[IncidentEvent]] = relationship(
        back_populates="incident", lazy="raise", order_by="IncidentEvent.id", cascade="all, delete-orphan"
    )

    __mapper_args__ = {"version_id_col": version}  # noqa: RUF012 - SQLAlchemy's own mapping

    def as_dict(self) -> dict[str, Any]:
        """The fields an audit record and `incident show --json` keep."""
        return {
            "id": self.id,
            "title": self.title,
            "service": self.service,
            "severity": self.severity,
            "classification": self.classification,
            "status": self.status,
            "assignee": self.assignee,
            "source": self.source,
            "source_ref": self.source_ref,
            "operation": self.operation,
            "exception_type": self.exception_type,
            "result_code": self.result_code,
            "dependency": self.dependency,
            "operation_ids": list(self.operation_ids or []),
            "evidence_kql": self.evidence_kql,
            "detected_at": self.detected_at,
            "acknowledged_at": self.acknowledged_at,
            "mitigated_at": self.mitigated_at,
            "resolved_at": self.resolved_at,
            "closed_at": self.closed_at,
            "version": self.version,
        }


class IncidentEvent(Base):
    """One line of an incident's timeline: a change or a note, with who and when. Never edited."""

    __tablename__ = "incident_event"

    id: Mapped[int] = mapped_column(primary_key=True)
    incident_id: Mapped[int] = mapped_column(ForeignKey("incident.id", ondelete="CASCADE"), index=True)
    at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    actor: Mapped[str] = mapped_column(String(200))
    kind: Mapped[str] = mapped_column(String(30))
    message: Mapped[str] = mapped_column(Text, default="")
    data: Mapped[dict[str, Any] | None] = mapped_column(JSON)

    incident: Mapped[Incident] = relationship(back_populates="events", lazy="raise")


class SeverityDefinition(Base):
    """The team's written scope of a severity and its time-to-acknowledge target; edited by leads."""

    __tablename__ = "severity_definition"

    severity: Mapped[str] = mapped_column(String(10), primary_key=True)
    scope: Mapped[str] = mapped_column(Text)
    ack_target_minutes: Mapped[int] = mapped_column(Integer)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow, onupdate=utcnow)


class Runbook(Base):
    """One version of a runbook: a step checklist for incidents whose signature it matches. Never edited in place."""

    __tablename__ = "runbook"
    __table_args__ = (UniqueConstraint("key", "version", name="uq_runbook_key_version"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    key: Mapped[str] = mapped_column(String(100), index=True)
    version: Mapped[int] = mapped_column(Integer)
    title: Mapped[str] = mapped_column(String(300))
    service: Mapped[str | None] = mapped_column(String(200))
    operation: Mapped[str | None] = mapped_column(String(400))
    exception_type: Mapped[str | None] = mapped_column(String(400))
    result_code: Mapped[str | None] = mapped_column(String(20))
    dependency: Mapped[str | None] = mapped_column(String(400))
    steps: Mapped[list[str]] = mapped_column(JSON)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    created_by: Mapped[str] = mapped_column(String(200))


class BoardIssueLink(Base):
    """A board issue opened for an incident (or one of its postmortem's action items): at most one per purpose."""

    __tablename__ = "board_issue_link"
    __table_args__ = (UniqueConstraint("incident_id", "purpose", name="uq_board_issue_link_incident_purpose"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    incident_id: Mapped[int] = mapped_column(ForeignKey("incident.id", ondelete="CASCADE"), index=True)
    purpose: Mapped[str] = mapped_column(String(50))
    marker: Mapped[str] = mapped_column(String(100), unique=True)
    provider: Mapped[str] = mapped_column(String(20))
    key: Mapped[str] = mapped_column(String(50))
    url: Mapped[str] = mapped_column(String(500))
    state: Mapped[str] = mapped_column(String(50))
    title: Mapped[str] = mapped_column(String(300))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    refreshed_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
