"""An OTLP/HTTP export call (opentelemetry-proto `docs/specification.md`, the OTLP spec's "OTLP/HTTP"): its body read
as binary protobuf or OTLP/JSON, its answer written in the same encoding, and the parts every signal's mapping shares
(attributes, the resource's context tags, ids, times). docs/ingestion.md has the field-by-field mapping.

OTLP/JSON is protobuf's JSON mapping with hex trace and span ids (json_format would read them as base64: they are
turned into base64 first), integer enums and lowerCamelCase keys; unknown fields are ignored.
"""

from __future__ import annotations

import base64
import binascii
import json
import math
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from google.protobuf import json_format
from google.protobuf.message import DecodeError, Message
from google.rpc.status_pb2 import Status
from opentelemetry.proto.collector.logs.v1 import logs_service_pb2 as logs_pb
from opentelemetry.proto.collector.metrics.v1 import metrics_service_pb2 as metrics_pb
from opentelemetry.proto.collector.trace.v1 import trace_service_pb2 as trace_pb
from opentelemetry.proto.common.v1.common_pb2 import AnyValue, KeyValue

from services.ingest.decode import TooLarge, Unreadable, gunzip
from services.ingest.mapping import OutOfBounds

PROTOBUF, JSON = "application/x-protobuf", "application/json"
MEDIA_TYPES = {"application/x-protobuf": PROTOBUF, "application/protobuf": PROTOBUF, "application/json": JSON}
# signal → (request, response, the partial success's count field)
SIGNALS: dict[str, tuple[type[Message], type[Message], str]] = {
    "traces": (trace_pb.ExportTraceServiceRequest, trace_pb.ExportTraceServiceResponse, "rejected_spans"),
    "logs": (logs_pb.ExportLogsServiceRequest, logs_pb.ExportLogsServiceResponse, "rejected_log_records"),
    "metrics": (
        metrics_pb.ExportMetricsServiceRequest,
        metrics_pb.ExportMetricsServiceResponse,
        "rejected_data_points",
    ),
}
EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
HEX_ID_KEYS = frozenset({"traceId", "spanId", "parentSpanId", "trace_id", "span_id", "parent_span_id"})
SCHEMES = ("bearer ", "apikey ", "api-key ")
PROBLEMS_SHOWN = 5  # distinct reasons a partial success's errorMessage names


class Unsupported(Exception):
    """A body in an encoding OTLP/HTTP does not have: answered 415."""


@dataclass
class Mapped:
    """What one export request became: rows per table, and how many items were refused and why."""

    rows: dict[str, list[dict[str, Any]]] = field(default_factory=dict)
    rejected: int = 0
    problems: list[str] = field(default_factory=list)
    out_of_bounds: int = 0  # of the rejected, those timed before 2000 or too far ahead

    def add(self, table: str, row: dict[str, Any]) -> None:
        """One more row of `table`."""
        self.rows.setdefault(table, []).append(row)

    def refuse(self, problem: str, cause: Exception | None = None) -> None:
        """One more refused item."""
        self.rejected += 1
        self.out_of_bounds += isinstance(cause, OutOfBounds)
        # the answer shows the first few; keeping every distinct one would cost a scan per item of a bad batch
        if len(self.problems) < PROBLEMS_SHOWN and problem not in self.problems:
            self.problems.append(problem)


def media_type(content_type: str) -> str:
    """PROTOBUF or JSON from the request's Content-Type (parameters such as charset ignored)."""
    mt = content_type.split(";", 1)[0].strip().lower()
    if mt not in MEDIA_TYPES:
        shown = f"Content-Type {mt!r}" if mt else "no Content-Type"
        raise Unsupported(f"{shown}: OTLP/HTTP bodies are application/x-protobuf or application/json")
    return MEDIA_TYPES[mt]


def presented_key(headers: Any) -> str:
    """The ingestion key of `Authorization: Bearer <key>` (or a bare `Authorization: <key>`, as a hand-written
    OTEL_EXPORTER_OTLP_HEADERS=authorization=<key> sends it) or `x-api-key: <key>`; lower case, "" when none."""
    auth = str(headers.get("authorization") or "").strip()
    for scheme in SCHEMES:
        if auth.lower().startswith(scheme):
            auth = auth[len(scheme) :].strip()
            break
    return (auth or str(headers.get("x-api-key") or "").strip()).lower()


