"""Keeping the local telemetry store in shape: compaction and retention, with their permission and audit records."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

from sqlalchemy.orm import Session

from services import audit
from services.auth import Actor, require
from services.telemetry.compaction import compact_small_files, remove_superseded, table_lock
from services.telemetry.retention import RetentionPolicy, TableRetention, apply_table
from services.telemetry.schema import TABLES
from services.telemetry.writer import compact

RETENTION = "Applying telemetry retention"


def compact_store(session: Session, *, actor: Actor, root: Path) -> dict[str, int]:
    """Merge each table's small files into one; returns the files merged per table, recorded in one audit record."""
    require(actor, "telemetry.compact")
    merged = {}
    for table in TABLES:
        with table_lock(root, table):
            remove_superseded(root, table)  # first: a merged file merged again must take its old parts with it
            merged[table] = compact(root, table)[0]
    audit.record(
        session,
        actor=actor,
        action="telemetry.compact",
        entity="telemetry_store",
        entity_id=None,
        after={"folder": str(root), "files_merged": merged},
    )
    return merged


def _retention_after(done: list[TableRetention]) -> dict[str, Any]:
    return {
        r.table: {
            "cutoff": r.cutoff.isoformat(),
            "files_removed": r.files_removed,
            "files_rewritten": r.files_rewritten,
            "rows_removed": r.rows_removed,
        }
        for r in done
        if r.changed
    }


def _retain(root: Path, table: str, policy: RetentionPolicy, now: datetime, dry_run: bool) -> TableRetention | None:
    cutoff = policy.cutoff(table, now)
    return None if cutoff is None else apply_table(root, table, cutoff, dry_run=dry_run)


def apply_retention(
    session: Session, *, actor: Actor, root: Path, policy: RetentionPolicy, now: datetime, dry_run: bool = False
) -> list[TableRetention]:
    """Remove every table's rows older than its retention allows (a dry run only counts them); one audit record when
    files were removed or rewritten."""
    require(actor, "telemetry.compact", doing=RETENTION)
    done: list[TableRetention] = []
    for table in TABLES:
        if dry_run:
            found = _retain(root, table, policy, now, True)
        else:
            with table_lock(root, table):
                remove_superseded(root, table)
                found = _retain(root, table, policy, now, False)
        if found is not None:
            done.append(found)
    changed = _retention_after(done)
    if changed and not dry_run:
        audit.record(
            session,
            actor=actor,
            action="telemetry.retention",
            entity="telemetry_store",
            entity_id=None,
            after={"folder": str(root), "policy": policy.describe(), "tables": changed},
        )
    return done


@dataclass
class Maintenance:
    """One maintenance pass: small files merged per table, and what retention removed."""

    files_merged: dict[str, int] = field(default_factory=dict)
    retention: list[TableRetention] = field(default_factory=list)
    superseded_removed: int = 0

    @property
    def changed(self) -> bool:
        """Whether the pass changed any file a query reads (removing superseded files, which none reads, is not)."""
        return bool(any(self.files_merged.values()) or any(r.changed for r in self.retention))


def maintain_store(
    session: Session,
    *,
    actor: Actor,
    root: Path,
    policy: RetentionPolicy,
    now: datetime,
    skip: frozenset[str] = frozenset(),
) -> Maintenance:
    """The worker's pass over every table, under its lock: remove what the last pass superseded, apply retention, merge
    the small files per day; one audit record when it changed what queries read. `skip` names files compaction
    leaves alone."""
    require(actor, "telemetry.compact", doing="Maintaining the telemetry store")
    out = Maintenance()
    for table in TABLES:
        with table_lock(root, table):
            out.superseded_removed += remove_superseded(root, table)
            found = _retain(root, table, policy, now, False)
            merged = compact_small_files(root, table, skip=skip).files_merged
        if merged:
            out.files_merged[table] = merged
        if found is not None:
            out.retention.append(found)
    if out.changed:
        audit.record(
            session,
            actor=actor,
            action="telemetry.maintenance",
            entity="telemetry_store",
            entity_id=None,
            after={
                "folder": str(root),
                "files_merged": out.files_merged,
                "superseded_files_removed": out.superseded_removed,
                "retention": _retention_after(out.retention),
            },
        )
    return out
