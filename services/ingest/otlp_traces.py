"""OTLP spans as the envelopes the Azure Monitor exporter makes of them (azure-monitor-opentelemetry-exporter
`export/trace/_exporter.py` `_convert_span_to_envelope` and `_convert_span_events_to_envelopes`, with the helpers of
`export/trace/_utils.py`), then the rows mapping.to_row makes of those: SERVER and CONSUMER spans are requests, CLIENT,
PRODUCER and INTERNAL (and unspecified) spans dependencies, a span's events traces, or exceptions when named
"exception"."""

from __future__ import annotations

from typing import Any
from urllib.parse import urlparse

from opentelemetry.proto.collector.trace.v1.trace_service_pb2 import ExportTraceServiceRequest
from opentelemetry.proto.trace.v1.trace_pb2 import Span, Status

from services.ingest import otlp
from services.ingest.mapping import Refused, TimeBounds, to_row

REQUEST_KINDS = (Span.SPAN_KIND_SERVER, Span.SPAN_KIND_CONSUMER)
# attributes the exporter leaves out of customDimensions (`_is_standard_attribute`)
STANDARD_PREFIXES = ("http.", "db.", "message.", "messaging.", "rpc.", "enduser.", "net.", "peer.", "exception.",
                     "thread.", "fass.", "code.")  # fmt: skip
STANDARD = frozenset(
    {"session.id", "_MS.sampleRate", "microsoft.custom_measurements", "client.address", "client.port",
     "server.address", "server.port", "url.full", "url.path", "url.query", "url.scheme", "url.template", "error.type",
     "network.local.address", "network.local.port", "network.protocol.name", "network.peer.address",
     "network.peer.port", "network.protocol.version", "network.transport", "user_agent.original",
     "user_agent.synthetic.type"}
)  # fmt: skip
DB_PORTS = {"postgresql": 5432, "cassandra": 9042, "mariadb": 3306, "mysql": 3306, "mssql": 1433,
            "microsoft.sql_server": 1433, "memcached": 11211, "db2": 50000, "ibm.db2": 50000, "oracle": 1521,
            "oracle.db": 1521, "h2": 8082, "h2database": 8082, "derby": 1527, "redis": 6379}  # fmt: skip
SQL = frozenset({"db2", "ibm.db2", "derby", "mariadb", "mssql", "microsoft.sql_server", "oracle", "oracle.db",
                 "sqlite", "other_sql", "hsqldb", "h2", "h2database"})  # fmt: skip
DB_TYPES = {"mysql": "mysql", "postgresql": "postgresql", "mongodb": "mongodb", "redis": "redis"}


def _standard(key: str) -> bool:
    return key.startswith(STANDARD_PREFIXES) or key in STANDARD


def _method(a: dict[str, Any]) -> Any:
    return a.get("http.request.method") or a.get("http.method")


def _status_code(a: dict[str, Any]) -> int:
    code = a.get("http.response.status_code") or a.get("http.status_code")
    try:
        return int(code) if code else 0
    except (TypeError, ValueError):
        return 0


def _http_default_port(a: dict[str, Any]) -> int:
    return {"http": 80, "https": 443}.get(str(a.get("url.scheme") or a.get("http.scheme") or ""), 0)


def _request_url(a: dict[str, Any]) -> str:
    """`_get_url_for_http_request`: url.full, http.url, or scheme://host[:port]target."""
    if a.get("url.full") or a.get("http.url"):
        return str(a.get("url.full") or a.get("http.url"))
    scheme = a.get("url.scheme") or a.get("http.scheme")
    target = a.get("url.path") or ""
    if target and a.get("url.query"):
        target = f"{target}?{a['url.query']}"
    target = target or a.get("http.target") or ""
    if not (scheme and target):
        return ""
    if a.get("server.address"):
        host = f"{a['server.address']}:{a['server.port']}" if "server.port" in a else a["server.address"]
        return f"{scheme}://{host}{target}"
    if a.get("http.host"):
        return f"{scheme}://{a['http.host']}{target}"
    name = a.get("http.server_name") or a.get("net.host.name")
    return f"{scheme}://{name}:{a.get('net.host.port', '')}{target}" if name else ""


