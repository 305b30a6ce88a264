"""A uvicorn server of the tests' own in a thread: started (or a clear error) before the block, stopped after it."""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager

import uvicorn


@contextmanager
def served(
    config: uvicorn.Config, *, name: str, sockets: list[socket.socket] | None = None, timeout_s: float = 30
) -> Iterator[uvicorn.Server]:
    """Run `config` on uvicorn in a daemon thread until the block ends; raises when it does not start in time."""
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, kwargs={"sockets": sockets}, name=name, daemon=True)
    thread.start()
    deadline = time.monotonic() + timeout_s
    while not server.started:
        if not thread.is_alive() or time.monotonic() > deadline:
            raise RuntimeError(f"{name} did not start")
        time.sleep(0.02)
    try:
        yield server
    finally:
        server.should_exit = True
        thread.join(15)
