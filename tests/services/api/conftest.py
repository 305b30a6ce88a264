"""The API on a real uvicorn server in a thread, on 127.0.0.1 and a free port, over the test's database."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager, contextmanager

import pytest
import uvicorn
from sqlalchemy.engine import Engine

from services.api.server import Limits, config
from services.config import get_settings
from tests.e2e.streamlit_server import free_port

TOKEN = "s3cret-hook-token"
QUICK = Limits(keep_alive_s=1, head_timeout_s=1.0, body_timeout_s=1.0)
Serve = Callable[..., AbstractContextManager[str]]


@contextmanager
def running(limits: Limits = QUICK) -> Iterator[str]:
    """Serve the API until the block ends; yields its base URL."""
    port = free_port()
    server = uvicorn.Server(config(get_settings(), port=port, limits=limits))
    thread = threading.Thread(target=server.run, name="api-under-test", daemon=True)
    thread.start()
    deadline = time.monotonic() + 30
    while not server.started:
        assert thread.is_alive() and time.monotonic() < deadline, "the API did not start"
        time.sleep(0.02)
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        thread.join(15)


@pytest.fixture
def serve(sqlite_engine: Engine, monkeypatch: pytest.MonkeyPatch) -> Serve:
    """Start the API (with the webhook token set) on the test's migrated SQLite database."""
    monkeypatch.setenv("SRE_WEBHOOK_TOKEN", TOKEN)
    get_settings.cache_clear()
    return running


@pytest.fixture
def api(serve: Serve) -> Iterator[str]:
    """The base URL of a running API with short timeouts."""
    with serve() as url:
        yield url
