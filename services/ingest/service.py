"""An Application Insights track call: its envelopes checked against the ingestion keys, mapped to workspace rows,
spooled durably, and answered the way the SDKs read it (the TrackResponse model: 200, 206 with the index of every
refused item, which the .NET exporter retries by; 400 when nothing could be read or accepted)."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from typing import Any

from services.ingest import decode
from services.ingest.mapping import Refused, to_row
from services.ingest.spool import Spool

INVALID_KEY = "Invalid instrumentation key"


@dataclass(frozen=True)
class TrackAnswer:
    """The status and the TrackResponse body; `rows` the rows spooled per table."""

    status: int
    received: int
    accepted: int
    errors: list[dict[str, Any]] = field(default_factory=list)
    rows: dict[str, int] = field(default_factory=dict)

    def body(self) -> dict[str, Any]:
        """{"itemsReceived", "itemsAccepted", "errors": [{"index", "statusCode", "message"}]}."""
        return {"itemsReceived": self.received, "itemsAccepted": self.accepted, "errors": self.errors}


def _error(index: int, message: str, status: int = 400) -> dict[str, Any]:
    return {"index": index, "statusCode": status, "message": message}


def track(body: bytes, *, content_encoding: str, keys: dict[str, str], spool: Spool, max_bytes: int) -> TrackAnswer:
    """Accept what can be accepted of one track body; nothing of a refused item is stored."""
    try:
        items = decode.items(body, content_encoding=content_encoding, max_bytes=max_bytes)
    except decode.TooLarge as exc:
        return TrackAnswer(413, 0, 0, [_error(0, f"{exc}; send smaller batches", 413)])
    except decode.Unreadable as exc:
        return TrackAnswer(400, 0, 0, [_error(0, f"{exc}; nothing was stored")])
    rows: dict[str, list[dict[str, Any]]] = defaultdict(list)
    errors = []
    for item in items:
        if item.envelope is None:
            errors.append(_error(item.index, item.problem))
            continue
        key = str(item.envelope.get("iKey") or "").strip().lower()
        if key not in keys:
            errors.append(_error(item.index, INVALID_KEY))
            continue
        try:
            table, row = to_row(item.envelope)
        except Refused as exc:
            errors.append(_error(item.index, str(exc)))
            continue
        rows[table].append(row)
    accepted = sum(len(r) for r in rows.values())
    if accepted:
        spool.append(dict(rows))
    status = 200 if not errors else 206 if accepted else 400
    return TrackAnswer(status, len(items), accepted, errors, {t: len(r) for t, r in rows.items()})