def read(signal: str, body: bytes, *, content_type: str, content_encoding: str, max_bytes: int) -> Message:
    """The Export<Signal>ServiceRequest of a body; Unsupported, Unreadable or TooLarge say why there is none."""
    kind = media_type(content_type)
    encoding = content_encoding.strip().lower()
    if encoding == "gzip":
        body = gunzip(body, max_bytes)
    elif encoding not in ("", "identity"):
        raise Unsupported(f"Content-Encoding {encoding!r}: send the body gzip-compressed or not compressed")
    elif len(body) > max_bytes:
        raise TooLarge(f"the body is more than {max_bytes >> 20} MB")
    message = SIGNALS[signal][0]()
    if kind == PROTOBUF:
        try:
            message.ParseFromString(body)
        except (DecodeError, RecursionError):
            raise Unreadable(f"the body is not a protobuf {message.DESCRIPTOR.name}") from None
        return message
    try:
        doc = json.loads(body.decode("utf-8-sig"))
    except UnicodeDecodeError:
        raise Unreadable("the body is not UTF-8 text") from None
    except (json.JSONDecodeError, RecursionError) as exc:
        reason = exc.msg if isinstance(exc, json.JSONDecodeError) else "nested too deep"
        raise Unreadable(f"the body is not JSON ({reason})") from None
    if not isinstance(doc, dict):
        raise Unreadable(f"an OTLP/JSON body is an object, not {type(doc).__name__}")
    try:
        json_format.ParseDict(_hex_ids_as_base64(doc), message, ignore_unknown_fields=True)
    except (json_format.ParseError, RecursionError) as exc:
        raise Unreadable(f"the body is not an OTLP/JSON {message.DESCRIPTOR.name} ({exc})") from None
    return message


def item_count(signal: str, request: Any) -> int:
    """The spans, log records or data points of an export request (what its partial success counts)."""
    if signal == "traces":
        return sum(len(ss.spans) for rs in request.resource_spans for ss in rs.scope_spans)
    if signal == "logs":
        return sum(len(sl.log_records) for rl in request.resource_logs for sl in rl.scope_logs)
    return sum(
        len(getattr(m, kind).data_points)
        for rm in request.resource_metrics
        for sm in rm.scope_metrics
        for m in sm.metrics
        if (kind := m.WhichOneof("data"))
    )


def _hex_ids_as_base64(value: Any) -> Any:
    """OTLP/JSON's hex ids in protobuf's JSON spelling (base64); an id that is not hex becomes empty (a span or
    record without a valid id is then refused on its own, not the whole body)."""
    if isinstance(value, list):
        return [_hex_ids_as_base64(v) for v in value]
    if not isinstance(value, dict):
        return value
    out = {}
    for k, v in value.items():
        if k in HEX_ID_KEYS and isinstance(v, str):
            try:
                v = base64.b64encode(bytes.fromhex(v)).decode("ascii")
            except ValueError:
                v = ""
        out[k] = _hex_ids_as_base64(v)
    return out


def _encode(message: Message, kind: str) -> bytes:
    if kind == JSON:
        return json_format.MessageToJson(message, indent=None).encode("utf-8")
    return message.SerializeToString()


def success(signal: str, kind: str, mapped: Mapped) -> bytes:
    """The Export<Signal>ServiceResponse: `partial_success` set only when something was refused."""
    response = SIGNALS[signal][1]()
    if mapped.rejected:
        partial = response.partial_success
        setattr(partial, SIGNALS[signal][2], mapped.rejected)
        rest = "the rest was stored" if mapped.rows else "nothing was stored"
        partial.error_message = "; ".join([*mapped.problems, rest])
    return _encode(response, kind)


def failure(kind: str, message: str) -> bytes:
    """A google.rpc.Status with the message, the body of every 4xx and 5xx answer."""
    return _encode(Status(message=message), kind)


# --- the parts every signal's mapping shares ---


def value(v: AnyValue) -> Any:
    """An AnyValue as Python: str, bool, int, float, bytes, list or dict (None when unset)."""
    which = v.WhichOneof("value")
    if which == "array_value":
        return [value(x) for x in v.array_value.values]
    if which == "kvlist_value":
        return attributes(v.kvlist_value.values)
    return getattr(v, which) if which else None


