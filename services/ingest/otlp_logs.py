"""OTLP log records as the envelopes the Azure Monitor exporter makes of them (azure-monitor-opentelemetry-exporter
`export/logs/_exporter.py` `_convert_log_to_envelope`), then the rows mapping.to_row makes of those: a record with
exception.type or exception.message is an exception, one marked as a custom event an event, one carrying
microsoft.availability.* an availability result, any other a trace."""

from __future__ import annotations

import json
from typing import Any

from opentelemetry.proto.collector.logs.v1.logs_service_pb2 import ExportLogsServiceRequest
from opentelemetry.proto.logs.v1.logs_pb2 import LogRecord

from services.ingest import otlp
from services.ingest.mapping import Refused, TimeBounds, to_row

EVENT_NAME, EVENT_MARKER = "microsoft.custom_event.name", "APPLICATION_INSIGHTS_EVENT_MARKER_ATTRIBUTE"
AVAILABILITY = {
    k: f"microsoft.availability.{k}" for k in ("id", "name", "duration", "success", "runLocation", "message")
}
# attributes the exporter leaves out of customDimensions (`_IGNORED_ATTRS`)
IGNORED = frozenset(
    {"exception.type", "exception.message", "exception.stacktrace", "exception.escaped", EVENT_MARKER, EVENT_NAME,
     "microsoft.custom_measurements", *AVAILABILITY.values(), "enduser.id", "enduser.pseudo.id", "session.id"}
)  # fmt: skip
EMPTY_MESSAGE = "n/a"  # `_DEFAULT_LOG_MESSAGE`


def severity_level(severity_number: int) -> int:
    """`_get_severity_level`: TRACE and DEBUG (1-8, or unset) → 0 Verbose, INFO (9-12) → 1, WARN (13-16) → 2,
    ERROR (17-20) → 3, FATAL (21-24) → 4."""
    return 0 if severity_number < 9 else int((severity_number - 1) / 4 - 1)


def _message(body: Any) -> str:
    """`_map_body_to_message`: a string body as it is, any other as JSON."""
    if body is None or body == "" or body == [] or body == {}:
        return ""
    if isinstance(body, str):
        return body[:32768]
    try:
        return json.dumps(body, ensure_ascii=False)[:32768]
    except TypeError:
        return str(body)[:32768]


def _availability(a: dict[str, Any]) -> dict[str, Any] | None:
    if AVAILABILITY["name"] not in a:
        return None
    found = {k: str(a[attr]) for k, attr in AVAILABILITY.items() if a.get(attr) is not None}
    if not all(found.get(k) for k in ("id", "name", "duration", "success")):
        return None
    return found


def envelope(record: LogRecord, resource: dict[str, str], logger: str) -> dict[str, Any]:
    """The Message, Exception, Event or Availability envelope of one log record."""
    at = record.time_unix_nano or record.observed_time_unix_nano
    if not at:
        raise Refused("a log record has neither timeUnixNano nor observedTimeUnixNano")
    if (record.trace_id and len(record.trace_id) != 16) or (record.span_id and len(record.span_id) != 8):
        raise Refused("a log record's traceId is 16 bytes and its spanId 8")
    a = otlp.attributes(record.attributes)
    tags = {**resource, **otlp.user_tags(a)}
    # the exporter writes 32 (and 16) zeros for a record outside any trace; left empty here, so that such records
    # are not all one operation
    for tag, raw, size in (("ai.operation.id", record.trace_id, 16), ("ai.operation.parentId", record.span_id, 8)):
        if otlp.hex_id(raw, size):
            tags[tag] = otlp.hex_id(raw, size) or ""
    if a.get("ai.operation.name") is not None:
        tags["ai.operation.name"] = otlp.text(a["ai.operation.name"])
    ip = otlp.location_ip(a)
    if ip:
        tags["ai.location.ip"] = ip
    base: dict[str, Any] = {"properties": otlp.properties(a, IGNORED.__contains__)}
    base["measurements"] = otlp.measurements(a)
    if logger:
        base["properties"].setdefault("logger_name", logger)
    severity = severity_level(record.severity_number)
    body = _message(otlp.value(record.body))
    availability = _availability(a)
    if a.get("exception.type") is not None or a.get("exception.message") is not None:
        kind, stack = "Exception", a.get("exception.stacktrace")
        message = body or a.get("exception.message") or "Exception"
        base["severityLevel"] = severity
        base["exceptions"] = [{"typeName": str(a.get("exception.type") or "Exception")[:1024],
                               "message": str(message)[:32768], "hasFullStack": stack is not None,
                               "stack": str(stack)[:32768]}]  # fmt: skip
    elif (a.get(EVENT_NAME) or a.get(EVENT_MARKER)) is not None:
        kind, base["name"] = "Event", str(a.get(EVENT_NAME) or "") or body
    elif availability:
        kind = "Availability"
        base.update({k: v for k, v in availability.items() if k != "success"})
        base["success"] = availability["success"].lower() == "true"
        base.setdefault("message", body)
    else:
        kind, base["severityLevel"] = "Message", severity
        base["message"] = body.strip() or EMPTY_MESSAGE
    return {"name": f"Microsoft.ApplicationInsights.{kind}", "time": otlp.instant(at), "tags": tags,
            "data": {"baseType": f"{kind}Data", "baseData": base}}  # fmt: skip


def to_rows(request: ExportLogsServiceRequest, bounds: TimeBounds | None = None) -> otlp.Mapped:
    """Every log record's row; a refused record (one timed outside `bounds` too) stores nothing."""
    mapped = otlp.Mapped()
    for rl in request.resource_logs:
        resource = otlp.resource_tags(otlp.attributes(rl.resource.attributes))
        for sl in rl.scope_logs:
            for record in sl.log_records:
                try:
                    table, row = to_row(envelope(record, resource, sl.scope.name), bounds)
                except Refused as exc:
                    mapped.refuse(f"log record: {exc}", exc)
                    continue
                mapped.add(table, row)
    return mapped
