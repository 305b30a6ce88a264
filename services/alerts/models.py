"""Alert rules, the alerts they raise (one per rule and dimension value), and the notification outbox."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, Boolean, Float, ForeignKey, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from services.db import Base, UTCDateTime, utcnow

AGGREGATIONS = ("Count", "Average", "Minimum", "Maximum", "Total")
OPERATORS = ("GreaterThan", "GreaterThanOrEqual", "LessThan", "LessThanOrEqual", "Equals")
RULE_KINDS = ("query", "slo_burn")


class AlertRule(Base):
    """A log alert in Azure Monitor's terms: KQL, aggregation, operator and threshold, window, failing periods."""

    __tablename__ = "alert_rule"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(200), unique=True)
    description: Mapped[str] = mapped_column(Text, default="")
    kind: Mapped[str] = mapped_column(String(20), default="query")
    query: Mapped[str] = mapped_column(Text, default="")
    aggregation: Mapped[str] = mapped_column(String(20), default="Count")
    measure_column: Mapped[str | None] = mapped_column(String(100))
    dimension: Mapped[str | None] = mapped_column(String(100))
    operator: Mapped[str] = mapped_column(String(30), default="GreaterThan")
    threshold: Mapped[float] = mapped_column(Float, default=0.0)
    frequency_min: Mapped[int] = mapped_column(Integer, default=5)
    window_min: Mapped[int] = mapped_column(Integer, default=5)
    evaluation_periods: Mapped[int] = mapped_column(Integer, default=1)
    failing_periods: Mapped[int] = mapped_column(Integer, default=1)
    severity: Mapped[str] = mapped_column(String(10), default="Sev3")
    actions: Mapped[list[dict[str, Any]]] = mapped_column(JSON, default=list)
    mute_min: Mapped[int] = mapped_column(Integer, default=0)
    auto_resolve: Mapped[bool] = mapped_column(Boolean, default=True)
    enabled: Mapped[bool] = mapped_column(Boolean, default=True)
    slo_id: Mapped[int | None] = mapped_column(ForeignKey("slo.id", ondelete="CASCADE"))
    slo_policy: Mapped[str | None] = mapped_column(String(50))
    next_due_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow, onupdate=utcnow)
    version: Mapped[int] = mapped_column(Integer, default=1)

    __mapper_args__ = {"version_id_col": version}  # noqa: RUF012 - SQLAlchemy's own mapping


class Alert(Base):
    """The state of one rule for one dimension value: fired or resolved, with its history in AlertEvent."""

    __tablename__ = "alert"
    __table_args__ = (UniqueConstraint("rule_id", "dimension_value", name="uq_alert_rule_dimension"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    rule_id: Mapped[int] = mapped_column(ForeignKey("alert_rule.id", ondelete="CASCADE"), index=True)
    dimension_value: Mapped[str] = mapped_column(String(400), default="")
    state: Mapped[str] = mapped_column(String(20), default="resolved")
    fired_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    resolved_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    last_value: Mapped[float | None] = mapped_column(Float)
    muted_until: Mapped[datetime | None] = mapped_column(UTCDateTime())
    incident_id: Mapped[int | None] = mapped_column(ForeignKey("incident.id", ondelete="SET NULL"))


class AlertEvent(Base):
    """One firing or resolution: the rule's history."""

    __tablename__ = "alert_event"

    id: Mapped[int] = mapped_column(primary_key=True)
    alert_id: Mapped[int] = mapped_column(ForeignKey("alert.id", ondelete="CASCADE"), index=True)
    at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    state: Mapped[str] = mapped_column(String(20))
    value: Mapped[float | None] = mapped_column(Float)
    detail: Mapped[str] = mapped_column(Text, default="")


class OutboxMessage(Base):
    """A notification decided in the same transaction as the alert change, delivered later by the worker."""

    __tablename__ = "outbox_message"

    id: Mapped[int] = mapped_column(primary_key=True)
    idempotency_key: Mapped[str] = mapped_column(String(200), unique=True)
    channel: Mapped[str] = mapped_column(String(20))
    target: Mapped[str] = mapped_column(String(500))
    payload: Mapped[dict[str, Any]] = mapped_column(JSON)
    status: Mapped[str] = mapped_column(String(20), default="pending", index=True)
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    next_attempt_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow, index=True)
    last_error: Mapped[str | None] = mapped_column(Text)
    # the worker (host:pid:uuid) that claimed the row last, and until when a 'sending' row is its own
    lease_owner: Mapped[str | None] = mapped_column(String(200))
    lease_until: Mapped[datetime | None] = mapped_column(UTCDateTime())
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    sent_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
