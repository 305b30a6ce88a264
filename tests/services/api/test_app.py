"""/healthz says whether the database can serve (and why not, without secrets); /openapi.json documents the
endpoints; `sre-backoffice api` serves on SRE_API_PORT (or its old name SRE_WEBHOOK_PORT) and logs no token."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest

from services.config import get_settings
from services.db import get_engine
from tests.e2e.streamlit_server import ROOT, free_port
from tests.services.api.conftest import TOKEN, Serve, running


def test_healthz_is_ok_on_a_migrated_database(api: str) -> None:
    answer = httpx.get(f"{api}/healthz")
    assert (answer.status_code, answer.json()) == (200, {"status": "ok"})


def test_healthz_is_503_with_the_reason_when_the_database_is_not_usable(
    isolated_settings: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    get_settings.cache_clear()
    with running() as api:  # the test's SQLite file exists but has no tables
        empty = httpx.get(f"{api}/healthz")
    monkeypatch.setenv("SRE_DATABASE_URL", "postgresql+psycopg://sre:hunter2@127.0.0.1:1/backoffice")
    get_settings.cache_clear()
    get_engine.cache_clear()
    with running() as api:
        refused = httpx.get(f"{api}/healthz")
    assert empty.status_code == 503 and "run `sre-backoffice db upgrade`" in empty.json()["reason"]
    assert refused.status_code == 503
    reason = refused.json()["reason"]
    assert reason.startswith("The database is not reachable (SRE_DATABASE_URL=postgresql+psycopg://...@127.0.0.1:1/")
    assert "hunter2" not in refused.text and "sre:" not in refused.text


def test_the_openapi_document_describes_every_route(api: str) -> None:
    doc = httpx.get(f"{api}/openapi.json").json()
    assert set(doc["paths"]) == {
        "/hooks/azure-monitor", "/api/releases/{version}/gate", "/api/test-runs", "/healthz", "/v2/track",
        "/v2.1/track", "/v1/traces", "/v1/logs", "/v1/metrics",
    }  # fmt: skip
    upload = doc["paths"]["/api/test-runs"]["post"]
    assert [p["name"] for p in upload["parameters"] if p["in"] == "query"] == [
        "service", "kind", "release", "commit", "branch", "pipeline_url"
    ]  # fmt: skip
    gate = doc["paths"]["/api/releases/{version}/gate"]["get"]
    assert gate["security"] == [{"HTTPBearer": []}]
    assert doc["components"]["securitySchemes"]["HTTPBearer"] == {
        "type": "http",
        "scheme": "bearer",
        "description": "SRE_API_TOKEN",
    }
    assert doc["components"]["schemas"]["ReleaseGate"]["required"] == ["release", "go", "at", "features", "reasons"]
    hook = doc["paths"]["/hooks/azure-monitor"]["post"]
    assert [p["name"] for p in hook["parameters"]] == ["token"]
    body = hook["requestBody"]["content"]["application/json"]["schema"]["$ref"].rsplit("/", 1)[1]
    assert (body, doc["components"]["schemas"][body]["required"]) == ("CommonAlertPayload", ["schemaId", "data"])
    severity = doc["components"]["schemas"]["Essentials"]["properties"]["severity"]
    assert severity["enum"] == ["Sev0", "Sev1", "Sev2", "Sev3", "Sev4"]


@pytest.mark.heavy  # a child process: not in `make later`, which looks for dates
@pytest.mark.parametrize("port_setting", ["SRE_API_PORT", "SRE_WEBHOOK_PORT"])
def test_the_api_command_serves_on_loopback_and_keeps_the_token_out_of_its_log(
    serve: Serve, port_setting: str, tmp_path: Path
) -> None:
    port = free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith("SRE_")}
    env |= {
        "SRE_DATABASE_URL": get_settings().database.url,
        "SRE_WEBHOOK_TOKEN": TOKEN,
        port_setting: str(port),
        "PYTHONPATH": str(ROOT),
    }
    log = tmp_path / "api.log"
    with log.open("w") as out:
        proc = subprocess.Popen([sys.executable, "-m", "services.cli", "api"], env=env, stdout=out, stderr=out)
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                answer = httpx.post(f"http://127.0.0.1:{port}/hooks/azure-monitor?token={TOKEN}", json={})
                break
            except httpx.ConnectError:
                assert proc.poll() is None and time.monotonic() < deadline, log.read_text()
                time.sleep(0.2)
    finally:
        proc.terminate()
        proc.wait(15)
    assert answer.status_code == 400
    text = log.read_text()
    assert f"http://127.0.0.1:{port}/hooks/azure-monitor" in text
    assert '"POST /hooks/azure-monitor?token=*** HTTP/1.1" 400' in text
    assert TOKEN not in text
