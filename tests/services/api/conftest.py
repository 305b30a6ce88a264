"""The API on a real uvicorn server in a thread, on 127.0.0.1 and a free port, over the test's database."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager, contextmanager

import pytest
from sqlalchemy.engine import Engine

from services.api.server import Limits, config
from services.config import get_settings
from tests.e2e.streamlit_server import free_port
from tests.uvicorn_thread import served

TOKEN = "s3cret-hook-token"
QUICK = Limits(keep_alive_s=1, head_timeout_s=1.0, body_timeout_s=1.0)
Serve = Callable[..., AbstractContextManager[str]]


@contextmanager
def running(limits: Limits = QUICK) -> Iterator[str]:
    """Serve the API until the block ends; yields its base URL."""
    port = free_port()
    with served(config(get_settings(), port=port, limits=limits), name="api-under-test"):
        yield f"http://127.0.0.1:{port}"


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
