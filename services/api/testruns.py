"""Test runs sent by a pipeline: `POST /api/test-runs` with the JUnit XML or TRX reports of one run, as multipart
files or as the raw body, and the run's fields as query parameters."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Header, Query, Request
from pydantic import BaseModel
from starlette.concurrency import run_in_threadpool
from starlette.datastructures import UploadFile

from services.api.tokens import require_api_token
from services.auth import Actor
from services.config import get_settings
from services.db import begin_writing, session_scope
from services.errors import InvalidInput
from services.testruns import service
from services.testruns.models import KINDS
from services.testruns.schemas import parse_run_options

router = APIRouter(tags=["test runs"])
PIPELINE = Actor(name="api:pipeline", role="developer")  # what a pipeline holding SRE_API_TOKEN may do
MAX_FILES = 50


class TestRunAnswer(BaseModel):
    """The stored run."""

    __test__ = False

    id: int
    outcome: str
    tests: int
    passed: int
    failed: int
    errors: int
    skipped: int


def _store(files: list[tuple[str, bytes]], fields: dict[str, object]) -> TestRunAnswer:
    options = parse_run_options(fields)
    max_bytes = get_settings().uploads.max_decompressed_mb << 20
    with session_scope() as s:
        begin_writing(s)
        run = service.import_run(s, actor=PIPELINE, files=files, options=options, max_bytes=max_bytes)
        return TestRunAnswer(
            id=run.id,
            outcome=run.outcome,
            tests=run.tests,
            passed=run.passed,
            failed=run.failed,
            errors=run.errors,
            skipped=run.skipped,
        )


@router.post(
    "/api/test-runs",
    status_code=201,
    dependencies=[Depends(require_api_token)],
    responses={
        400: {"description": "not a JUnit or TRX report, or a bad field"},
        401: {"description": "no token"},
        413: {"description": "over SRE_UPLOAD_MAX_DECOMPRESSED_MB"},
    },
)
async def post_test_run(
    request: Request,
    service_name: Annotated[str, Query(alias="service", description="the AppRoleName whose tests ran")],
    kind: Annotated[str, Query(description=" | ".join(KINDS))],
    release: Annotated[str | None, Query()] = None,
    commit: Annotated[str | None, Query()] = None,
    branch: Annotated[str | None, Query()] = None,
    pipeline_url: Annotated[str | None, Query()] = None,
    report_name: Annotated[str | None, Header(alias="X-Report-Name", description="the raw body's file name")] = None,
) -> TestRunAnswer:
    """Import one run: `curl -H "Authorization: Bearer $TOKEN" -F file=@TEST-results.xml
    "https://…/api/test-runs?service=mana&kind=unit&release=2026.12.1"`, or the report as the body
    (`--data-binary @results.trx`, gzip or zip as they are). 201 with the run's figures."""
    files: list[tuple[str, bytes]] = []
    if request.headers.get("content-type", "").startswith("multipart/form-data"):
        async with request.form(max_files=MAX_FILES, max_fields=MAX_FILES) as form:
            for _, value in form.multi_items():
                if isinstance(value, UploadFile):
                    files.append((value.filename or "report", await value.read()))
    else:
        body = await request.body()
        if body:
            files.append((report_name or "report", body))
    if not files:
        raise InvalidInput("No report in the request: send the files as multipart form data or the report as the body.")
    fields: dict[str, object] = {
        "service": service_name,
        "kind": kind,
        "release": release,
        "commit": commit,
        "branch": branch,
        "pipeline_url": pipeline_url,
    }
    return await run_in_threadpool(_store, files, fields)
