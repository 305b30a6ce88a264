"""Deadlines uvicorn does not have: for a request's head (it times only idle keep-alive connections) and its body."""

from __future__ import annotations

import asyncio
import logging
import re
from collections.abc import Mapping

import anyio
from starlette.datastructures import Headers
from starlette.exceptions import HTTPException
from starlette.middleware.body_limit import RequestBodyLimitMiddleware
from starlette.types import ASGIApp, Message, Receive, Scope, Send
from uvicorn.protocols.http.httptools_impl import HttpToolsProtocol

from services.api.errors import too_large

TOKEN_IN_URL = re.compile(r"(token=)[^&\s\"]*", re.IGNORECASE)


class BodyLimits:
    """ASGI middleware: a declared body over `max_bytes` is answered 413 before it is read, and a body that has not
    fully arrived `timeout_s` after the request's head 408. Starlette's RequestBodyLimitMiddleware, inside this one,
    counts the bytes of a body sent without a length (chunked)."""

    def __init__(
        self, app: ASGIApp, *, max_bytes: int, timeout_s: float, overrides: Mapping[str, int] | None = None
    ) -> None:
        self.app = app
        self.max_bytes = max_bytes
        self.timeout_s = timeout_s
        self.overrides = dict(overrides or {})

    def limit_for(self, path: str) -> int:
        """The most bytes a body sent to `path` may have (a path that takes files may have its own)."""
        return next((n for p, n in self.overrides.items() if path.startswith(p)), self.max_bytes)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        declared = Headers(scope=scope).get("content-length", "")
        limit = self.limit_for(scope.get("path", ""))
        if declared.isdigit() and int(declared) > limit:
            await too_large(limit, scope.get("path", ""))(scope, receive, send)
            return
        deadline = anyio.current_time() + self.timeout_s
        complete = False

        async def timed_receive() -> Message:
            nonlocal complete
            if complete:  # later calls wait for a disconnect, which may take as long as the answer does
                return await receive()
            with anyio.move_on_after(deadline - anyio.current_time()) as waiting:
                message = await receive()
            if waiting.cancelled_caught:
                raise HTTPException(
                    408, f"The request's body did not arrive within {self.timeout_s:g} s.", {"Connection": "close"}
                )
            complete = message["type"] != "http.request" or not message.get("more_body", False)
            return message

        await self.app(scope, timed_receive, send)


class PathBodyLimit:
    """Starlette's RequestBodyLimitMiddleware (which counts a body sent without a length), with its own limit for the
    paths that take files."""

    def __init__(self, app: ASGIApp, *, max_bytes: int, overrides: Mapping[str, int] | None = None) -> None:
        self.default = RequestBodyLimitMiddleware(app, max_bytes)
        self.by_path = {p: RequestBodyLimitMiddleware(app, n) for p, n in (overrides or {}).items()}

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        path = scope.get("path", "") if scope["type"] == "http" else ""
        target = next((m for p, m in self.by_path.items() if path.startswith(p)), self.default)
        await target(scope, receive, send)


def head_deadline_protocol(timeout_s: float) -> type[HttpToolsProtocol]:
    """uvicorn's httptools protocol, closing a connection whose request head is not complete within `timeout_s`.

    uvicorn arms its keep-alive timer only after a response and cancels it on any byte, so a client that connects and
    sends nothing, or a few bytes of headers, would hold its connection (and a place under limit_concurrency) forever.
    """

    class HeadDeadlineProtocol(HttpToolsProtocol):
        _head_timer: asyncio.TimerHandle | None = None

        def connection_made(self, transport: asyncio.Transport) -> None:  # type: ignore[override]
            super().connection_made(transport)
            self._arm_head_deadline()

        def on_message_begin(self) -> None:
            super().on_message_begin()
            if self._head_timer is None:  # the next request on a kept-alive connection
                self._arm_head_deadline()

        def on_headers_complete(self) -> None:
            self._disarm_head_deadline()
            super().on_headers_complete()

        def connection_lost(self, exc: Exception | None) -> None:
            self._disarm_head_deadline()
            super().connection_lost(exc)

        def _arm_head_deadline(self) -> None:
            self._head_timer = self.loop.call_later(timeout_s, self._head_too_slow)

        def _disarm_head_deadline(self) -> None:
            if self._head_timer is not None:
                self._head_timer.cancel()
                self._head_timer = None

        def _head_too_slow(self) -> None:
            self._head_timer = None
            if not self.transport.is_closing():
                self.transport.close()

    return HeadDeadlineProtocol


class RedactToken(logging.Filter):
    """Masks `token=...` in uvicorn's access and error lines: the webhook's token travels in the URL."""

    def filter(self, record: logging.LogRecord) -> bool:
        if isinstance(record.args, tuple):
            record.args = tuple(TOKEN_IN_URL.sub(r"\1***", a) if isinstance(a, str) else a for a in record.args)
        if isinstance(record.msg, str):
            record.msg = TOKEN_IN_URL.sub(r"\1***", record.msg)
        return True
