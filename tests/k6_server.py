"""A small local HTTP API for running the real k6 against, on uvicorn: GET /api/shops, GET /api/orders (every 4th call
answers 500) and POST /api/cart.

By default each answer waits a few milliseconds (the fixtures' short run). With `workers`, the API behaves as a
server of that many workers does under load: each request holds a worker for a service time drawn from an
exponential distribution around its endpoint's mean and waits in line while all are busy, so latency climbs
steeply as the arrival rate nears workers / mean service time (the knee a capacity plan looks for).
"""

from __future__ import annotations

import asyncio
import itertools
import random
from collections.abc import Iterator
from contextlib import contextmanager

import uvicorn
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route

from tests.e2e.streamlit_server import free_port
from tests.uvicorn_thread import served

# an endpoint's mean service time in seconds, under load (workers given): with 2 workers and capacity.js's mix
# (shops 70 %, orders 20 %, cart 10 %) about 22 ms a request, so 2 workers sustain about 90 requests a second
SERVICE_S = {"shops": 0.020, "orders": 0.035, "cart": 0.015}


def app(workers: int | None = None, seed: int = 7) -> Starlette:
    """The API; `workers`: serve as that many workers under load (see the module's text)."""
    counter = itertools.count()
    rng = random.Random(seed)
    pool = asyncio.Semaphore(workers) if workers else None

    async def wait(endpoint: str, n: int) -> None:
        if pool is None:  # the fixtures' run: a fixed few milliseconds per endpoint
            quick = {
                "shops": 0.002 + (n % 5) * 0.001,
                "orders": 0.010 + (n % 7) * 0.002,
                "cart": 0.004 + (n % 3) * 0.001,
            }
            await asyncio.sleep(quick[endpoint])
            return
        async with pool:  # in line until a worker is free, then the worker's time on it
            await asyncio.sleep(rng.expovariate(1 / SERVICE_S[endpoint]))

    async def shops(request: Request) -> JSONResponse:
        await wait("shops", next(counter))
        return JSONResponse({"shops": [1, 2, 3]})

    async def orders(request: Request) -> JSONResponse:
        n = next(counter)
        await wait("orders", n)
        return JSONResponse({"orders": []}, status_code=500 if n % 4 == 0 else 200)

    async def cart(request: Request) -> JSONResponse:
        await request.body()
        await wait("cart", next(counter))
        return JSONResponse({"ok": True}, status_code=201)

    routes = [
        Route("/api/shops", shops, methods=["GET"]),
        Route("/api/orders", orders, methods=["GET"]),
        Route("/api/cart", cart, methods=["POST"]),
    ]
    return Starlette(routes=routes)


@contextmanager
def serve(workers: int | None = None) -> Iterator[str]:
    """Serve the API on 127.0.0.1 (a free port) on uvicorn in a thread until the block ends; yields its base URL."""
    port = free_port()
    config = uvicorn.Config(app(workers), host="127.0.0.1", port=port, log_level="warning", access_log=False)
    with served(config, name="k6-api"):
        yield f"http://127.0.0.1:{port}"
