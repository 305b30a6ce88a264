"""What the outgoing HTTP of the board clients and the notifiers shares: urllib without redirects, one answer type."""

from __future__ import annotations

import http.client
import urllib.error
import urllib.request
from email.message import Message
from typing import Any, NamedTuple

USER_AGENT = "sre-backoffice"


class HttpAnswer(NamedTuple):
    """A server's answer: status, headers and the raw body."""

    status: int
    headers: Message
    body: bytes


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    """A redirect is an answer, not a hop: no re-sent POST, no token carried to another host or a sign-in page."""

    def redirect_request(self, *args: Any, **kwargs: Any) -> None:
        return None


def no_redirect_opener() -> urllib.request.OpenerDirector:
    """A urllib opener that hands 3xx answers back instead of following them."""
    return urllib.request.build_opener(_NoRedirect)


def error_body(exc: urllib.error.HTTPError) -> bytes:
    """The body of an HTTP error answer, or b'' when the connection broke while reading it."""
    try:
        return exc.read()
    except (OSError, http.client.HTTPException):
        return b""


def short(text: object, limit: int = 300) -> str:
    """The first line of the text, cut to the limit."""
    s = str(text).strip()
    first = s.splitlines()[0] if s else ""
    return first if len(first) <= limit else first[: limit - 1] + "…"