def attributes(kvs: Iterable[KeyValue]) -> dict[str, Any]:
    """Key-values as a dict (a repeated key: the last wins, as the SDKs' attribute maps)."""
    return {kv.key: value(kv.value) for kv in kvs}


def text(v: Any) -> str:
    """An attribute's value as the Python exporter's str() writes it; arrays and maps as JSON."""
    if isinstance(v, list | dict):
        return json.dumps(v, ensure_ascii=False, default=str)
    return str(v)


def hex_id(raw: bytes, size: int) -> str | None:
    """A trace (16 bytes) or span (8 bytes) id as lower-case hex; None when absent or all zero."""
    return binascii.hexlify(raw).decode("ascii") if len(raw) == size and any(raw) else None


def instant(unix_nano: int) -> str:
    """An envelope's time (ISO 8601, microseconds) from nanoseconds since the epoch."""
    return (EPOCH + timedelta(microseconds=unix_nano // 1000)).isoformat()


def properties(attrs: dict[str, Any], skip: Callable[[str], bool] = lambda key: False) -> dict[str, str]:
    """customDimensions: every attribute not skipped, keys up to 150 characters, values cut at 8 KiB
    (`_utils._filter_custom_properties`)."""
    return {k: text(v)[:8192] for k, v in attrs.items() if k and len(k) <= 150 and v is not None and not skip(k)}


def measurements(attrs: dict[str, Any]) -> dict[str, float]:
    """customMeasurements from the `microsoft.custom_measurements` attribute (a map or its JSON text)."""
    raw = attrs.get("microsoft.custom_measurements")
    if isinstance(raw, str):
        try:
            raw = json.loads(raw)
        except (ValueError, RecursionError):
            return {}
    if not isinstance(raw, dict):
        return {}
    return {
        str(k)[:150]: float(v)
        for k, v in raw.items()
        if k and not isinstance(v, bool) and isinstance(v, int | float) and math.isfinite(v)
    }


K8S_ROLES = ("k8s.deployment.name", "k8s.replicaset.name", "k8s.statefulset.name", "k8s.job.name",
             "k8s.cronjob.name", "k8s.daemonset.name")  # fmt: skip


def resource_tags(resource: dict[str, Any]) -> dict[str, str]:
    """The context tags the resource gives every item (`_utils._populate_part_a_fields`, `_get_cloud_role`,
    `_get_cloud_role_instance`): role = service.namespace.service.name (a k8s workload's name when the service is
    unknown_service:*), instance = k8s.pod.name or service.instance.id (the sender's host name: host.name)."""
    name = str(resource.get("service.name") or "")
    namespace = resource.get("service.namespace")
    role = f"{namespace}.{name}" if name and namespace else name
    if not name or name.startswith("unknown_service"):
        role = next((str(resource[k]) for k in K8S_ROLES if resource.get(k)), role)
    instance = resource.get("k8s.pod.name") or resource.get("service.instance.id") or resource.get("host.name")
    tags = {"ai.cloud.role": role, "ai.cloud.roleInstance": str(instance or "")}
    if resource.get("service.version"):
        tags["ai.application.ver"] = str(resource["service.version"])
    sdk = [resource.get(k) for k in ("telemetry.sdk.name", "telemetry.sdk.language", "telemetry.sdk.version")]
    if sdk[2]:
        tags["ai.internal.sdkVersion"] = f"{sdk[0] or 'otel'}-{sdk[1] or 'unknown'}:{sdk[2]}"
    return {k: v for k, v in tags.items() if v}


def location_ip(attrs: dict[str, Any]) -> str | None:
    """ai.location.ip: client.address, else http.client_ip, else net.peer.ip (`trace/_utils._get_location_ip`)."""
    ip = attrs.get("client.address") or attrs.get("http.client_ip") or attrs.get("net.peer.ip")
    return str(ip) if ip else None


def user_tags(attrs: dict[str, Any]) -> dict[str, str]:
    """ai.user.authUserId ← enduser.id, ai.user.id ← enduser.pseudo.id, ai.session.id ← session.id."""
    tags = {}
    for attr, tag in (("enduser.id", "ai.user.authUserId"), ("enduser.pseudo.id", "ai.user.id")):
        if attr in attrs:
            tags[tag] = text(attrs[attr])
    if isinstance(attrs.get("session.id"), str):
        tags["ai.session.id"] = attrs["session.id"]
    return tags
