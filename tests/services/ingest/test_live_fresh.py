"""What the API accepts shows on Live metrics at once: a Request posted to /v2/track of the API on uvicorn is in the
next refresh's snapshot, with the flusher writing the store every second (SRE_INGEST_FLUSH_S=1)."""

from __future__ import annotations

import time
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import httpx
import pytest
from sqlalchemy.engine import Engine

from services.auth import Actor
from services.config import get_settings
from services.ingest import runtime
from services.monitoring import live
from services.telemetry.local import LocalTelemetrySource
from tests.services.api.conftest import running
from tests.services.ingest.test_mapping import KEY, TAGS

DEADLINE_S = 5  # Live metrics refreshes every 5 s: a row must be in the store by then


@pytest.fixture
def api(sqlite_engine: Engine, isolated_settings: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:
    monkeypatch.setenv("SRE_INGEST_KEYS", f"dev={KEY}")
    monkeypatch.setenv("SRE_INGEST_SPOOL_DIR", str(isolated_settings / "spool"))
    monkeypatch.setenv("SRE_INGEST_FLUSH_S", "1")
    get_settings.cache_clear()
    runtime.reset()
    with running() as url:
        yield url
    runtime.reset()


def test_a_request_sent_now_is_in_the_live_snapshot_within_one_refresh(api: str) -> None:
    source = LocalTelemetrySource(get_settings().telemetry.dir)
    viewer = Actor("vera", "viewer")
    assert live.snapshot(source, actor=viewer, service="mana").requests == 0  # footers and listing read before
    sent = datetime.now(UTC)
    envelope = {
        "name": "Microsoft.ApplicationInsights.Request",
        "time": sent.isoformat().replace("+00:00", "Z"),
        "iKey": KEY,
        "tags": {**TAGS, "ai.cloud.role": "mana", "ai.cloud.roleInstance": "pod-7"},
        "data": {"baseType": "RequestData", "baseData": {"ver": 2, "id": "r1", "name": "GET /api/shops",
                 "duration": "00:00:00.042", "responseCode": "500", "success": False}},
    }  # fmt: skip
    assert httpx.post(f"{api}/v2/track", json=[envelope]).status_code == 200
    deadline = time.monotonic() + DEADLINE_S
    snap = live.snapshot(source, actor=viewer, service="mana", at=live.slot_end(datetime.now(UTC)))
    while snap.requests == 0 and time.monotonic() < deadline:
        time.sleep(0.2)
        snap = live.snapshot(source, actor=viewer, service="mana", at=live.slot_end(datetime.now(UTC)))
    assert (snap.requests, snap.failed, snap.p95_ms) == (1, 1, 42.0)
    assert snap.newest is not None and abs((snap.newest - sent).total_seconds()) < 0.001
