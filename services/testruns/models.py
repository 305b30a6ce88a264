"""The test-run table: one row per imported run with its figures; its test cases are in its results file
(storage.py)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, CheckConstraint, Float, Index, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from services.db import Base, UTCDateTime, utcnow

KINDS = ("unit", "integration", "system", "acceptance")  # the CHECK constraint below names the same four


class TestRun(Base):
    """One run of a service's tests of one kind (unit, integration, system, acceptance) for a release or commit."""

    __tablename__ = "test_run"
    __table_args__ = (
        CheckConstraint("kind IN ('unit', 'integration', 'system', 'acceptance')", name="kind_known"),
        CheckConstraint("outcome IN ('passed', 'failed', 'aborted')", name="outcome_known"),
        Index("ix_test_run_service_kind", "service", "kind"),
    )
    __test__ = False  # not a pytest test class

    id: Mapped[int] = mapped_column(primary_key=True)
    service: Mapped[str] = mapped_column(String(200))
    kind: Mapped[str] = mapped_column(String(20))
    release: Mapped[str | None] = mapped_column(String(50), index=True)
    commit: Mapped[str | None] = mapped_column(String(64), index=True)
    branch: Mapped[str | None] = mapped_column(String(200))
    pipeline_url: Mapped[str | None] = mapped_column(String(500))
    files: Mapped[list[dict[str, Any]]] = mapped_column(JSON, default=list)
    outcome: Mapped[str] = mapped_column(String(20))
    tests: Mapped[int] = mapped_column(Integer)
    passed: Mapped[int] = mapped_column(Integer)
    failed: Mapped[int] = mapped_column(Integer)
    errors: Mapped[int] = mapped_column(Integer)
    skipped: Mapped[int] = mapped_column(Integer)
    duration_s: Mapped[float | None] = mapped_column(Float)
    started_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    imported_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow, index=True)
    imported_by: Mapped[str] = mapped_column(String(200))
    # the name of its results file under SRE_TESTRUN_DIR; set in the import's own transaction, once the file is in place
    results_file: Mapped[str | None] = mapped_column(String(300))

    def as_dict(self) -> dict[str, Any]:
        """The fields an audit record keeps."""
        return {
            c: getattr(self, c)
            for c in (
                "service",
                "kind",
                "release",
                "commit",
                "branch",
                "pipeline_url",
                "files",
                "outcome",
                "tests",
                "passed",
                "failed",
                "errors",
                "skipped",
                "duration_s",
                "results_file",
            )
        }
