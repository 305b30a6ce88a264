"""A slow webhook receiver on loopback (Starlette on uvicorn): each POST takes `delay_s` and its Idempotency-Key
is recorded when the request arrives, so a sender killed while waiting for the answer still counts as received."""

from __future__ import annotations

import asyncio
import socket
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field

import uvicorn
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route

from tests.uvicorn_thread import served


@dataclass
class Received:
    """What the receiver saw: (monotonic arrival time, Idempotency-Key) per request, in arrival order."""

    delay_s: float
    requests: list[tuple[float, str]] = field(default_factory=list)
    answered: set[str] = field(default_factory=set)

    def keys(self) -> list[str]:
        """The Idempotency-Key of each request, in arrival order."""
        return [k for _, k in self.requests]

    def arrivals(self, key: str) -> list[float]:
        """When each request with this key arrived."""
        return [t for t, k in self.requests if k == key]


def _app(received: Received) -> Starlette:
    async def hook(request: Request) -> JSONResponse:
        key = request.headers.get("Idempotency-Key", "")
        received.requests.append((time.monotonic(), key))
        await request.body()
        await asyncio.sleep(received.delay_s)
        received.answered.add(key)
        return JSONResponse({"received": key})

    return Starlette(routes=[Route("/hook", hook, methods=["POST"])])


@contextmanager
def slow_receiver(*, delay_s: float) -> Iterator[tuple[str, Received]]:
    """Serve the receiver on a free loopback port; yields its URL and what it receives."""
    received = Received(delay_s)
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    port = sock.getsockname()[1]
    config = uvicorn.Config(_app(received), log_level="warning", lifespan="off")
    try:
        with served(config, name="slow-receiver", sockets=[sock], timeout_s=10):
            yield f"http://127.0.0.1:{port}/hook", received
    finally:
        sock.close()
