"""An Application Insights track call: its envelopes checked against the ingestion keys, mapped to workspace rows,
spooled durably, and answered the way the SDKs read it (the TrackResponse model: 200, 206 with the index of every
refused item, which the .NET exporter retries by; 400 when nothing could be read or accepted; 429 with Retry-After
when a key sends more items a second than SRE_INGEST_RATE_PER_KEY).

An OTLP/HTTP export call the same way, answered as the OTLP spec says: 200 (with `partialSuccess` when some items were
refused), 400, 401/403, 413, 415, 429 and 503 with Retry-After; every refusal a google.rpc.Status, in the request's
encoding.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from dataclasses import dataclass, field
from typing import Any

from services.ingest import decode, otlp, otlp_logs, otlp_metrics, otlp_traces
from services.ingest.admission import Admission
from services.ingest.mapping import OutOfBounds, Refused, to_row
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
    retry_after: int = 0  # seconds, with a 429

    def body(self) -> dict[str, Any]:
        """{"itemsReceived", "itemsAccepted", "errors": [{"index", "statusCode", "message"}]}."""
        return {"itemsReceived": self.received, "itemsAccepted": self.accepted, "errors": self.errors}


def _error(index: int, message: str, status: int = 400) -> dict[str, Any]:
    return {"index": index, "statusCode": status, "message": message}


def behind(spool: Spool) -> str:
    """The refusal while the store is behind: how far, and that a retry will do."""
    return (
        f"the backoffice is writing {spool.backlog_rows:,} accepted rows to its store, more than "
        f"SRE_INGEST_MAX_BACKLOG_ROWS ({spool.max_backlog_rows:,}); nothing of this batch was stored, retry shortly"
    )


def too_many(rate: int, wait: int) -> str:
    """The message of a 429."""
    return (f"this key sent more items than SRE_INGEST_RATE_PER_KEY allows ({rate:,} a second); nothing was stored: "
            f"retry after {wait} s")  # fmt: skip


def track(
    body: bytes,
    *,
    content_encoding: str,
    keys: dict[str, str],
    spool: Spool,
    max_bytes: int,
    admission: Admission | None = None,
) -> TrackAnswer:
    """Accept what can be accepted of one track body; nothing of a refused item is stored, nothing of a call over its
    key's rate (429), nothing while the spool's backlog is over its bound (503)."""
    if spool.backlogged:
        return TrackAnswer(503, 0, 0, [_error(0, behind(spool), 503)], retry_after=RETRY_AFTER_S)
    try:
        items = decode.items(body, content_encoding=content_encoding, max_bytes=max_bytes)
    except decode.TooLarge as exc:
        return TrackAnswer(413, 0, 0, [_error(0, f"{exc}; send smaller batches", 413)])
    except decode.Unreadable as exc:
        return TrackAnswer(400, 0, 0, [_error(0, f"{exc}; nothing was stored")])
    errors = []
    keyed = []
    for item in items:
        if item.envelope is None:
            errors.append(_error(item.index, item.problem))
            continue
        key = str(item.envelope.get("iKey") or "").strip().lower()
        if key not in keys:
            errors.append(_error(item.index, INVALID_KEY))
            continue
        keyed.append((item.index, item.envelope, key))
    per_key = Counter(key for _, _, key in keyed)
    wait = admission.rate.take(per_key) if admission and per_key else 0
    if admission and wait:
        for key, n in per_key.items():
            admission.count(keys[key], "rate", n)
        message = too_many(admission.rate.rate, wait)
        return TrackAnswer(429, len(items), 0, [_error(i.index, message, 429) for i in items], retry_after=wait)
    bounds = admission.bounds() if admission else None
    rows: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for index, envelope, key in keyed:
        try:
            table, row = to_row(envelope, bounds)
        except Refused as exc:
            errors.append(_error(index, str(exc)))
            if admission and isinstance(exc, OutOfBounds):
                admission.count(keys[key], "time", 1)
            continue
        rows[table].append(row)
    errors.sort(key=lambda e: int(e["index"]))
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
    admission: Admission | None = None,
) -> ExportAnswer:
    """Accept what can be accepted of one OTLP/HTTP export body (signal: traces, logs or metrics) sent with `key`;
    nothing is stored for a refused key, an unreadable body, a call over the key's rate or a refused item."""
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
    if spool.backlogged:
        return refused(503, behind(spool), {"Retry-After": str(RETRY_AFTER_S)})
    try:
        request = otlp.read(signal, body, content_type=content_type, content_encoding=content_encoding,
                            max_bytes=max_bytes)  # fmt: skip
    except otlp.Unsupported as exc:
        return refused(415, f"{exc}; nothing was stored")
    except decode.TooLarge as exc:
        return refused(413, f"{exc}; send smaller batches")
    except decode.Unreadable as exc:
        return refused(400, f"{exc}; nothing was stored")
    if admission:
        n = otlp.item_count(signal, request)
        wait = admission.rate.take({key: n}) if n else 0
        if wait:
            admission.count(keys[key], "rate", n)
            return refused(429, too_many(admission.rate.rate, wait), {"Retry-After": str(wait)})
    mapped = MAPPERS[signal](request, admission.bounds() if admission else None)
    if admission:
        admission.count(keys[key], "time", mapped.out_of_bounds)
    if mapped.rows:
        try:
            spool.append(mapped.rows)
        except OSError as exc:  # the spool could not be written (disk full): nothing was acknowledged
            message = f"the backoffice could not store the batch ({exc.strerror or exc}); retry"
            return refused(503, message, {"Retry-After": str(RETRY_AFTER_S)})
    rows = {t: len(r) for t, r in mapped.rows.items()}
    return ExportAnswer(200, otlp.success(signal, kind, mapped), kind, rows=rows)
