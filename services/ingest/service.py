"""An Application Insights track call: its envelopes checked against the ingestion keys, mapped to workspace rows,
spooled durably, and answered the way the SDKs read it (the TrackResponse model: 200, 206 with the index of every
refused item, which the .NET exporter retries by; 400 when nothing could be read or accepted).

An OTLP/HTTP export call the same way, answered as the OTLP spec says: 200 (with `partialSuccess` when some items were
refused), 400, 401/403, 413, 415, 503 with Retry-After; every refusal a google.rpc.Status, in the request's encoding.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from typing import Any

from services.ingest import decode, otlp, otlp_logs, otlp_metrics, otlp_traces
from services.ingest.mapping import Refused, to_row
from services.ingest.spool import Spool

INVALID_KEY = "Invalid instrumentation key"
RETRY_AFTER_S = 5
MAPPERS = {"traces": otlp_traces.to_rows, "logs": otlp_logs.to_rows, "metrics": otlp_metrics.to_rows}


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


@dataclass(frozen=True)
class ExportAnswer:
    """An OTLP/HTTP answer: the status, the body in the request's encoding and its Content-Type; `rows` the rows
    spooled per table."""

    status: int
    content: bytes
    media_type: str
    headers: dict[str, str] = field(default_factory=dict)
    rows: dict[str, int] = field(default_factory=dict)


def export(
    signal: str,
    body: bytes,
    *,
    content_type: str,
    content_encoding: str,
    key: str,
    keys: dict[str, str],
    spool: Spool,
    max_bytes: int,
) -> ExportAnswer:
    """Accept what can be accepted of one OTLP/HTTP export body (signal: traces, logs or metrics) sent with `key`;
    nothing is stored for a refused key, an unreadable body or a refused item."""
    try:
        kind = otlp.media_type(content_type)
    except otlp.Unsupported:
        kind = otlp.JSON  # the refusal below is written in the one encoding every client reads

    def refused(status: int, message: str, headers: dict[str, str] | None = None) -> ExportAnswer:
        return ExportAnswer(status, otlp.failure(kind, message), kind, headers or {})

    if not key:
        message = "no ingestion key: send it as Authorization: Bearer <key> or x-api-key: <key>; nothing was stored"
        return refused(401, message, {"WWW-Authenticate": "Bearer"})
    if key not in keys:
        return refused(403, "the ingestion key is not one of SRE_INGEST_KEYS; nothing was stored")
    try:
        request = otlp.read(signal, body, content_type=content_type, content_encoding=content_encoding,
                            max_bytes=max_bytes)  # fmt: skip
    except otlp.Unsupported as exc:
        return refused(415, f"{exc}; nothing was stored")
    except decode.TooLarge as exc:
        return refused(413, f"{exc}; send smaller batches")
    except decode.Unreadable as exc:
        return refused(400, f"{exc}; nothing was stored")
    mapped = MAPPERS[signal](request)
    if mapped.rows:
        try:
            spool.append(mapped.rows)
        except OSError as exc:  # the spool could not be written (disk full): nothing was acknowledged
            message = f"the backoffice could not store the batch ({exc.strerror or exc}); retry"
            return refused(503, message, {"Retry-After": str(RETRY_AFTER_S)})
    rows = {t: len(r) for t, r in mapped.rows.items()}
    return ExportAnswer(200, otlp.success(signal, kind, mapped), kind, rows=rows)
