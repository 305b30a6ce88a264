"""POST /v2/track and /v2.1/track on the real API server: each SDK's body shape, the keys, partial success by index,
bad bodies, and the rows readable by KQL once the spool is flushed."""

from __future__ import annotations

import gzip
import json
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from sqlalchemy.engine import Engine

from services.config import get_settings
from services.ingest import runtime
from services.telemetry.local import LocalTelemetrySource
from tests.services.api.conftest import running
from tests.services.ingest.test_mapping import KEY, envelope

OTHER_KEY = "11111111-2222-3333-4444-555555555555"


@pytest.fixture
def api(sqlite_engine: Engine, isolated_settings: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:
    monkeypatch.setenv("SRE_INGEST_KEYS", f"dev={KEY}")
    monkeypatch.setenv("SRE_INGEST_SPOOL_DIR", str(isolated_settings / "spool"))
    monkeypatch.setenv("SRE_INGEST_FLUSH_S", "0.1")
    monkeypatch.setenv("SRE_INGEST_MAX_BODY_MB", "1")
    get_settings.cache_clear()
    runtime.reset()
    with running() as url:
        yield url
    runtime.reset()


def request(i: int, *, key: str = KEY, ok: bool = True) -> dict[str, Any]:
    base = {"id": f"r{i}", "name": "GET /api/shops", "duration": "00:00:00.120", "responseCode": "200" if ok else "500",
            "success": ok, "url": "https://mana/api/shops"}  # fmt: skip
    return {**envelope("Request", base), "iKey": key}


def count(kql: str, want: int = 1) -> int:
    """Rows the store answers once the flusher has written at least `want` (it runs every 0.1 s; the rows of several
    calls may land in separate flushes), or what it holds after 10 s."""
    source = LocalTelemetrySource(get_settings().telemetry.dir)
    deadline = time.monotonic() + 10
    while True:
        frame = source.query(kql + " | count", timespan=None, name="t").frame
        n = int(frame.iloc[0, 0]) if len(frame) else 0
        if n >= want or time.monotonic() > deadline:
            return n
        time.sleep(0.1)


def test_a_json_array_as_the_python_exporter_posts_it(api: str) -> None:
    answer = httpx.post(f"{api}/v2.1/track", json=[request(1), request(2, ok=False)])
    assert (answer.status_code, answer.json()) == (200, {"itemsReceived": 2, "itemsAccepted": 2, "errors": []})
    assert count("AppRequests | where AppRoleName == 'mana.mana-api'") == 2
    assert count("AppRequests | where Success == false and ResultCode == '500'") == 1


def test_ndjson_as_the_dotnet_exporter_posts_it_with_a_bad_line_refused_by_its_index(api: str) -> None:
    lines = [json.dumps(request(1)), "{not json", json.dumps(request(3, key=OTHER_KEY)), json.dumps(request(4))]
    answer = httpx.post(f"{api}/v2.1/track", content="\n".join(lines), headers={"Content-Type": "application/json"})
    body = answer.json()
    assert (answer.status_code, body["itemsReceived"], body["itemsAccepted"]) == (206, 4, 2)
    assert [(e["index"], e["statusCode"]) for e in body["errors"]] == [(1, 400), (2, 400)]
    assert body["errors"][1]["message"] == "Invalid instrumentation key"
    assert count("AppRequests") == 2  # lines 0 and 3; nothing of the refused ones


def test_gzip_ndjson_as_the_classic_sdk_posts_it(api: str) -> None:
    text = "\r\n".join(json.dumps(request(i)) for i in range(3))  # Environment.NewLine on Windows
    headers = {"Content-Type": "application/x-json-stream", "Content-Encoding": "gzip"}
    answer = httpx.post(f"{api}/v2/track", content=gzip.compress(text.encode()), headers=headers)
    assert (answer.status_code, answer.json()["itemsAccepted"]) == (200, 3)
    assert count("AppRequests") == 3


def test_gzip_is_recognised_by_its_content_without_the_header(api: str) -> None:
    answer = httpx.post(f"{api}/v2/track", content=gzip.compress(json.dumps(request(1)).encode()))
    assert (answer.status_code, answer.json()["itemsAccepted"]) == (200, 1)


def test_an_unknown_key_is_refused_and_nothing_is_stored(api: str) -> None:
    answer = httpx.post(f"{api}/v2/track", json=[request(1, key=OTHER_KEY), request(2, key="")])
    assert answer.status_code == 400
    assert answer.json()["errors"] == [
        {"index": 0, "statusCode": 400, "message": "Invalid instrumentation key"},
        {"index": 1, "statusCode": 400, "message": "Invalid instrumentation key"},
    ]
    time.sleep(0.5)
    assert not list((get_settings().telemetry.dir).rglob("*.parquet"))


@pytest.mark.parametrize(
    ("body", "status", "message"),
    [
        (b"", 400, "the body is empty"),
        (b"\xff\xfe", 400, "not UTF-8"),
        (b"hello\nworld", 400, "no line of the body is a JSON envelope"),
        (b"\x1f\x8b\x08\x00garbage", 400, "gzip"),
        (gzip.compress(b" " * (80 << 20)), 413, "decompresses to more than 64 MB"),
    ],
)
def test_a_body_that_holds_no_envelope(api: str, body: bytes, status: int, message: str) -> None:
    answer = httpx.post(f"{api}/v2/track", content=body, timeout=30)
    assert answer.status_code == status
    assert message in answer.json()["errors"][0]["message"]


def test_a_body_over_the_limit_is_refused_unread(api: str) -> None:
    answer = httpx.post(f"{api}/v2/track", content=b"[" + b" " * (2 << 20) + b"]")
    assert answer.status_code == 413


def test_a_malformed_key_list_stops_the_api_with_one_line(
    sqlite_engine: Engine, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    from services.cli import main

    monkeypatch.setenv("SRE_INGEST_KEYS", f"dev={KEY},{OTHER_KEY}")
    get_settings.cache_clear()
    assert main(["api"]) == 2
    err = capsys.readouterr().err.strip()
    assert err == (
        f"error: SRE_INGEST_KEYS entry '{OTHER_KEY}' is not environment=key; write it as "
        "dev=00000000-0000-0000-0000-000000000001,staging=..."
    )
