"""Audit records of a period for an auditor, as CSV or JSON, with the chain's head and state at export time."""

from __future__ import annotations

import csv
import io
import json
from dataclasses import asdict, dataclass
from datetime import datetime
from typing import Any

from sqlalchemy.orm import Session

from services.audit import repository as audit_repo
from services.audit.models import HASHED
from services.audit.service import ChainState, verify_chain
from services.auth import Actor, require
from services.db import utcnow

COLUMNS = (*HASHED, "prev_hash", "hash")


@dataclass(frozen=True)
class AuditExport:
    """Records of a period with the state and head of the whole chain when they were exported."""

    start: datetime | None
    end: datetime | None
    exported_at: datetime
    exported_by: str
    chain: ChainState
    records: list[dict[str, Any]]


def export_records(
    session: Session, *, actor: Actor, start: datetime | None = None, end: datetime | None = None
) -> AuditExport:
    """Records with start <= at < end, oldest first, with the chain head; leads and admins only."""
    require(actor, "audit.export")
    chain = verify_chain(session, actor=actor)
    rows = [r.as_dict() for r in audit_repo.period(session, start=start, end=end)]
    return AuditExport(start, end, utcnow(), actor.name, chain, rows)


def _header(export: AuditExport) -> dict[str, Any]:
    return {
        "from": export.start.isoformat() if export.start else None,
        "to": export.end.isoformat() if export.end else None,
        "exported_at": export.exported_at.isoformat(),
        "exported_by": export.exported_by,
        "chain": {**asdict(export.chain), "ok": export.chain.ok, "summary": export.chain.summary()},
    }


def to_json(export: AuditExport) -> str:
    """One JSON document: the period, the chain head and state, then the records."""
    return json.dumps({**_header(export), "records": export.records}, indent=2, ensure_ascii=False)


def to_csv(export: AuditExport) -> str:
    """One row per record (before/after as JSON), then a last row `chain.head` with the head's id and hash."""
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=COLUMNS, lineterminator="\n")
    writer.writeheader()
    for rec in export.records:
        plain = {
            k: json.dumps(v, ensure_ascii=False) if k in ("before", "after") and v is not None else v
            for k, v in rec.items()
        }
        writer.writerow(plain)
    chain = export.chain
    writer.writerow(
        {
            "id": chain.head_id,
            "at": export.exported_at.isoformat(),
            "actor": export.exported_by,
            "action": "chain.head",
            "entity": "audit_chain",
            "after": json.dumps({"ok": chain.ok, "checked": chain.checked, "summary": chain.summary()}),
            "hash": chain.head_hash,
        }
    )
    return out.getvalue()
