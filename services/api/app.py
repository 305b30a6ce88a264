"""The API's ASGI application: one router per domain, every refusal a JSON message, bounded bodies."""

from __future__ import annotations

from fastapi import FastAPI
from fastapi.responses import JSONResponse
from pydantic import BaseModel

from services.api import alerts, errors, ingest, releases, testruns
from services.api.limits import BodyLimits, PathBodyLimit
from services.config import Settings, get_settings
from services.db import session_scope
from services.errors import DatabaseError
from services.migrate import current_revision

BODY_TIMEOUT_S = 30.0


class Health(BaseModel):
    """Whether the API can do its work."""

    status: str
    reason: str | None = None


def create_app(settings: Settings | None = None, *, body_timeout_s: float = BODY_TIMEOUT_S) -> FastAPI:
    """The application; `settings` fixes the body limit (routes read the process's settings)."""
    settings = settings or get_settings()
    app = FastAPI(
        title="SRE Backoffice API",
        summary="What arrives over HTTP: telemetry, Azure Monitor webhooks, test runs and release gates.",
        version="1",
    )
    max_bytes = settings.api.max_body_kb * 1024
    files = {"/api/test-runs": settings.uploads.max_decompressed_mb << 20}  # the paths that take files
    files.update(dict.fromkeys(ingest.PATHS, settings.ingest.max_body_mb << 20))
    app.add_middleware(PathBodyLimit, max_bytes=max_bytes, overrides=files)  # the inner one: counts streamed bytes
    app.add_middleware(BodyLimits, max_bytes=max_bytes, timeout_s=body_timeout_s, overrides=files)
    errors.install(app)
    app.include_router(alerts.router)
    app.include_router(releases.router)
    app.include_router(testruns.router)
    app.include_router(ingest.router)
    app.add_api_route("/healthz", healthz, methods=["GET"], response_model=Health, tags=["health"])
    return app


def healthz() -> JSONResponse:
    """200 {"status": "ok"} when the database answers with the backoffice's tables, else 503 with the reason."""
    try:
        with session_scope() as s:
            revision = current_revision(s)
    except DatabaseError as exc:
        return JSONResponse(Health(status="unavailable", reason=str(exc)).model_dump(), status_code=503)
    if revision is None:
        reason = "The database has no backoffice tables yet: run `sre-backoffice db upgrade`."
        return JSONResponse(Health(status="unavailable", reason=reason).model_dump(), status_code=503)
    return JSONResponse(Health(status="ok").model_dump(exclude_none=True))
