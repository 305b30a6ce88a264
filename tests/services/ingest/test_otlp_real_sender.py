"""The real OpenTelemetry Python SDK with its OTLP/HTTP exporters (opentelemetry-exporter-otlp-proto-http), pointed at
the backoffice by OTEL_EXPORTER_OTLP_ENDPOINT and given the key by OTEL_EXPORTER_OTLP_HEADERS, exports a request with
its DOPA call and database query, two logs and two metrics; KQL on the store reads them as Azure would show them."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy.engine import Engine

from tests.services.ingest.test_mapping import KEY
from tests.services.ingest.test_otlp import serving
from tests.services.ingest.test_real_exporter import rows


@pytest.fixture
def api(sqlite_engine: Engine, isolated_settings: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:
    with serving(monkeypatch, isolated_settings) as url:
        yield url


# mana's side, in a process of its own (as mana is): a global tracer provider would instrument the API under test too
SENDER = """
import logging
from opentelemetry import trace
from opentelemetry.exporter.otlp.proto.http import Compression
from opentelemetry.exporter.otlp.proto.http._log_exporter import OTLPLogExporter
from opentelemetry.exporter.otlp.proto.http.metric_exporter import OTLPMetricExporter
from opentelemetry.exporter.otlp.proto.http.trace_exporter import OTLPSpanExporter
from opentelemetry.sdk._logs import LoggerProvider, LoggingHandler
from opentelemetry.sdk._logs.export import SimpleLogRecordProcessor
from opentelemetry.sdk.metrics import Counter, Histogram, MeterProvider
from opentelemetry.sdk.metrics.export import AggregationTemporality, PeriodicExportingMetricReader
from opentelemetry.sdk.resources import Resource
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import SimpleSpanProcessor
from opentelemetry.trace import SpanKind, Status, StatusCode

T0 = 1_796_126_400_000_000_000  # 2026-12-01T12:00:00Z
MS = 1_000_000
resource = Resource.create({"service.name": "api", "service.namespace": "mana", "service.instance.id": "pod-7",
                            "service.version": "2026.12.1"})
provider = TracerProvider(resource=resource)
provider.add_span_processor(SimpleSpanProcessor(OTLPSpanExporter()))
tracer = provider.get_tracer("mana")
server = tracer.start_span("GET", kind=SpanKind.SERVER, start_time=T0, attributes={
    "http.request.method": "GET", "url.full": "https://mana.example/api/shops/7", "http.route": "/api/shops/{id}",
    "http.response.status_code": 200, "client.address": "10.1.2.3"})
inside = trace.set_span_in_context(server)
call = tracer.start_span("POST", kind=SpanKind.CLIENT, context=inside, start_time=T0 + 10 * MS, attributes={
    "http.request.method": "POST", "url.full": "https://api.dopa.go.th/verify", "url.scheme": "https",
    "server.address": "api.dopa.go.th", "server.port": 443, "http.response.status_code": 503})
call.set_status(Status(StatusCode.ERROR))  # as HTTP client instrumentation marks a 5xx answer
call.end(end_time=T0 + 90 * MS)
query = tracer.start_span("SELECT mana.shops", kind=SpanKind.CLIENT, context=inside, start_time=T0 + 95 * MS,
                          attributes={"db.system.name": "postgresql", "server.address": "db.mana",
                                      "server.port": 5432, "db.namespace": "mana",
                                      "db.query.text": "SELECT * FROM shops WHERE id = $1"})
query.end(end_time=T0 + 107_500_000)
server.end(end_time=T0 + 120 * MS)
provider.shutdown()

log_provider = LoggerProvider(resource=resource)
log_provider.add_log_record_processor(SimpleLogRecordProcessor(OTLPLogExporter(compression=Compression.Gzip)))
logger = logging.getLogger("mana.identity")
logger.propagate = False
logger.addHandler(LoggingHandler(logger_provider=log_provider))
logger.warning("DOPA answered 503 for a1")
try:
    raise TimeoutError("DOPA timed out after 30 s")
except TimeoutError:
    logger.exception("DOPA verification failed")
log_provider.shutdown()

