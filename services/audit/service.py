"""Append-only, hash-chained audit records: who changed what, when, with the state before and after.

Each record stores the previous record's hash and its own: SHA-256 of that previous hash followed by the record's
canonical JSON. Editing, deleting or slipping in a row breaks the chain at that record, and `verify_chain` names it.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable
from dataclasses import dataclass, replace
from typing import Any

from sqlalchemy.orm import Session

from services.audit import repository as audit_repo
from services.audit.models import GENESIS, AuditRecord, canonical_fields
from services.auth import Actor, require
from services.db import utcnow


def _plain(value: dict[str, Any] | None) -> dict[str, Any] | None:
    # round-trip through JSON so datetimes and decimals are stored as text, the same on every database
    return None if value is None else json.loads(json.dumps(value, default=str))


def record_hash(prev_hash: str, rec: AuditRecord) -> str:
    """SHA-256 of the previous record's hash followed by this record's canonical JSON (sorted keys, no spaces)."""
    canonical = json.dumps(canonical_fields(rec), sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return hashlib.sha256((prev_hash + canonical).encode()).hexdigest()


def record(
    session: Session,
    *,
    actor: Actor,
    action: str,
    entity: str,
    entity_id: str | int | None,
    before: dict[str, Any] | None = None,
    after: dict[str, Any] | None = None,
) -> AuditRecord:
    """Append one audit record, chained to the last one, to the caller's transaction."""
    new_id, prev_hash = audit_repo.claim_next(session)
    rec = AuditRecord(
        id=new_id,
        actor=actor.name,
        role=actor.role,
        os_user=actor.os_user,
        action=action,
        entity=entity,
        entity_id=None if entity_id is None else str(entity_id),
        before=_plain(before),
        after=_plain(after),
        at=utcnow(),
        prev_hash=prev_hash,
    )
    rec.hash = record_hash(rec.prev_hash, rec)
    session.add(rec)
    session.flush()
    return rec


def list_records(session: Session, *, actor: Actor, entity: str | None = None, limit: int = 500) -> list[AuditRecord]:
    """The newest audit records first, optionally for one kind of entity."""
    require(actor, "audit.read")
    return audit_repo.newest(session, entity=entity, limit=limit)


@dataclass(frozen=True)
class ChainState:
    """The result of walking the chain: how far it holds, where and why it breaks, and its head."""

    checked: int  # records that follow their predecessor and match their hash, from the first
    verified_to: int | None  # the last of those
    head_id: int | None = None  # the last record stored, whether or not the chain holds up to it
    head_hash: str = GENESIS
    broken_at: int | None = None
    reason: str = ""

    @property
    def ok(self) -> bool:
        """Whether every record follows the one before it and matches its hash."""
        return self.broken_at is None

    def summary(self) -> str:
        """One line for a page or a terminal."""
        if not self.ok:
            return f"Audit chain broken at record {self.broken_at}: {self.reason}."
        if self.head_id is None:
            return "Audit chain empty: no record yet."
        return (
            f"Audit chain verified up to record {self.head_id} ({self.checked:,} records; head hash {self.head_hash})."
        )


def _walk(records: Iterable[AuditRecord]) -> ChainState:
    prev: AuditRecord | None = None
    checked = 0
    for rec in records:
        upto = prev.id if prev else None
        if rec.prev_hash != (prev.hash if prev else GENESIS):
            if prev is None:
                why = (
                    f"record {rec.id} does not start the chain: the records before it were deleted, or it was inserted"
                )
                return ChainState(checked, upto, broken_at=rec.id, reason=why + " out of chain")
            if rec.id > prev.id + 1:
                gone = f"record {prev.id + 1}" if rec.id == prev.id + 2 else f"records {prev.id + 1}–{rec.id - 1}"
                why = f"{gone} deleted: record {rec.id} no longer follows record {prev.id}"
                return ChainState(checked, upto, broken_at=prev.id + 1, reason=why)
            why = f"record {rec.id} does not follow record {prev.id}: it was inserted out of chain"
            return ChainState(checked, upto, broken_at=rec.id, reason=why)
        if record_hash(rec.prev_hash, rec) != rec.hash:
            why = f"record {rec.id} does not match its hash: it was edited after it was written, or forged"
            return ChainState(checked, upto, broken_at=rec.id, reason=why)
        prev, checked = rec, checked + 1
    return ChainState(checked, prev.id if prev else None)


def verify_chain(session: Session, *, actor: Actor) -> ChainState:
    """Walk every record from the first: the first one edited, deleted or inserted out of chain, if any."""
    require(actor, "audit.read")
    state = _walk(audit_repo.in_chain_order(session))
    head = audit_repo.head(session)
    return replace(state, head_id=head.id, head_hash=head.hash) if head else state


def _shown(value: Any, width: int = 80) -> str:
    if value is None:
        return "—"
    shown = value if isinstance(value, str) else json.dumps(value, ensure_ascii=False, default=str)
    return shown if len(shown) <= width else shown[: width - 1] + "…"


def changes(before: dict[str, Any] | None, after: dict[str, Any] | None) -> list[str]:
    """The fields a record changed, one `field: old → new` line each (only new values on create, old on delete)."""
    before, after = before or {}, after or {}
    if not before:
        return [f"{field}: {_shown(value)}" for field, value in after.items()]
    fields = [*before, *(k for k in after if k not in before)]
    return [f"{f}: {_shown(before.get(f))} → {_shown(after.get(f))}" for f in fields if before.get(f) != after.get(f)]
