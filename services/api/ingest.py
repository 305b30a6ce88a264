"""Telemetry straight from mana's services: `POST /v2/track` and `/v2.1/track`, the Application Insights ingestion
protocol, so an SDK is pointed here by the IngestionEndpoint of its connection string; and `POST /v1/traces`,
`/v1/logs`, `/v1/metrics`, OTLP/HTTP, so an OpenTelemetry SDK or Collector is pointed here by its OTLP endpoint."""

from __future__ import annotations

from collections.abc import Awaitable, Callable

from fastapi import APIRouter, Request, Response
from fastapi.responses import JSONResponse
from starlette.concurrency import run_in_threadpool

from services.config import get_settings
from services.ingest import otlp, service
from services.ingest.runtime import runtime

router = APIRouter(tags=["ingestion"])
# an IngestionEndpoint ending in "/" (as connection strings are written) makes the Python exporter post to
# "//v2.1/track": both spellings are the same endpoint
TRACK_PATHS = ("/v2/track", "/v2.1/track", "//v2/track", "//v2.1/track")
OTLP_PATHS = {"/v1/traces": "traces", "/v1/logs": "logs", "/v1/metrics": "metrics"}
PATHS = (*TRACK_PATHS, *OTLP_PATHS)  # every ingestion path: bodies up to SRE_INGEST_MAX_BODY_MB (app.py)


async def track(request: Request) -> JSONResponse:
    """Envelopes as a JSON array, one object or newline-delimited, gzip by header or content; answered 200, 206 with
    the index of each refused item, 400 when nothing could be read or accepted, 429 (with Retry-After) over the key's
    rate, 503 (retry) when the spool failed."""
    body = await request.body()
    rt = runtime(get_settings())
    try:
        answer = await run_in_threadpool(
            service.track,
            body,
            content_encoding=request.headers.get("content-encoding", ""),
            keys=rt.keys,
            spool=rt.spool,
            max_bytes=rt.max_bytes,
            admission=rt.admission,
        )
    except OSError as exc:  # the spool could not be written (disk full): nothing was acknowledged
        message = f"the backoffice could not store the batch ({exc.strerror or exc}); retry"
        return JSONResponse(
            {"itemsReceived": 0, "itemsAccepted": 0, "errors": [{"index": 0, "statusCode": 503, "message": message}]},
            status_code=503,
            headers={"Retry-After": "5"},
        )
    headers = {"Retry-After": str(answer.retry_after)} if answer.retry_after else None
    return JSONResponse(answer.body(), status_code=answer.status, headers=headers)


def otlp_export(signal: str) -> Callable[[Request], Awaitable[Response]]:
    """The endpoint of one OTLP signal."""

    async def export(request: Request) -> Response:
        body = await request.body()
        rt = runtime(get_settings())
        answer = await run_in_threadpool(
            service.export,
            signal,
            body,
            content_type=request.headers.get("content-type", ""),
            content_encoding=request.headers.get("content-encoding", ""),
            key=otlp.presented_key(request.headers),
            keys=rt.keys,
            spool=rt.spool,
            max_bytes=rt.max_bytes,
            admission=rt.admission,
        )
        return Response(answer.content, status_code=answer.status, media_type=answer.media_type, headers=answer.headers)

    export.__doc__ = (
        f"OTLP/HTTP {signal}: an {otlp.SIGNALS[signal][0].DESCRIPTOR.name} as application/x-protobuf or "
        "application/json, gzip optional, the key as `Authorization: Bearer <key>` or `x-api-key`; answered 200 "
        "(partialSuccess when items were refused), 400, 401, 403, 413, 415, 429 and 503 with Retry-After."
    )
    return export


for _path in TRACK_PATHS:
    router.add_api_route(
        _path, track, methods=["POST"], summary="Application Insights track", include_in_schema="//" not in _path
    )
for _path, _signal in OTLP_PATHS.items():
    _bodies = {otlp.PROTOBUF: {"schema": {"type": "string", "format": "binary"}}, otlp.JSON: {"schema": {}}}
    router.add_api_route(
        _path,
        otlp_export(_signal),
        methods=["POST"],
        summary=f"OTLP/HTTP {_signal}",
        openapi_extra={"requestBody": {"required": True, "content": _bodies}},
    )
