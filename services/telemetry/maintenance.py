"""Keeping the local telemetry store in shape: compaction, with its permission and audit record."""

from __future__ import annotations

from pathlib import Path

from sqlalchemy.orm import Session

from services import audit
from services.auth import Actor, require
from services.telemetry.schema import TABLES
from services.telemetry.store import compact


def compact_store(session: Session, *, actor: Actor, root: Path) -> dict[str, int]:
    """Merge each table's small files into one; returns the files merged per table, recorded in one audit record."""
    require(actor, "telemetry.compact")
    merged = {table: compact(root, table)[0] for table in TABLES}
    audit.record(
        session,
        actor=actor,
        action="telemetry.compact",
        entity="telemetry_store",
        entity_id=None,
        after={"folder": str(root), "files_merged": merged},
    )
    return merged