def _dependency_url(a: dict[str, Any]) -> str:
    """`_get_url_for_http_dependency`: url.full, http.url, or scheme://host|peer:port target."""
    if a.get("url.full") or a.get("http.url"):
        return str(a.get("url.full") or a.get("http.url"))
    scheme, target = a.get("url.scheme") or a.get("http.scheme"), a.get("http.target")
    if not (scheme and target):
        return ""
    if a.get("http.host"):
        return f"{scheme}://{a['http.host']}{target}"
    peer = a.get("net.peer.name") or a.get("net.peer.ip")
    return f"{scheme}://{peer}:{a['net.peer.port']}{target}" if peer and "net.peer.port" in a else ""


def _peer_target(a: dict[str, Any]) -> str:
    """`_get_target_for_dependency_from_peer`: peer.service, else net.peer.name|ip[:port unless a default port]."""
    if a.get("peer.service"):
        return str(a["peer.service"])
    target = str(a.get("net.peer.name") or a.get("net.peer.ip") or "")
    port = a.get("net.peer.port")
    db = str(a.get("db.system.name") or a.get("db.system"))
    if port is not None and port != _http_default_port(a) and port != DB_PORTS.get(db, 0):
        target = f"{target}:{port}"
    return target


def _http_target_and_path(a: dict[str, Any], url: str) -> tuple[str, str]:
    """`_get_target_and_path_for_http_dependency`: server.address[:port unless the scheme's default], peer.service,
    http.host, the URL's host, the peer; the path of the URL ("/" when it has none)."""
    parsed = urlparse(url)
    path, default = parsed.path or "/", _http_default_port(a)
    if a.get("server.address"):
        port = a.get("server.port")
        # the exporter writes "host:None" when server.port is missing (REFERENCE-next.md §1): the host alone here
        target = str(a["server.address"]) if port in (None, default) else f"{a['server.address']}:{port}"
    elif a.get("peer.service"):
        target = str(a["peer.service"])
    elif a.get("http.host"):
        host = urlparse("//" + str(a["http.host"]))
        target = str(host.hostname if host.port == default else a["http.host"])
    elif parsed.port and parsed.port == default:
        target = parsed.hostname or ""
    else:
        target = parsed.netloc
    return target or _peer_target(a), path


def _db_target(target: str, system: str, a: dict[str, Any]) -> str:
    """`_get_target_for_db_dependency`: server.address[:port unless the database's default] then |db.namespace."""
    if not target and a.get("server.address"):
        port = a.get("server.port")
        target = str(a["server.address"]) + (f":{port}" if port and port != DB_PORTS.get(system, 0) else "")
    name = a.get("db.namespace") or a.get("db.name")
    if name:
        return f"{target}|{name}" if target else str(name)
    return target or system


def _messaging_target(target: str, a: dict[str, Any]) -> str:
    dest = a.get("messaging.destination") or a.get("messaging.destination.name")
    return target or str(dest or a.get("messaging.system") or "")


def _azure_target(a: dict[str, Any]) -> str | None:
    """`_get_azure_sdk_target_source` (Service Bus, Event Hubs): host/destination."""
    host = a.get("server.address") or a.get("net.peer.name") or a.get("peer.address")
    dest = a.get("messaging.destination.name") or a.get("message_bus.destination")
    return f"{host}/{dest}" if host and dest else None


