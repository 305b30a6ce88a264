"""OTLP spans, log records and data points become the rows Azure's exporter would make of them (the rules of
azure-monitor-opentelemetry-exporter's `_exporter.py` files, docs/ingestion.md "OpenTelemetry OTLP/HTTP")."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any

import pytest
from opentelemetry.proto.collector.logs.v1.logs_service_pb2 import ExportLogsServiceRequest
from opentelemetry.proto.collector.metrics.v1.metrics_service_pb2 import ExportMetricsServiceRequest
from opentelemetry.proto.collector.trace.v1.trace_service_pb2 import ExportTraceServiceRequest
from opentelemetry.proto.common.v1.common_pb2 import AnyValue, KeyValue
from opentelemetry.proto.logs.v1.logs_pb2 import LogRecord
from opentelemetry.proto.metrics.v1 import metrics_pb2 as m
from opentelemetry.proto.trace.v1.trace_pb2 import Span, Status

from services.ingest import otlp, otlp_logs, otlp_metrics, otlp_traces

T0 = 1_796_126_400_000_000_000  # 2026-12-01T12:00:00Z in nanoseconds
TRACE = bytes.fromhex("5b8efff798038103d269b633813fc60c")
SPAN, PARENT = bytes.fromhex("eee19b7ec3c1b174"), bytes.fromhex("eee19b7ec3c1b173")
RESOURCE = {"service.name": "api", "service.namespace": "mana", "service.instance.id": "pod-7",
            "service.version": "2026.12.1"}  # fmt: skip


def kvs(attrs: dict[str, Any]) -> list[KeyValue]:
    out = []
    for k, v in attrs.items():
        field = {bool: "bool_value", int: "int_value", float: "double_value"}.get(type(v), "string_value")
        out.append(KeyValue(key=k, value=AnyValue(**{field: v})))
    return out


def spans(*items: Span, resource: dict[str, Any] | None = None) -> ExportTraceServiceRequest:
    req = ExportTraceServiceRequest()
    rs = req.resource_spans.add()
    rs.resource.attributes.extend(kvs(RESOURCE if resource is None else resource))
    rs.scope_spans.add().spans.extend(items)
    return req


def span(kind: int, attrs: dict[str, Any], *, name: str = "op", ms: float = 120, error: bool = False,
         **fields: Any) -> Span:  # fmt: skip
    base = {"trace_id": TRACE, "span_id": SPAN, "parent_span_id": PARENT, "start_time_unix_nano": T0,
            "end_time_unix_nano": T0 + int(ms * 1e6)}  # fmt: skip
    s = Span(name=name, kind=kind, attributes=kvs(attrs), **{**base, **fields})  # type: ignore[arg-type]
    if error:
        s.status.code = Status.STATUS_CODE_ERROR
    return s


def one(request: Any, mapper: Any = otlp_traces.to_rows) -> tuple[str, dict[str, Any]]:
    mapped = mapper(request)
    assert mapped.rejected == 0, mapped.problems
    ((table, rows),) = mapped.rows.items()
    return table, rows[0]


HTTP_SERVER = {"http.request.method": "GET", "url.full": "https://mana.example/api/shops/7?x=1",
               "http.route": "/api/shops/{id}", "http.response.status_code": 200, "client.address": "10.1.2.3",
               "tenant": "th", "_MS.sampleRate": 25.0}  # fmt: skip


def test_a_server_span_is_a_request_with_the_exporters_columns() -> None:
    table, row = one(spans(span(Span.SPAN_KIND_SERVER, HTTP_SERVER, name="GET", ms=120.5)))
    assert table == "AppRequests"
    assert row == {
        "TimeGenerated": datetime(2026, 12, 1, 12, 0, tzinfo=UTC), "AppRoleName": "mana.api",
        "AppRoleInstance": "pod-7", "AppVersion": "2026.12.1", "OperationId": TRACE.hex(),
        "OperationName": "GET /api/shops/{id}", "ParentId": PARENT.hex(), "SessionId": None, "UserId": None,
        "UserAuthenticatedId": None, "ClientIP": "10.1.2.3", "ClientType": "PC", "SDKVersion": None,
        # the standard attributes (http.*, url.*, client.*, _MS.*) stay out of Properties
        "Properties": '{"tenant":"th"}', "Id": SPAN.hex(), "Name": "GET /api/shops/{id}",
        "Url": "https://mana.example/api/shops/7?x=1", "Success": True, "ResultCode": "200", "DurationMs": 120.5,
        "Source": None, "PerformanceBucket": "<250ms", "Measurements": None, "ItemCount": 4,  # 100 / 25 %
    }  # fmt: skip


@pytest.mark.parametrize(
    ("attrs", "error", "name", "code", "success"),
    [({"http.route": "/a"}, False, "GET /a", "200", True),
     ({"http.route": None, "url.full": "https://m/api/x?y=1"}, False, "GET /api/x", "200", True),  # the path
     ({"http.response.status_code": 404}, False, "GET /a", "404", False),  # a 4xx fails the request
     ({"http.response.status_code": 503}, False, "GET /a", "503", True),  # a 5xx alone does not (Azure's rule)...
     ({"http.response.status_code": 503}, True, "GET /a", "503", False),  # ...the span status ERROR does
     ({"http.response.status_code": None, "http.status_code": 302}, False, "GET /a", "302", True),  # old semconv
     ({"http.response.status_code": None}, False, "GET /a", "0", False)],  # no code: not a success
)  # fmt: skip
def test_a_requests_name_result_code_and_success(
    attrs: dict[str, Any], error: bool, name: str, code: str, success: bool
) -> None:
    a = {"http.request.method": "GET", "http.route": "/a", "http.response.status_code": 200, **attrs}
    _, row = one(spans(span(Span.SPAN_KIND_SERVER, {k: v for k, v in a.items() if v is not None}, error=error)))
    assert (row["Name"], row["OperationName"], row["ResultCode"], row["Success"]) == (name, name, code, success)


def test_a_consumer_span_is_a_request_named_by_the_span() -> None:
    a = {"messaging.system": "kafka", "messaging.destination": "orders", "net.peer.name": "broker"}
    table, row = one(spans(span(Span.SPAN_KIND_CONSUMER, a, name="orders process", error=True)))
    assert (table, row["Name"], row["Source"], row["ResultCode"], row["Success"]) == (
        "AppRequests", "orders process", "broker/orders", "0", False)  # fmt: skip


@pytest.mark.parametrize(
    ("kind", "attrs", "dep_type", "target", "name", "data"),
    [(Span.SPAN_KIND_CLIENT, {"http.request.method": "POST", "url.full": "https://api.dopa.go.th/verify",
                              "url.scheme": "https", "server.address": "api.dopa.go.th", "server.port": 443},
      "HTTP", "api.dopa.go.th", "POST /verify", "https://api.dopa.go.th/verify"),
     (Span.SPAN_KIND_CLIENT, {"http.request.method": "GET", "url.full": "http://stub:8443/x",
                              "server.address": "stub", "server.port": 8443}, "HTTP", "stub:8443", "GET /x",
      "http://stub:8443/x"),
     (Span.SPAN_KIND_CLIENT, {"http.request.method": "GET", "url.full": "https://dopa.local/v"},  # no server.*
      "HTTP", "dopa.local", "GET /v", "https://dopa.local/v"),
     (Span.SPAN_KIND_CLIENT, {"db.system.name": "postgresql", "server.address": "db.mana", "server.port": 5432,
                              "db.namespace": "mana", "db.query.text": "SELECT 1"},
      "postgresql", "db.mana|mana", "op", "SELECT 1"),
     (Span.SPAN_KIND_CLIENT, {"db.system": "mssql", "server.address": "sql", "server.port": 14330,
                              "db.statement": "EXEC p"}, "SQL", "sql:14330", "op", "EXEC p"),
     (Span.SPAN_KIND_CLIENT, {"db.system": "redis", "net.peer.name": "cache", "net.peer.port": 6379},
      "redis", "cache", "op", None),
     (Span.SPAN_KIND_CLIENT, {"messaging.system": "kafka", "messaging.destination": "orders"},
      "kafka", "orders", "op", None),
     (Span.SPAN_KIND_CLIENT, {"rpc.system": "grpc", "peer.service": "billing"}, "grpc", "billing", "op", None),
     (Span.SPAN_KIND_CLIENT, {"gen_ai.system": "openai"}, "GenAI | openai", "openai", "op", None),
     (Span.SPAN_KIND_CLIENT, {}, "N/A", None, "op", None),
     (Span.SPAN_KIND_PRODUCER, {"messaging.system": "rabbitmq", "messaging.destination": "mail"},
      "Queue Message | rabbitmq", "mail", "op", None),
     (Span.SPAN_KIND_INTERNAL, {}, "InProc", None, "op", None),
     (Span.SPAN_KIND_UNSPECIFIED, {"az.namespace": "Microsoft.KeyVault"}, "InProc | Microsoft.KeyVault", None,
      "op", None)],
)  # fmt: skip
def test_dependency_types_and_targets(
    kind: int, attrs: dict[str, Any], dep_type: str, target: str | None, name: str, data: str | None
) -> None:
    table, row = one(spans(span(kind, attrs, ms=80)))
    assert table == "AppDependencies"
    assert (row["DependencyType"], row["Target"], row["Name"], row["Data"]) == (dep_type, target, name, data)
    assert (row["DurationMs"], row["Success"], row["ResultCode"]) == (80.0, True, "0")


def test_a_dependencys_success_is_its_span_status_and_its_code_the_http_status() -> None:
    a = {"http.request.method": "POST", "url.full": "https://api.dopa.go.th/verify", "http.response.status_code": 503}
    _, row = one(spans(span(Span.SPAN_KIND_CLIENT, a, error=True)))
    assert (row["ResultCode"], row["Success"]) == ("503", False)
    _, row = one(spans(span(Span.SPAN_KIND_CLIENT, {**a, "http.response.status_code": 404})))
    assert (row["ResultCode"], row["Success"]) == ("404", True)  # the status alone decides, as in the exporter


def test_span_events_are_traces_and_exceptions_of_the_span() -> None:
    s = span(Span.SPAN_KIND_INTERNAL, {"session.id": "s1"})
    s.events.add(time_unix_nano=T0 + 5_000_000, name="cache miss", attributes=kvs({"key": "shop:7"}))
    s.events.add(time_unix_nano=T0 + 6_000_000, name="exception",
                 attributes=kvs({"exception.type": "TimeoutError", "exception.message": "DOPA timed out",
                                 "exception.stacktrace": "Traceback ..."}))  # fmt: skip
    mapped = otlp_traces.to_rows(spans(s))
    (trace,), (exc,) = mapped.rows["AppTraces"], mapped.rows["AppExceptions"]
    assert (trace["Message"], trace["ParentId"], trace["SessionId"], trace["Properties"]) == (
        "cache miss", SPAN.hex(), "s1", '{"key":"shop:7"}')  # fmt: skip
    assert trace["TimeGenerated"] == datetime(2026, 12, 1, 12, 0, 0, 5000, tzinfo=UTC)
    assert (exc["ExceptionType"], exc["Message"], exc["OperationId"], exc["ParentId"]) == (
        "TimeoutError", "DOPA timed out", TRACE.hex(), SPAN.hex())  # fmt: skip
    assert json.loads(exc["Details"])[0]["stack"] == "Traceback ..."


@pytest.mark.parametrize(
    ("resource", "role", "instance"),
    [({"service.name": "api"}, "api", ""),
     ({"service.name": "unknown_service:python", "k8s.deployment.name": "mana-api", "k8s.pod.name": "mana-api-7f",
       "service.instance.id": "i-1"}, "mana-api", "mana-api-7f"),
     ({"service.name": "api", "host.name": "vm-3"}, "api", "vm-3")],
)  # fmt: skip
def test_the_role_and_the_instance_from_the_resource(resource: dict[str, Any], role: str, instance: str) -> None:
    _, row = one(spans(span(Span.SPAN_KIND_SERVER, {}), resource=resource))
    assert (row["AppRoleName"], row["AppRoleInstance"] or "") == (role, instance)


@pytest.mark.parametrize(
    ("fields", "problem"),
    [({"trace_id": b""}, "16-byte traceId"), ({"span_id": bytes(8)}, "8-byte spanId"),
     ({"parent_span_id": b"\x01"}, "parentSpanId is not 8 bytes"), ({"start_time_unix_nano": 0}, "no startTime"),
     ({"end_time_unix_nano": T0 - 1}, "ends before it starts")],
)  # fmt: skip
def test_a_span_that_cannot_be_a_row_is_refused_alone(fields: dict[str, Any], problem: str) -> None:
    mapped = otlp_traces.to_rows(spans(span(Span.SPAN_KIND_SERVER, {}, **fields), span(Span.SPAN_KIND_SERVER, {})))
    assert (mapped.rejected, len(mapped.rows["AppRequests"])) == (1, 1)
    assert problem in mapped.problems[0]


def logs(*records: LogRecord, scope: str = "mana.identity") -> ExportLogsServiceRequest:
    req = ExportLogsServiceRequest()
    rl = req.resource_logs.add()
    rl.resource.attributes.extend(kvs(RESOURCE))
    sl = rl.scope_logs.add()
    sl.scope.name = scope
    sl.log_records.extend(records)
    return req


def record(body: str, severity: int = 9, attrs: dict[str, Any] | None = None, **fields: Any) -> LogRecord:
    return LogRecord(time_unix_nano=fields.pop("time_unix_nano", T0), severity_number=severity,  # type: ignore[arg-type]
                     body=AnyValue(string_value=body), attributes=kvs(attrs or {}), **fields)  # fmt: skip


@pytest.mark.parametrize(("number", "level"), [(0, 0), (1, 0), (5, 0), (8, 0), (9, 1), (12, 1), (13, 2), (17, 3),
                                               (20, 3), (21, 4), (24, 4)])  # fmt: skip
def test_severity_numbers_become_severity_levels(number: int, level: int) -> None:
    table, row = one(logs(record("x", number)), otlp_logs.to_rows)
    assert (table, row["SeverityLevel"]) == ("AppTraces", level)


def test_a_log_record_is_a_trace_of_its_span() -> None:
    r = record("  DOPA answered 503 for a1 ", 13, {"account": "a1", "enduser.id": "u@mana"}, trace_id=TRACE,
               span_id=SPAN)  # fmt: skip
    _, row = one(logs(r), otlp_logs.to_rows)
    assert (row["Message"], row["SeverityLevel"], row["OperationId"], row["ParentId"], row["UserAuthenticatedId"]) == (
        "DOPA answered 503 for a1", 2, TRACE.hex(), SPAN.hex(), "u@mana")  # fmt: skip
    assert json.loads(row["Properties"]) == {"account": "a1", "logger_name": "mana.identity"}
    _, row = one(logs(record("", observed_time_unix_nano=T0, time_unix_nano=0)), otlp_logs.to_rows)
    assert (row["Message"], row["OperationId"], row["TimeGenerated"]) == (
        "n/a", None, datetime(2026, 12, 1, 12, 0, tzinfo=UTC))  # fmt: skip


def test_a_log_record_with_an_exception_is_an_exception_and_a_custom_event_an_event() -> None:
    exc = {"exception.type": "TimeoutError", "exception.message": "timed out after 30 s",
           "exception.stacktrace": "Traceback ...", "shop": "7"}  # fmt: skip
    table, row = one(logs(record("DOPA verification failed", 17, exc)), otlp_logs.to_rows)
    assert (table, row["ExceptionType"], row["Message"], row["SeverityLevel"], row["ProblemId"]) == (
        "AppExceptions", "TimeoutError", "DOPA verification failed", 3, "TimeoutError")  # fmt: skip
    assert json.loads(row["Properties"]) == {"shop": "7", "logger_name": "mana.identity"}
    table, row = one(logs(record("", attrs={**exc, "exception.type": ""})), otlp_logs.to_rows)
    assert (table, row["ExceptionType"], row["Message"]) == ("AppExceptions", "Exception", "timed out after 30 s")
    table, row = one(logs(record("x", attrs={"microsoft.custom_event.name": "OrderPlaced"})), otlp_logs.to_rows)
    assert (table, row["Name"]) == ("AppEvents", "OrderPlaced")


def test_a_log_record_without_a_time_is_refused() -> None:
    mapped = otlp_logs.to_rows(logs(record("a", time_unix_nano=0), record("b"), record("c", trace_id=b"\x01")))
    assert (mapped.rejected, [r["Message"] for r in mapped.rows["AppTraces"]]) == (2, ["b"])
    assert mapped.problems == [
        "log record: a log record has neither timeUnixNano nor observedTimeUnixNano",
        "log record: a log record's traceId is 16 bytes and its spanId 8",
    ]


def metrics(*items: m.Metric) -> ExportMetricsServiceRequest:
    req = ExportMetricsServiceRequest()
    rm = req.resource_metrics.add()
    rm.resource.attributes.extend(kvs(RESOURCE))
    rm.scope_metrics.add().metrics.extend(items)
    return req


def test_each_data_point_is_an_appmetrics_row() -> None:
    point = {"time_unix_nano": T0, "attributes": kvs({"shop": "7"})}
    req = metrics(
        m.Metric(name="orders.placed", sum=m.Sum(data_points=[m.NumberDataPoint(as_int=5, **point)])),
        m.Metric(name="queue.depth", gauge=m.Gauge(data_points=[m.NumberDataPoint(as_double=2.5, **point)])),
        m.Metric(name="checkout.duration", histogram=m.Histogram(data_points=[
            m.HistogramDataPoint(sum=400.0, count=2, min=100.0, max=300.0, **point)])),
        m.Metric(name="payload.size", exponential_histogram=m.ExponentialHistogram(data_points=[
            m.ExponentialHistogramDataPoint(sum=30.0, count=3, min=5.0, max=15.0, **point)])),
        m.Metric(name="gc.pause", summary=m.Summary(data_points=[m.SummaryDataPoint(
            sum=9.0, count=4, quantile_values=[m.SummaryDataPoint.ValueAtQuantile(quantile=0.0, value=1.0),
                                               m.SummaryDataPoint.ValueAtQuantile(quantile=1.0, value=4.0)],
            **point)])),
        m.Metric(name="Item_Success_Count", sum=m.Sum(data_points=[m.NumberDataPoint(as_int=12, **point)])),
    )  # fmt: skip
    mapped = otlp_metrics.to_rows(req)
    assert [(r["Name"], r["Sum"], r["Min"], r["Max"], r["ItemCount"]) for r in mapped.rows["AppMetrics"]] == [
        ("orders.placed", 5.0, 5.0, 5.0, 1),
        ("queue.depth", 2.5, 2.5, 2.5, 1),
        ("checkout.duration", 400.0, 100.0, 300.0, 2),
        ("payload.size", 30.0, 5.0, 15.0, 3),
        ("gc.pause", 9.0, 1.0, 4.0, 4),
    ]
    row = mapped.rows["AppMetrics"][0]
    assert (row["AppRoleName"], row["Properties"], row["TimeGenerated"]) == (
        "mana.api", '{"shop":"7"}', datetime(2026, 12, 1, 12, 0, tzinfo=UTC))  # fmt: skip
    assert [r["Name"] for r in mapped.rows["AppSdkStats"]] == ["Item_Success_Count"]  # apart, as on the track path


def test_a_point_without_a_finite_value_is_refused_and_one_without_a_recording_skipped() -> None:
    req = metrics(m.Metric(name="queue.depth", gauge=m.Gauge(data_points=[
        m.NumberDataPoint(as_double=float("nan"), time_unix_nano=T0), m.NumberDataPoint(time_unix_nano=T0),
        m.NumberDataPoint(as_int=3, time_unix_nano=0), m.NumberDataPoint(as_int=4, time_unix_nano=T0),
        m.NumberDataPoint(time_unix_nano=T0, flags=m.DATA_POINT_FLAGS_NO_RECORDED_VALUE_MASK)])))  # fmt: skip
    mapped = otlp_metrics.to_rows(req)
    assert (mapped.rejected, [r["Sum"] for r in mapped.rows["AppMetrics"]]) == (3, [4.0])
    assert mapped.problems == [
        "metric 'queue.depth' has a value that is not a finite number",
        "a data point has neither asDouble nor asInt",
        "a point of metric 'queue.depth' has no timeUnixNano",
    ]


def test_otlp_json_hex_ids_are_read_as_ids_not_base64() -> None:
    body = {"resourceSpans": [{"scopeSpans": [{"spans": [
        {"traceId": TRACE.hex().upper(), "spanId": SPAN.hex(), "name": "GET", "kind": 2, "someFutureField": 1,
         "startTimeUnixNano": str(T0), "endTimeUnixNano": str(T0 + 1_000_000), "status": {"code": 2},
         "links": [{"traceId": TRACE.hex(), "spanId": PARENT.hex()}]}]}]}]}  # fmt: skip
    req = otlp.read("traces", json.dumps(body).encode(), content_type="application/json", content_encoding="",
                    max_bytes=1 << 20)  # fmt: skip
    s = req.resource_spans[0].scope_spans[0].spans[0]  # type: ignore[attr-defined]
    assert (s.trace_id, s.span_id, s.kind, s.status.code, s.links[0].span_id) == (TRACE, SPAN, 2, 2, PARENT)
    _, row = one(req)
    assert json.loads(json.loads(row["Properties"])["_MS.links"]) == [{"operation_Id": TRACE.hex(), "id": PARENT.hex()}]
