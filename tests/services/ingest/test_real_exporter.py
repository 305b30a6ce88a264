"""The real Azure Monitor OpenTelemetry exporter (azure-monitor-opentelemetry-exporter), pointed at the backoffice by
the IngestionEndpoint of its connection string, sends a request, a DOPA call and a log; KQL on the store reads them
as Azure would show them."""

from __future__ import annotations

import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy.engine import Engine

from services.config import get_settings
from services.ingest import runtime
from services.telemetry.local import LocalTelemetrySource
from tests.services.api.conftest import running
from tests.services.ingest.test_mapping import KEY


@pytest.fixture
def api(sqlite_engine: Engine, isolated_settings: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:
    monkeypatch.setenv("SRE_INGEST_KEYS", f"dev={KEY}")
    monkeypatch.setenv("SRE_INGEST_SPOOL_DIR", str(isolated_settings / "spool"))
    monkeypatch.setenv("SRE_INGEST_FLUSH_S", "0.1")
    # what keeps the exporter from calling Microsoft's hosts in a closed network (docs/ingestion.md)
    for name in ("STATSBEAT_DISABLED_ALL", "CONTROLPLANE_DISABLED", "SDKSTATS_DISABLED"):
        monkeypatch.setenv(f"APPLICATIONINSIGHTS_{name}", "true")
    get_settings.cache_clear()
    runtime.reset()
    with running() as url:
        yield url
    runtime.reset()


def rows(kql: str, want: int) -> list[dict[str, object]]:
    source = LocalTelemetrySource(get_settings().telemetry.dir)
    deadline = time.monotonic() + 15
    while True:
        frame = source.query(kql, timespan=None, name="t").frame
        if len(frame) >= want or time.monotonic() > deadline:
            return frame.to_dict("records")  # type: ignore[return-value]
        time.sleep(0.1)


# mana's side, in a process of its own (as mana is): the global tracer provider it sets would otherwise instrument
# the API under test too (FastAPI traces itself when a provider is set)
SENDER = """
import logging, sys, time
from azure.monitor.opentelemetry.exporter import AzureMonitorLogExporter, AzureMonitorTraceExporter
from opentelemetry import trace
from opentelemetry.sdk._logs import LoggerProvider, LoggingHandler
from opentelemetry.sdk._logs.export import SimpleLogRecordProcessor
from opentelemetry.sdk.resources import Resource
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import SimpleSpanProcessor
from opentelemetry.trace import SpanKind, Status, StatusCode

cs = sys.argv[1]
resource = Resource.create({"service.name": "api", "service.namespace": "mana", "service.instance.id": "pod-7"})
spans = AzureMonitorTraceExporter(connection_string=cs, disable_offline_storage=True)
provider = TracerProvider(resource=resource)
provider.add_span_processor(SimpleSpanProcessor(spans))
trace.set_tracer_provider(provider)  # the exporter reads the global provider's resource
tracer = provider.get_tracer("mana")
server = {"http.request.method": "GET", "url.full": "https://mana.example/api/shops", "http.route": "/api/shops",
          "http.response.status_code": 200}
client = {"http.request.method": "POST", "url.full": "https://api.dopa.go.th/verify",
          "server.address": "api.dopa.go.th", "server.port": 443, "http.response.status_code": 503}
with tracer.start_as_current_span("GET /api/shops", kind=SpanKind.SERVER, attributes=server):
    with tracer.start_as_current_span("POST /verify", kind=SpanKind.CLIENT, attributes=client) as call:
        call.set_status(Status(StatusCode.ERROR))  # as HTTP client instrumentation marks a 5xx answer
        time.sleep(0.01)
provider.force_flush()
logs = AzureMonitorLogExporter(connection_string=cs, disable_offline_storage=True)
log_provider = LoggerProvider(resource=resource)
log_provider.add_log_record_processor(SimpleLogRecordProcessor(logs))
logger = logging.getLogger("mana.identity")
logger.addHandler(LoggingHandler(logger_provider=log_provider))
logger.warning("DOPA answered 503 for a1")
log_provider.force_flush()
spans.shutdown()
logs.shutdown()
"""


def test_spans_and_a_log_from_the_real_exporter_land_in_the_workspace_tables(api: str) -> None:
    cs = f"InstrumentationKey={KEY};IngestionEndpoint={api}/"
    sent = subprocess.run([sys.executable, "-c", SENDER, cs], capture_output=True, text=True, timeout=120)
    assert sent.returncode == 0, sent.stderr[-3000:]
    (req,) = rows("AppRequests | project AppRoleName, AppRoleInstance, Name, ResultCode, Success, OperationId", 1)
    assert (req["AppRoleName"], req["AppRoleInstance"], req["ResultCode"], req["Success"]) == (
        "mana.api",
        "pod-7",
        "200",
        True,
    )
    (dep,) = rows("AppDependencies | project Target, DependencyType, ResultCode, Success, OperationId, Name", 1)
    assert (dep["DependencyType"], dep["ResultCode"], dep["Success"]) == ("HTTP", "503", False)
    assert str(dep["Target"]).startswith("api.dopa.go.th")
    assert dep["OperationId"] == req["OperationId"]  # one trace: the call belongs to the request
    (msg,) = rows("AppTraces | project Message, SeverityLevel, AppRoleName", 1)
    assert (msg["Message"], msg["SeverityLevel"], msg["AppRoleName"]) == ("DOPA answered 503 for a1", 2, "mana.api")
