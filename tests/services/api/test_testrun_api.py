"""POST /api/test-runs on the real API server: the one curl step a pipeline adds."""

from __future__ import annotations

import gzip
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from sqlalchemy.engine import Engine

from services.auth import Actor
from services.config import get_settings
from services.db import session_scope
from services.testruns import service
from tests.services.api.conftest import running

TOKEN = "pipeline-token-7f3a"
AUTH = {"Authorization": f"Bearer {TOKEN}"}
DEMO = Path(__file__).resolve().parents[3] / "services" / "demo" / "testruns"
FLAKY_RUN = (DEMO / "unit-2026.12.1-a.xml").read_bytes()


@pytest.fixture
def api(sqlite_engine: Engine, monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:
    monkeypatch.setenv("SRE_API_TOKEN", TOKEN)
    monkeypatch.setenv("SRE_UPLOAD_MAX_DECOMPRESSED_MB", "1")
    get_settings.cache_clear()
    with running() as url:
        yield url


def _runs(engine: Engine) -> list[tuple[str, str | None, str, int]]:
    with session_scope(engine) as s:
        return [(r.kind, r.release, r.outcome, r.tests) for r in service.list_runs(s, actor=Actor("v", "viewer"))]


def test_multipart_files_and_a_raw_gzip_body_each_become_a_run(api: str, sqlite_engine: Engine) -> None:
    params = {"service": "mana", "kind": "unit", "release": "2026.12.1", "commit": "9c3d2a1", "branch": "main"}
    answer = httpx.post(f"{api}/api/test-runs", params=params, headers=AUTH,
                        files={"file": ("TEST-unit.xml", FLAKY_RUN, "application/xml")})  # fmt: skip
    assert answer.status_code == 201
    assert answer.json() == {"id": 1, "outcome": "failed", "tests": 5, "passed": 4, "failed": 1, "errors": 0,
                             "skipped": 0}  # fmt: skip
    raw = httpx.post(f"{api}/api/test-runs", params={**params, "kind": "integration"},
                     headers={**AUTH, "X-Report-Name": "integration.xml.gz"},
                     content=gzip.compress((DEMO / "integration-2026.12.1.xml").read_bytes()))  # fmt: skip
    assert (raw.status_code, raw.json()["outcome"], raw.json()["tests"]) == (201, "passed", 3)
    assert _runs(sqlite_engine) == [("integration", "2026.12.1", "passed", 3), ("unit", "2026.12.1", "failed", 5)]


def test_refusals_say_what_is_wrong_and_store_nothing(api: str, sqlite_engine: Engine) -> None:
    url = f"{api}/api/test-runs"
    ok = {"service": "mana", "kind": "unit"}
    no_token = httpx.post(url, params=ok, content=FLAKY_RUN)
    assert (no_token.status_code, no_token.json()["error"]) == (
        401,
        "Wrong or missing token: send Authorization: Bearer <SRE_API_TOKEN>.",
    )
    bad_kind = httpx.post(url, params={**ok, "kind": "smoke"}, headers=AUTH, content=FLAKY_RUN)
    assert bad_kind.status_code == 400
    assert bad_kind.json()["error"] == (
        "The test run was not imported. kind: must be one of unit, integration, system, acceptance."
    )
    html = httpx.post(url, params=ok, headers=AUTH, content=b"<html><body>502 Bad Gateway</body></html>")
    assert html.status_code == 400 and "not a JUnit or TRX test report" in html.json()["error"]
    empty = httpx.post(url, params=ok, headers=AUTH, content=b"")
    assert (empty.status_code, empty.json()["error"]) == (
        400,
        "No report in the request: send the files as multipart form data or the report as the body.",
    )
    huge = httpx.post(url, params=ok, headers=AUTH, content=b"<" * (2 << 20))
    assert (huge.status_code, huge.json()["error"]) == (
        413,
        "The body is larger than the API accepts (1 MB, SRE_UPLOAD_MAX_DECOMPRESSED_MB).",
    )
    webhook = httpx.post(f"{api}/hooks/azure-monitor?token=x", content=b"{" * (1100 << 10))  # other paths keep theirs
    assert (webhook.status_code, webhook.json()["error"]) == (
        413,
        "The body is larger than the API accepts (1024 KB, SRE_API_MAX_BODY_KB).",
    )
    assert _runs(sqlite_engine) == []
