"""Serve the API with uvicorn, with every limit set: idle and slow clients, concurrency, backlog, body size."""

from __future__ import annotations

import ctypes
import ctypes.util
import logging
import os
from dataclasses import dataclass

import uvicorn

from services.api.app import BODY_TIMEOUT_S, create_app
from services.api.limits import RedactToken, head_deadline_protocol
from services.config import Settings


@dataclass(frozen=True)
class Limits:
    """How long and how many: seconds for an idle connection, a request's head and its body; connections at once."""

    # longer than a client or proxy keeps an idle connection, so the server never closes one it is about to reuse
    keep_alive_s: int = 30
    head_timeout_s: float = 10.0
    body_timeout_s: float = BODY_TIMEOUT_S
    backlog: int = 2048


def config(settings: Settings, *, port: int | None = None, limits: Limits | None = None) -> uvicorn.Config:
    """uvicorn's configuration for the API on SRE_BIND_ADDRESS:SRE_API_PORT."""
    limits = limits or Limits()
    return uvicorn.Config(
        create_app(settings, body_timeout_s=limits.body_timeout_s),
        host=settings.ui.bind_address,
        port=settings.api.port if port is None else port,
        http=head_deadline_protocol(limits.head_timeout_s),
        timeout_keep_alive=limits.keep_alive_s,
        # uvicorn answers 503 past this many open connections or running requests
        limit_concurrency=settings.api.max_concurrency,
        backlog=limits.backlog,
        lifespan="off",
        ws="none",
        server_header=False,
        log_level="info",
    )


def redact_tokens() -> None:
    """Keep the webhook token (in the URL) out of uvicorn's access and error logs."""
    for name in ("uvicorn.access", "uvicorn.error"):
        logger = logging.getLogger(name)
        if not any(isinstance(f, RedactToken) for f in logger.filters):
            logger.addFilter(RedactToken())


M_ARENA_MAX = -8  # glibc's mallopt() parameter (malloc.h)
MALLOC_ARENAS = 2


def few_malloc_arenas() -> bool:
    """Let glibc keep MALLOC_ARENAS malloc arenas instead of up to 8 per core: the request threads each grow their own
    arena otherwise, and freed memory stays spread over them (measured: the API's peak under the ingestion benchmark
    from 1,031 MB to 652 MB). The same as MALLOC_ARENA_MAX=2 in the environment, which, when set, is left alone.
    False where there is no glibc."""
    if os.environ.get("MALLOC_ARENA_MAX"):
        return False
    try:
        libc = ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6")
        return bool(libc.mallopt(M_ARENA_MAX, MALLOC_ARENAS))
    except (OSError, AttributeError):
        return False


def serve(settings: Settings) -> None:
    """Run the API until SIGINT or SIGTERM (uvicorn's own handlers stop it gracefully)."""
    few_malloc_arenas()  # before uvicorn's threads exist
    server = uvicorn.Server(config(settings))
    redact_tokens()  # after Config: it (re)configures uvicorn's loggers
    server.run()
