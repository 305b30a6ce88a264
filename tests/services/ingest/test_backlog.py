"""However far the store falls behind, memory stays bounded and senders are told to retry: a spool segment closes
at SRE_INGEST_FLUSH_ROWS rows, past SRE_INGEST_MAX_BACKLOG_ROWS waiting rows a track or OTLP call is answered 503
with Retry-After and nothing of it is stored, and a drain process that dies is replaced with no row lost."""

from __future__ import annotations

import json
import os
import signal
import time
from pathlib import Path

import httpx
import pytest
from sqlalchemy.engine import Engine

from services.api.server import few_malloc_arenas
from services.config import get_settings
from services.ingest import runtime
from services.ingest.service import track
from services.ingest.spool import Spool
from tests.services.ingest.test_bad_input import serve
from tests.services.ingest.test_mapping import KEY
from tests.services.ingest.test_otlp import JSON, SERVER, json_spans
from tests.services.ingest.test_spool import rows, stored
from tests.services.ingest.test_track import count, request


def test_segments_close_at_the_row_bound_and_the_backlog_counts_what_waits(tmp_path: Path) -> None:
    spool = Spool(tmp_path / "spool", tmp_path / "store", max_rows=1000, max_backlog_rows=2500)
    for k in range(6):
        spool.append(rows(500, start=k * 500))  # 3,000 rows: three closed segments of 1,000, none open
    segments = sorted(spool.slot.path.glob("segment-*.ndjson"))
    assert len(segments) == 3 and all(len(s.read_text().splitlines()) == 2 for s in segments)
    assert spool.backlog_rows == 3000 and spool.pending_rows == 0 and spool.backlogged
    assert spool.due(max_age_s=3600, max_rows=10**6)  # closed segments wait: flushed without new rows
    assert spool.flush() == 3000 and spool.backlog_rows == 0 and not spool.backlogged
    assert len(stored(tmp_path / "store")) == 3000
    spool.close()


def test_a_backlogged_spool_answers_503_and_stores_nothing(tmp_path: Path) -> None:
    spool = Spool(tmp_path / "spool", tmp_path / "store", max_rows=100, max_backlog_rows=100)
    spool.append(rows(100))
    body = "\n".join(json.dumps(request(i)) for i in range(3)).encode()
    answer = track(body, content_encoding="", keys={KEY: "dev"}, spool=spool, max_bytes=1 << 20)
    assert answer.status == 503 and answer.retry_after == 5 and answer.accepted == 0
    assert answer.errors[0]["message"].startswith("the backoffice is writing 100 accepted rows to its store, more")
    assert spool.backlog_rows == 100  # the refused batch added nothing
    spool.flush()
    assert track(body, content_encoding="", keys={KEY: "dev"}, spool=spool, max_bytes=1 << 20).status == 200
    spool.close()


def test_the_api_answers_503_with_retry_after_on_both_paths(
    sqlite_engine: Engine, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    for url in serve(monkeypatch, tmp_path, SRE_INGEST_FLUSH_ROWS="100", SRE_INGEST_MAX_BACKLOG_ROWS="100"):
        rt = runtime.runtime(get_settings())
        rt._stop.set()  # the flusher stops: accepted rows wait in the spool
        rt._thread.join()
        body = "\n".join(json.dumps(request(i)) for i in range(100)).encode()
        assert httpx.post(f"{url}/v2/track", content=body).status_code == 200
        refused = httpx.post(f"{url}/v2/track", content=body)
        assert refused.status_code == 503 and refused.headers["Retry-After"] == "5"
        assert refused.json()["itemsAccepted"] == 0
        otlp = httpx.post(f"{url}/v1/traces", json=json_spans(SERVER), headers=JSON)
        assert otlp.status_code == 503 and otlp.headers["Retry-After"] == "5"
        assert "SRE_INGEST_MAX_BACKLOG_ROWS" in otlp.json()["message"]
        rt.spool.flush()
        assert httpx.post(f"{url}/v2/track", content=body).status_code == 200


@pytest.mark.heavy  # a child process: not in `make later`, which looks for dates
def test_a_killed_drain_process_is_replaced_and_no_row_is_lost(
    sqlite_engine: Engine, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    for url in serve(monkeypatch, tmp_path):
        body = "\n".join(json.dumps(request(i)) for i in range(50)).encode()
        assert httpx.post(f"{url}/v2/track", content=body).status_code == 200
        assert count("AppRequests") == 50  # written by the drain process
        rt = runtime.runtime(get_settings())
        [pid] = list(rt._drainer._processes)  # the pool's one process
        os.kill(pid, signal.SIGKILL)
        time.sleep(0.3)
        body = "\n".join(json.dumps(request(i)) for i in range(50, 120)).encode()
        assert httpx.post(f"{url}/v2/track", content=body).status_code == 200
        deadline = time.monotonic() + 20
        while count("AppRequests") < 120 and time.monotonic() < deadline:
            time.sleep(0.2)
        assert count("AppRequests") == 120
        assert pid not in rt._drainer._processes


def test_the_api_keeps_few_malloc_arenas(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("MALLOC_ARENA_MAX", raising=False)
    assert few_malloc_arenas()  # glibc, as on every machine of this project
    monkeypatch.setenv("MALLOC_ARENA_MAX", "4")
    assert not few_malloc_arenas()  # the operator's own setting is left alone
