"""POST /v1/traces, /v1/logs and /v1/metrics on the real API server with hand-made OTLP bodies: OTLP/JSON (hex ids,
integer enums) and binary protobuf, gzip, the keys, partial success in the request's encoding, and every refusal."""

from __future__ import annotations

import errno
import gzip
import json
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import httpx
import pytest
from google.rpc.status_pb2 import Status
from opentelemetry.proto.collector.logs.v1.logs_service_pb2 import ExportLogsServiceResponse
from opentelemetry.proto.collector.metrics.v1.metrics_service_pb2 import ExportMetricsServiceResponse
from opentelemetry.proto.metrics.v1 import metrics_pb2 as m
from sqlalchemy.engine import Engine

from services.config import get_settings
from services.ingest import runtime
from tests.services.api.conftest import running
from tests.services.ingest.test_mapping import KEY
from tests.services.ingest.test_otlp_mapping import SPAN, T0, TRACE, kvs, logs, metrics, record
from tests.services.ingest.test_real_exporter import rows
from tests.services.ingest.test_track import OTHER_KEY

BEARER = {"Authorization": f"Bearer {KEY}"}
JSON = {**BEARER, "Content-Type": "application/json"}
PROTOBUF = {**BEARER, "Content-Type": "application/x-protobuf"}


@contextmanager
def serving(monkeypatch: pytest.MonkeyPatch, data: Path) -> Iterator[str]:
    """The API on uvicorn with the test's key, spool and small body limits (1 MB sent, 1 MB decompressed)."""
    monkeypatch.setenv("SRE_INGEST_KEYS", f"dev={KEY}")
    monkeypatch.setenv("SRE_INGEST_SPOOL_DIR", str(data / "spool"))
    monkeypatch.setenv("SRE_INGEST_FLUSH_S", "0.1")
    monkeypatch.setenv("SRE_INGEST_MAX_BODY_MB", "1")
    monkeypatch.setenv("SRE_INGEST_MAX_DECOMPRESSED_MB", "1")
    get_settings.cache_clear()
    runtime.reset()
    with running() as url:
        yield url
    runtime.reset()


