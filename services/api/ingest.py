"""Telemetry straight from mana's services: `POST /v2/track` and `/v2.1/track`, the Application Insights ingestion
protocol, so an SDK is pointed here by the IngestionEndpoint of its connection string."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse
from starlette.concurrency import run_in_threadpool

from services.config import get_settings
from services.ingest import service
from services.ingest.runtime import runtime

router = APIRouter(tags=["ingestion"])
# an IngestionEndpoint ending in "/" (as connection strings are written) makes the Python exporter post to
# "//v2.1/track": both spellings are the same endpoint
PATHS = ("/v2/track", "/v2.1/track", "//v2/track", "//v2.1/track")


async def track(request: Request) -> JSONResponse:
    """Envelopes as a JSON array, one object or newline-delimited, gzip by header or content; answered 200, 206 with
    the index of each refused item, 400 when nothing could be read or accepted, 503 (retry) when the spool failed."""
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
        )
    except OSError as exc:  # the spool could not be written (disk full): nothing was acknowledged
        message = f"the backoffice could not store the batch ({exc.strerror or exc}); retry"
        return JSONResponse(
            {"itemsReceived": 0, "itemsAccepted": 0, "errors": [{"index": 0, "statusCode": 503, "message": message}]},
            status_code=503,
            headers={"Retry-After": "5"},
        )
    return JSONResponse(answer.body(), status_code=answer.status)


for _path in PATHS:
    router.add_api_route(
        _path, track, methods=["POST"], summary="Application Insights track", include_in_schema="//" not in _path
    )