delta = {Counter: AggregationTemporality.DELTA, Histogram: AggregationTemporality.DELTA}  # as Azure's exporter asks
reader = PeriodicExportingMetricReader(OTLPMetricExporter(preferred_temporality=delta),
                                       export_interval_millis=3_600_000)
meters = MeterProvider(resource=resource, metric_readers=[reader])
meter = meters.get_meter("mana")
orders = meter.create_counter("orders.placed")
orders.add(3, {"shop": "7"})
orders.add(2, {"shop": "7"})
checkout = meter.create_histogram("checkout.duration", unit="ms")
checkout.record(100)
checkout.record(300)
meters.shutdown()  # one last collection, exported
"""


def test_spans_logs_and_metrics_from_the_real_otlp_exporters_land_in_the_workspace_tables(api: str) -> None:
    env = {**os.environ, "OTEL_EXPORTER_OTLP_ENDPOINT": api,
           # the header values of these variables are URL-encoded (the OTLP exporter spec)
           "OTEL_EXPORTER_OTLP_HEADERS": f"authorization=Bearer%20{KEY}",
           "OTEL_EXPORTER_OTLP_LOGS_HEADERS": f"x-api-key={KEY}"}  # fmt: skip
    sent = subprocess.run([sys.executable, "-c", SENDER], capture_output=True, text=True, timeout=120, env=env)
    assert sent.returncode == 0, sent.stderr[-3000:]
    assert "Failed to export" not in sent.stderr, sent.stderr[-3000:]
    (req,) = rows("AppRequests | project AppRoleName, AppRoleInstance, AppVersion, OperationId, Id, Name, "
                  "OperationName, ResultCode, Success, DurationMs, ClientIP, Url", 1)  # fmt: skip
    assert {k: v for k, v in req.items() if k not in ("OperationId", "Id")} == {
        "AppRoleName": "mana.api", "AppRoleInstance": "pod-7", "AppVersion": "2026.12.1",
        "Name": "GET /api/shops/{id}", "OperationName": "GET /api/shops/{id}", "ResultCode": "200", "Success": True,
        "DurationMs": 120.0, "ClientIP": "10.1.2.3", "Url": "https://mana.example/api/shops/7"}  # fmt: skip
    deps = rows("AppDependencies | project Name, Target, DependencyType, Data, ResultCode, Success, DurationMs, "
                "OperationId, ParentId | order by DurationMs desc", 2)  # fmt: skip
    assert [{k: v for k, v in d.items() if k not in ("OperationId", "ParentId")} for d in deps] == [
        {"Name": "POST /verify", "Target": "api.dopa.go.th", "DependencyType": "HTTP",
         "Data": "https://api.dopa.go.th/verify", "ResultCode": "503", "Success": False, "DurationMs": 80.0},
        {"Name": "SELECT mana.shops", "Target": "db.mana|mana", "DependencyType": "postgresql",
         "Data": "SELECT * FROM shops WHERE id = $1", "ResultCode": "0", "Success": True, "DurationMs": 12.5},
    ]  # fmt: skip
    assert {(d["OperationId"], d["ParentId"]) for d in deps} == {(req["OperationId"], req["Id"])}  # one trace
    (msg,) = rows("AppTraces | project Message, SeverityLevel, AppRoleName", 1)
    assert msg == {"Message": "DOPA answered 503 for a1", "SeverityLevel": 2, "AppRoleName": "mana.api"}
    (exc,) = rows("AppExceptions | project ExceptionType, Message, SeverityLevel, InnermostMessage", 1)
    assert exc == {"ExceptionType": "TimeoutError", "Message": "DOPA verification failed", "SeverityLevel": 3,
                   "InnermostMessage": "DOPA verification failed"}  # fmt: skip
    metrics = rows("AppMetrics | project Name, Sum, Min, Max, ItemCount, AppRoleName | order by Name asc", 2)
    assert metrics == [
        {"Name": "checkout.duration", "Sum": 400.0, "Min": 100.0, "Max": 300.0, "ItemCount": 2,
         "AppRoleName": "mana.api"},
        {"Name": "orders.placed", "Sum": 5.0, "Min": 5.0, "Max": 5.0, "ItemCount": 1, "AppRoleName": "mana.api"},
    ]  # fmt: skip
