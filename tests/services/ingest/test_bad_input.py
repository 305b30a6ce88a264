"""Bad input the admission checks refuse, on the real API server: items timed before 2000 or too far ahead (refused
one by one, counted, the rest stored) and a key sending over its rate (429 with Retry-After, nothing stored), on both
the track and the OTLP paths."""

from __future__ import annotations

import json
import logging
import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import httpx
import pytest
from google.rpc.status_pb2 import Status
from sqlalchemy.engine import Engine

from services.config import get_settings
from services.ingest import runtime
from tests.services.api.conftest import running
from tests.services.ingest.test_mapping import KEY
from tests.services.ingest.test_otlp import JSON, PROTOBUF, SERVER, json_span, json_spans
from tests.services.ingest.test_otlp_mapping import logs, record
from tests.services.ingest.test_real_exporter import rows
from tests.services.ingest.test_track import OTHER_KEY, count, request


def serve(monkeypatch: pytest.MonkeyPatch, data: Path, **settings: str) -> Iterator[str]:
    monkeypatch.setenv("SRE_INGEST_KEYS", f"dev={KEY},staging={OTHER_KEY}")
    monkeypatch.setenv("SRE_INGEST_SPOOL_DIR", str(data / "spool"))
    monkeypatch.setenv("SRE_INGEST_FLUSH_S", "0.1")
    for name, value in settings.items():
        monkeypatch.setenv(name, value)
    get_settings.cache_clear()
    runtime.reset()
    with running() as url:
        yield url
    runtime.reset()