def _request(a: dict[str, Any], base: dict[str, Any], tags: dict[str, str]) -> None:
    ip = otlp.location_ip(a)
    if ip:
        tags["ai.location.ip"] = ip
    if "az.namespace" in a:
        base["source"] = _azure_target(a)
    elif _method(a):
        url = _request_url(a)
        if url:
            base["url"] = url[:2048]
        if a.get("http.route"):
            tags["ai.operation.name"] = f"{_method(a)} {a['http.route']}"
        elif url:
            tags["ai.operation.name"] = f"{_method(a)} {urlparse(url).path or '/'}"
        code = _status_code(a)
        base["responseCode"] = str(code)
        # `_is_status_code_success(code, is_trace=True)`: no code is a failure, a 4xx is, a 5xx is not by itself
        base["success"] = base["success"] and code != 0 and not 400 <= code < 500
    elif a.get("messaging.system") and a.get("messaging.destination"):
        peer = a.get("client.address") or a.get("net.peer.name") or a.get("net.peer.ip")
        base["source"] = f"{peer}/{a['messaging.destination']}" if peer else str(a["messaging.destination"])


def _dependency(kind: int, a: dict[str, Any], base: dict[str, Any], tags: dict[str, str]) -> None:
    target = _peer_target(a)
    if kind == Span.SPAN_KIND_CLIENT:
        gen_ai = str(a.get("gen_ai.system") or "")
        system = str(a.get("db.system.name") or a.get("db.system") or "")
        if "az.namespace" in a:
            base["type"], base["target"] = a["az.namespace"], _azure_target(a)
        elif _method(a):
            base["type"], url = "HTTP", _dependency_url(a)
            if url:
                base["data"] = url
            target, path = _http_target_and_path(a, url)
            base["name"] = tags["ai.operation.name"] = f"{_method(a)} {path}"
            base["resultCode"] = str(_status_code(a))
        elif system:
            base["type"] = DB_TYPES.get(system) or ("SQL" if system in SQL else system)
            for key in ("db.query.text", "db.statement", "db.operation.name", "db.operation"):
                if key in a:
                    base["data"] = otlp.text(a[key])
                    break
            target = _db_target(target, system, a)
        elif a.get("messaging.system"):
            base["type"], target = a["messaging.system"], _messaging_target(target, a)
        elif a.get("rpc.system"):
            base["type"], target = a["rpc.system"], target or str(a["rpc.system"])
        else:
            base["type"] = "N/A"
        if gen_ai:  # gen_ai wins over the other kinds, and is the target when nothing else is
            base["type"] = f"GenAI | {gen_ai}"
            if not target and not base.get("target"):
                target = gen_ai
    elif kind == Span.SPAN_KIND_PRODUCER:
        if "az.namespace" in a:
            base["type"], target = f"Queue Message | {a['az.namespace']}", _azure_target(a) or ""
        else:
            queue = a.get("messaging.system")
            base["type"] = "Queue Message" + (f" | {queue}" if queue else "")
            target = _messaging_target(target, a)
    else:
        base["type"] = f"GenAI | {a['gen_ai.system']}" if a.get("gen_ai.system") else "InProc"
        if "az.namespace" in a and not a.get("gen_ai.system"):
            base["type"] += f" | {a['az.namespace']}"
    if target:
        base["target"] = str(target)[:1024]
    if base.get("data"):
        base["data"] = str(base["data"])[:8192]


def _tags(span: Span, a: dict[str, Any], resource: dict[str, str]) -> dict[str, str]:
    tags = {**resource, "ai.operation.id": otlp.hex_id(span.trace_id, 16) or "", **otlp.user_tags(a)}
    parent = otlp.hex_id(span.parent_span_id, 8)
    if parent:
        tags["ai.operation.parentId"] = parent
    return tags