@pytest.fixture
def api(sqlite_engine: Engine, isolated_settings: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:
    with serving(monkeypatch, isolated_settings) as url:
        yield url


def kv(key: str, value: Any) -> dict[str, Any]:
    kind = "intValue" if isinstance(value, int) else "stringValue"
    return {"key": key, "value": {kind: str(value) if kind == "intValue" else value}}


def json_span(span_id: str, name: str, kind: int, ms: int, attrs: dict[str, Any], **extra: Any) -> dict[str, Any]:
    return {"traceId": TRACE.hex(), "spanId": span_id, "name": name, "kind": kind, "startTimeUnixNano": str(T0),
            "endTimeUnixNano": str(T0 + ms * 1_000_000), "attributes": [kv(k, v) for k, v in attrs.items()],
            **extra}  # fmt: skip


def json_spans(*spans: dict[str, Any]) -> dict[str, Any]:
    resource = {"attributes": [kv("service.name", "api"), kv("service.namespace", "mana")]}
    scope = {"scope": {"name": "mana"}, "spans": list(spans)}
    return {"resourceSpans": [{"resource": resource, "scopeSpans": [scope]}]}


SERVER = json_span(SPAN.hex(), "GET", 2, 120, {"http.request.method": "GET", "http.route": "/api/shops/{id}",
                                               "url.full": "https://mana/api/shops/7",
                                               "http.response.status_code": 200})  # fmt: skip
CLIENT = json_span("00f067aa0ba902b7", "POST", 3, 80, {"http.request.method": "POST", "url.scheme": "https",
                                                       "url.full": "https://api.dopa.go.th/verify",
                                                       "server.address": "api.dopa.go.th", "server.port": 443,
                                                       "http.response.status_code": 503},
                   parentSpanId=SPAN.hex(), status={"code": 2})  # fmt: skip


def stored() -> list[Path]:
    time.sleep(0.5)  # longer than the flusher's 0.1 s
    return list(get_settings().telemetry.dir.rglob("*.parquet"))


def test_otlp_json_spans_become_a_request_and_its_dependency(api: str) -> None:
    answer = httpx.post(f"{api}/v1/traces", content=json.dumps(json_spans(SERVER, CLIENT)), headers=JSON)
    assert (answer.status_code, answer.headers["content-type"], answer.json()) == (200, "application/json", {})
    (req,) = rows("AppRequests | project AppRoleName, OperationId, Id, Name, ResultCode, Success, DurationMs", 1)
    assert req == {"AppRoleName": "mana.api", "OperationId": TRACE.hex(), "Id": SPAN.hex(),
                   "Name": "GET /api/shops/{id}", "ResultCode": "200", "Success": True,
                   "DurationMs": 120.0}  # fmt: skip
    (dep,) = rows("AppDependencies | project ParentId, Target, DependencyType, ResultCode, Success, DurationMs", 1)
    assert dep == {"ParentId": SPAN.hex(), "Target": "api.dopa.go.th", "DependencyType": "HTTP", "ResultCode": "503",
                   "Success": False, "DurationMs": 80.0}  # fmt: skip


def test_refused_spans_are_a_json_partial_success_and_the_rest_is_stored(api: str) -> None:
    bad_trace = {**CLIENT, "traceId": "not-hex"}
    zero_span = {**CLIENT, "spanId": "0000000000000000"}
    answer = httpx.post(f"{api}/v1/traces", content=json.dumps(json_spans(SERVER, bad_trace, zero_span)), headers=JSON)
    assert answer.status_code == 200
    assert answer.json() == {"partialSuccess": {
        "rejectedSpans": "2",  # an int64: a decimal string in OTLP/JSON
        "errorMessage": "span 'POST': a span has a 16-byte traceId and an 8-byte spanId, not all zero; the rest was "
                        "stored"}}  # fmt: skip
    assert [r["Id"] for r in rows("AppRequests | project Id", 1)] == [SPAN.hex()]
    assert rows("AppDependencies | count", 1)[0]["Count"] == 0


def test_protobuf_logs_gzip_with_a_partial_success_answered_in_protobuf(api: str) -> None:
    exc = {"exception.type": "TimeoutError", "exception.message": "DOPA timed out after 30 s"}
    body = logs(record("DOPA answered 503 for a1", 13), record("DOPA verification failed", 17, exc),
                record("no time", time_unix_nano=0)).SerializeToString()  # fmt: skip
    headers = {**PROTOBUF, "Content-Encoding": "gzip"}
    answer = httpx.post(f"{api}/v1/logs", content=gzip.compress(body), headers=headers)
    assert (answer.status_code, answer.headers["content-type"]) == (200, "application/x-protobuf")
    partial = ExportLogsServiceResponse.FromString(answer.content).partial_success
    assert (partial.rejected_log_records, partial.error_message) == (
        1, "log record: a log record has neither timeUnixNano nor observedTimeUnixNano; the rest was stored"
    )  # fmt: skip
    (msg,) = rows("AppTraces | project Message, SeverityLevel, AppRoleName", 1)
    assert msg == {"Message": "DOPA answered 503 for a1", "SeverityLevel": 2, "AppRoleName": "mana.api"}
    (err,) = rows("AppExceptions | project ExceptionType, Message, SeverityLevel", 1)
    assert err == {"ExceptionType": "TimeoutError", "Message": "DOPA verification failed", "SeverityLevel": 3}


def test_protobuf_metrics_and_a_point_refused(api: str) -> None:
    point = {"time_unix_nano": T0, "attributes": kvs({"shop": "7"})}
    body = metrics(
        m.Metric(name="checkout.duration", histogram=m.Histogram(data_points=[
            m.HistogramDataPoint(sum=400.0, count=2, min=100.0, max=300.0, **point)])),
        m.Metric(name="queue.depth", gauge=m.Gauge(data_points=[m.NumberDataPoint(as_double=float("inf"), **point)])),
    ).SerializeToString()  # fmt: skip
    answer = httpx.post(f"{api}/v1/metrics", content=body, headers=PROTOBUF)
    partial = ExportMetricsServiceResponse.FromString(answer.content).partial_success
    assert (answer.status_code, partial.rejected_data_points) == (200, 1)
    (row,) = rows("AppMetrics | project Name, Sum, Min, Max, ItemCount, AppRoleName", 1)
    assert row == {"Name": "checkout.duration", "Sum": 400.0, "Min": 100.0, "Max": 300.0, "ItemCount": 2,
                   "AppRoleName": "mana.api"}  # fmt: skip
    nan = metrics(m.Metric(name="queue.depth", gauge=m.Gauge(data_points=[m.NumberDataPoint(as_double=float("nan"))])))
    answer = httpx.post(f"{api}/v1/metrics", content=nan.SerializeToString(), headers=PROTOBUF)
    partial = ExportMetricsServiceResponse.FromString(answer.content).partial_success
    assert (answer.status_code, partial.rejected_data_points, partial.error_message) == (
        200, 1, "metric 'queue.depth' has a value that is not a finite number; nothing was stored")  # fmt: skip


@pytest.mark.parametrize(
    "headers",
    [{"Authorization": f"Bearer {KEY}"}, {"authorization": f"bearer {KEY.upper()}"}, {"x-api-key": KEY},
     {"Authorization": KEY}],  # OTEL_EXPORTER_OTLP_HEADERS=authorization=<key>, written by hand
    ids=["bearer", "bearer-any-case", "x-api-key", "bare-authorization"],
)  # fmt: skip
def test_the_key_is_taken_from_the_headers_senders_set(api: str, headers: dict[str, str]) -> None:
    body = logs(record("hello")).SerializeToString()
    answer = httpx.post(f"{api}/v1/logs", content=body, headers={**headers, "Content-Type": "application/x-protobuf"})
    assert (answer.status_code, answer.content) == (200, b"")  # an empty ExportLogsServiceResponse


def test_a_missing_or_unknown_key_is_refused_and_nothing_is_stored(api: str) -> None:
    body = json.dumps(json_spans(SERVER))
    answer = httpx.post(f"{api}/v1/traces", content=body, headers={"Content-Type": "application/json"})
    assert (answer.status_code, answer.headers["www-authenticate"]) == (401, "Bearer")
    assert answer.json() == {"message": "no ingestion key: send it as Authorization: Bearer <key> or x-api-key: <key>; "
                                        "nothing was stored"}  # fmt: skip
    answer = httpx.post(f"{api}/v1/traces", content=body, headers={**JSON, "Authorization": f"Bearer {OTHER_KEY}"})
    assert answer.status_code == 403
    assert answer.json()["message"] == "the ingestion key is not one of SRE_INGEST_KEYS; nothing was stored"
    answer = httpx.post(f"{api}/v1/logs", content=logs(record("x")).SerializeToString(),
                        headers={"x-api-key": OTHER_KEY, "Content-Type": "application/x-protobuf"})  # fmt: skip
    assert (answer.status_code, Status.FromString(answer.content).message) == (
        403, "the ingestion key is not one of SRE_INGEST_KEYS; nothing was stored")  # fmt: skip
    assert stored() == []


@pytest.mark.parametrize(
    ("path", "body", "headers", "status", "message"),
    [("/v1/traces", b"\xff\xff\xff\xff", PROTOBUF, 400, "the body is not a protobuf ExportTraceServiceRequest"),
     ("/v1/logs", b"{not json", JSON, 400, "the body is not JSON (Expecting property name enclosed in double quotes)"),
     ("/v1/logs", b"[]", JSON, 400, "an OTLP/JSON body is an object, not list"),
     ("/v1/metrics", b'{"resourceMetrics": "x"}', JSON, 400,
      "the body is not an OTLP/JSON ExportMetricsServiceRequest"),
     ("/v1/traces", b"\x1f\x8b\x08\x00garbage", {**PROTOBUF, "Content-Encoding": "gzip"}, 400,
      "the gzip body is cut short"),
     ("/v1/traces", gzip.compress(bytes(2 << 20)), {**PROTOBUF, "Content-Encoding": "gzip"}, 413,
      "the body decompresses to more than 1 MB; send smaller batches"),
     ("/v1/traces", b"{}", {**BEARER, "Content-Type": "text/plain"}, 415,
      "Content-Type 'text/plain': OTLP/HTTP bodies are application/x-protobuf or application/json"),
     ("/v1/traces", b"{}", {**JSON, "Content-Encoding": "br"}, 415, "Content-Encoding 'br': send the body gzip")],
    ids=["protobuf", "json", "json-array", "json-shape", "gzip", "gzip-bomb", "content-type", "content-encoding"],
)  # fmt: skip
def test_a_body_that_cannot_be_read_is_refused_with_a_status(
    api: str, path: str, body: bytes, headers: dict[str, str], status: int, message: str
) -> None:
    answer = httpx.post(f"{api}{path}", content=body, headers=headers)
    assert answer.status_code == status
    if answer.headers["content-type"] == "application/x-protobuf":
        text = Status.FromString(answer.content).message
    else:
        text = answer.json()["message"]
    assert message in text
    assert "nothing was stored" in text or status == 413


def test_a_body_over_the_limit_is_refused_unread(api: str) -> None:
    answer = httpx.post(f"{api}/v1/traces", content=bytes(2 << 20), headers=PROTOBUF)
    assert answer.status_code == 413
    assert "SRE_INGEST_MAX_BODY_MB" in answer.text  # the setting that bounds ingestion, not the API's own


def test_a_spool_that_cannot_be_written_is_a_503_to_retry(api: str, monkeypatch: pytest.MonkeyPatch) -> None:
    def disk_full(rows: object) -> None:
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(runtime.runtime(get_settings()).spool, "append", disk_full)
    answer = httpx.post(f"{api}/v1/logs", content=logs(record("x")).SerializeToString(), headers=PROTOBUF)
    assert (answer.status_code, answer.headers["retry-after"]) == (503, "5")
    assert Status.FromString(answer.content).message == (
        "the backoffice could not store the batch (No space left on device); retry"
    )


def test_an_empty_request_is_a_success(api: str) -> None:
    answer = httpx.post(f"{api}/v1/metrics", content=b"", headers=PROTOBUF)
    assert (answer.status_code, answer.content) == (200, b"")  # an empty body is a request with nothing in it
