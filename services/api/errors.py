"""Every refusal of the API is a JSON body {"error": "..."} saying what is wrong; no traceback reaches a caller."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException
from starlette.middleware.body_limit import MAX_BODY_SIZE_SCOPE_KEY

from services.errors import Conflict, DatabaseError, InvalidInput, NotFound, PermissionDenied, ServiceError

STATUS: tuple[tuple[type[ServiceError], int], ...] = (
    (InvalidInput, 400),
    (PermissionDenied, 403),
    (NotFound, 404),
    (Conflict, 409),
    (DatabaseError, 503),
)


def error(status: int, message: str, headers: dict[str, str] | None = None) -> JSONResponse:
    """The API's one shape of a refusal."""
    return JSONResponse({"error": message}, status_code=status, headers=headers)


# paths that take files, with the setting that bounds their bodies (every other path: SRE_API_MAX_BODY_KB)
FILE_PATHS = {
    "/api/test-runs": "SRE_UPLOAD_MAX_DECOMPRESSED_MB",
    **dict.fromkeys(("/v2/track", "/v2.1/track", "//v2/track", "//v2.1/track"), "SRE_INGEST_MAX_BODY_MB"),
    **dict.fromkeys(("/v1/traces", "/v1/logs", "/v1/metrics"), "SRE_INGEST_MAX_BODY_MB"),
}


def setting_for(path: str) -> str:
    """The setting that bounds a body sent to `path`."""
    return next((s for p, s in FILE_PATHS.items() if path.startswith(p)), "SRE_API_MAX_BODY_KB")


def too_large(max_bytes: int, path: str = "") -> JSONResponse:
    """The answer to a body over the limit."""
    setting = setting_for(path)
    size = f"{max_bytes >> 20} MB" if setting.endswith("_MB") else f"{max_bytes // 1024} KB"  # in the setting's unit
    message = f"The body is larger than the API accepts ({size}, {setting})."
    return error(413, message, headers={"Connection": "close"})  # the rest of the body is not read


def describe(errors: Sequence[Any]) -> str:
    """pydantic's errors as one line naming each field of the body (or query) that is wrong."""
    if any(e.get("type") == "json_invalid" for e in errors):
        reason = next(e for e in errors if e.get("type") == "json_invalid").get("ctx", {}).get("error", "")
        return f"The body is not JSON: {reason}." if reason else "The body is not JSON."
    parts = []
    for e in errors:
        loc = [str(p) for p in e.get("loc", ())]
        where = ".".join(loc[1:] if loc[:1] == ["body"] else loc) or "body"
        parts.append(f"{where}: {str(e.get('msg', '')).removeprefix('Value error, ')}")
    return "The request was refused. " + "; ".join(parts) + "."


async def _validation(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, RequestValidationError)
    return error(400, describe(exc.errors()))


async def _http(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, HTTPException)
    cause = exc.__cause__
    if isinstance(cause, RecursionError):  # FastAPI's JSON parsing gave up on a body nested too deep
        return error(400, "The body is not JSON this API accepts: it is nested too deep.")
    if isinstance(cause, UnicodeDecodeError):
        return error(400, "The body is not JSON: it is not valid UTF-8.")
    if exc.status_code == 413 and MAX_BODY_SIZE_SCOPE_KEY in request.scope:  # Starlette counted past the limit
        return too_large(request.scope[MAX_BODY_SIZE_SCOPE_KEY], request.url.path)
    return error(exc.status_code, str(exc.detail), headers=dict(exc.headers or {}))


async def _service(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, ServiceError)
    status = next((code for kind, code in STATUS if isinstance(exc, kind)), 502)
    return error(status, str(exc))


async def _unexpected(request: Request, exc: Exception) -> JSONResponse:
    # Starlette re-raises after this answer, so the server's log has the traceback; the caller gets one line
    return error(500, "The API failed on this request; the server's log has the details.")


def install(app: FastAPI) -> None:
    """Answer every refusal the same way."""
    app.add_exception_handler(RequestValidationError, _validation)
    app.add_exception_handler(HTTPException, _http)
    app.add_exception_handler(ServiceError, _service)
    app.add_exception_handler(Exception, _unexpected)