@pytest.fixture
def api(sqlite_engine: Engine, isolated_settings: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:
    """Items may be at most an hour ahead of the server's clock."""
    yield from serve(monkeypatch, isolated_settings, SRE_INGEST_MAX_FUTURE_MIN="60")


@pytest.fixture
def slow_api(sqlite_engine: Engine, isolated_settings: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:
    """Each key may send one item a second: a first batch passes on a full bucket and leaves it in debt."""
    yield from serve(monkeypatch, isolated_settings, SRE_INGEST_RATE_PER_KEY="1")


def iso(t: datetime) -> str:
    return t.isoformat().replace("+00:00", "Z")


def admission_counts() -> dict[tuple[str, str], int]:
    return dict(runtime.runtime(get_settings()).admission.refused)


def test_track_items_before_2000_or_too_far_ahead_are_refused_by_index_and_counted(
    api: str, caplog: pytest.LogCaptureFixture
) -> None:
    now = datetime.now(UTC)  # the server's clock (the suite's, under SRE_TEST_CLOCK too)
    times = ["1999-12-31T23:59:59Z", "2000-01-01T00:00:00Z", iso(now + timedelta(hours=2)),
             iso(now + timedelta(minutes=30)), iso(now - timedelta(days=3))]  # fmt: skip
    body = [{**request(i), "time": t} for i, t in enumerate(times)]
    with caplog.at_level(logging.WARNING, "sre_backoffice.ingest"):
        answer = httpx.post(f"{api}/v2.1/track", json=body)
        assert count("AppRequests") == 3  # 2000-01-01, half an hour ahead, three days ago
        deadline = time.monotonic() + 10
        while not caplog.records and time.monotonic() < deadline:  # the flusher reports (every 0.2 s at most)
            time.sleep(0.1)
    result = answer.json()
    assert (answer.status_code, result["itemsReceived"], result["itemsAccepted"]) == (206, 5, 3)
    assert [(e["index"], e["statusCode"]) for e in result["errors"]] == [(0, 400), (2, 400)]
    assert result["errors"][0]["message"] == (
        "time 1999-12-31T23:59:59Z is before 2000-01-01T00:00:00Z, the earliest accepted: fix the sender's clock"
    )
    late = result["errors"][1]["message"]
    assert late.startswith(f"time {times[2][:19]}") and "is more than 60 min ahead of the backoffice's clock" in late
    assert late.endswith("fix the sender's clock, or raise SRE_INGEST_MAX_FUTURE_MIN")
    assert admission_counts() == {("dev", "time"): 2}
    assert [r.getMessage() for r in caplog.records] == [
        "ingest: items refused since the last report: dev: 2 timed before 2000 or too far ahead"
    ]


def test_otlp_spans_and_log_records_out_of_bounds_are_a_partial_success(api: str) -> None:
    ahead = int((datetime.now(UTC) + timedelta(days=2)).timestamp()) * 10**9
    late_event = {"timeUnixNano": str(ahead), "name": "cache miss"}
    client = json_span("00f067aa0ba902b7", "POST", 3, 80, {}, events=[late_event])  # its event two days ahead
    answer = httpx.post(f"{api}/v1/traces", content=json.dumps(json_spans(SERVER, client)), headers=JSON)
    partial = answer.json()["partialSuccess"]
    assert (answer.status_code, partial["rejectedSpans"]) == (200, "1")
    message = partial["errorMessage"]
    assert message.startswith("span 'POST': time ") and message.endswith("the rest was stored")
    assert "is more than 60 min ahead of the backoffice's clock" in message
    body = logs(record("kept"), record("y2k", time_unix_nano=946_684_799 * 10**9)).SerializeToString()  # 1999-12-31
    answer = httpx.post(f"{api}/v1/logs", content=body, headers=PROTOBUF)
    assert answer.status_code == 200
    assert [r["Message"] for r in rows("AppTraces | project Message", 1)] == ["kept"]
    assert count("AppRequests") == 1
    assert rows("AppDependencies | count", 0)[0]["Count"] == 0  # the refused span, and nothing of its event
    assert admission_counts() == {("dev", "time"): 2}


def test_a_key_over_its_rate_is_answered_429_with_retry_after_and_nothing_is_stored(slow_api: str) -> None:
    first = httpx.post(f"{slow_api}/v2/track", json=[request(i) for i in range(50)])
    assert (first.status_code, first.json()["itemsAccepted"]) == (200, 50)  # a full bucket (1) lets a batch in: -49
    flood = httpx.post(f"{slow_api}/v2/track", json=[request(i) for i in range(50, 53)])
    assert flood.status_code == 429
    wait = int(flood.headers["Retry-After"])
    assert 45 <= wait <= 50  # 50 tokens short at one a second, less the moments since the first call
    answer = flood.json()
    assert (answer["itemsReceived"], answer["itemsAccepted"]) == (3, 0)
    assert [(e["index"], e["statusCode"]) for e in answer["errors"]] == [(0, 429), (1, 429), (2, 429)]
    assert answer["errors"][0]["message"] == (
        f"this key sent more items than SRE_INGEST_RATE_PER_KEY allows (1 a second); nothing was stored: retry "
        f"after {wait} s"
    )
    other = httpx.post(f"{slow_api}/v2/track", json=[request(99, key=OTHER_KEY)])  # another key has its own bucket
    assert other.status_code == 200
    assert count("AppRequests", want=51) == 51  # the first batch and the other key's item; nothing of the flood
    assert admission_counts() == {("dev", "rate"): 3}


def test_an_otlp_sender_over_its_rate_gets_a_status_and_retry_after(slow_api: str) -> None:
    headers = {**JSON, "Authorization": f"Bearer {OTHER_KEY}"}
    assert httpx.post(f"{slow_api}/v1/traces", content=json.dumps(json_spans(SERVER)), headers=headers).is_success
    answer = httpx.post(f"{slow_api}/v1/logs", content=logs(record("a"), record("b")).SerializeToString(),
                        headers={**PROTOBUF, "Authorization": f"Bearer {OTHER_KEY}"})  # fmt: skip
    assert (answer.status_code, answer.headers["content-type"]) == (429, "application/x-protobuf")
    assert int(answer.headers["Retry-After"]) >= 1
    status = Status.FromString(answer.content).message
    assert status.startswith("this key sent more items than SRE_INGEST_RATE_PER_KEY allows (1 a second)")
    assert count("AppRequests") == 1
    assert rows("AppTraces | count", 0)[0]["Count"] == 0  # the refused call never reached the spool
    assert admission_counts() == {("staging", "rate"): 2}