def envelope(span: Span, resource: dict[str, str]) -> dict[str, Any]:
    """The Request or RemoteDependency envelope of one span; Refused for a span without valid ids or times."""
    trace_id, span_id = otlp.hex_id(span.trace_id, 16), otlp.hex_id(span.span_id, 8)
    if not trace_id or not span_id:
        raise Refused("a span has a 16-byte traceId and an 8-byte spanId, not all zero")
    if span.parent_span_id and not otlp.hex_id(span.parent_span_id, 8):
        raise Refused("parentSpanId is not 8 bytes")
    if not span.start_time_unix_nano:
        raise Refused("the span has no startTimeUnixNano")
    if span.end_time_unix_nano and span.end_time_unix_nano < span.start_time_unix_nano:
        raise Refused("the span ends before it starts")
    a = otlp.attributes(span.attributes)
    tags = _tags(span, a, resource)
    tags["ai.operation.name"] = span.name
    ms = (span.end_time_unix_nano - span.start_time_unix_nano) / 1e6 if span.end_time_unix_nano else 0.0
    ok = span.status.code != Status.STATUS_CODE_ERROR
    base: dict[str, Any] = {"id": span_id, "name": span.name, "duration": ms, "success": ok,
                            "properties": otlp.properties(a, _standard),
                            "measurements": otlp.measurements(a)}  # fmt: skip
    if span.kind in REQUEST_KINDS:
        kind, base["responseCode"] = "Request", "0"
        _request(a, base, tags)
    else:
        kind, base["resultCode"] = "RemoteDependency", "0"
        _dependency(span.kind, a, base, tags)
    base["name"] = (tags.get("ai.operation.name") or base["name"])[:1024]
    if span.links:
        links = [{"operation_Id": otlp.hex_id(x.trace_id, 16), "id": otlp.hex_id(x.span_id, 8)} for x in span.links]
        base["properties"]["_MS.links"] = otlp.text(links[:103])
    out = {"name": f"Microsoft.ApplicationInsights.{kind}", "time": otlp.instant(span.start_time_unix_nano),
           "tags": tags, "data": {"baseType": f"{kind}Data", "baseData": base}}  # fmt: skip
    if "_MS.sampleRate" in a:
        out["sampleRate"] = a["_MS.sampleRate"]
    return out


def events(span: Span, resource: dict[str, str]) -> list[dict[str, Any]]:
    """The Message (or, for an "exception" event, Exception) envelopes of a span's events."""
    out = []
    span_attrs = otlp.attributes(span.attributes)
    for event in span.events:
        a = otlp.attributes(event.attributes)
        tags = {**resource, "ai.operation.id": otlp.hex_id(span.trace_id, 16) or "",
                "ai.operation.parentId": otlp.hex_id(span.span_id, 8) or ""}  # fmt: skip
        session = a.get("session.id") if isinstance(a.get("session.id"), str) else span_attrs.get("session.id")
        if isinstance(session, str):
            tags["ai.session.id"] = session
        base: dict[str, Any] = {"properties": otlp.properties(a, _standard), "measurements": otlp.measurements(a)}
        if event.name == "exception":
            kind = "Exception"
            stack = a.get("exception.stacktrace")
            base["exceptions"] = [{"typeName": str(a.get("exception.type") or "Exception")[:1024],
                                   "message": str(a.get("exception.message") or "Exception")[:32768],
                                   "hasFullStack": stack is not None, "stack": str(stack)[:32768]}]  # fmt: skip
        else:
            kind, base["message"] = "Message", event.name[:32768]
        envelope = {"name": f"Microsoft.ApplicationInsights.{kind}", "tags": tags,
                    "time": otlp.instant(event.time_unix_nano or span.start_time_unix_nano),
                    "data": {"baseType": f"{kind}Data", "baseData": base}}  # fmt: skip
        if "_MS.sampleRate" in span_attrs:
            envelope["sampleRate"] = span_attrs["_MS.sampleRate"]
        out.append(envelope)
    return out


def to_rows(request: ExportTraceServiceRequest, bounds: TimeBounds | None = None) -> otlp.Mapped:
    """Every span's rows (its request or dependency and its events'); a refused span stores nothing (so does one of
    its events timed outside `bounds`)."""
    mapped = otlp.Mapped()
    for rs in request.resource_spans:
        resource = otlp.resource_tags(otlp.attributes(rs.resource.attributes))
        for ss in rs.scope_spans:
            for span in ss.spans:
                try:
                    rows = [to_row(e, bounds) for e in (envelope(span, resource), *events(span, resource))]
                except Refused as exc:
                    mapped.refuse(f"span {span.name!r}: {exc}", exc)
                    continue
                for table, row in rows:
                    mapped.add(table, row)
    return mapped
