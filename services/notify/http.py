"""The HTTP the notifiers share: one request over urllib, no redirects, transport failures as values."""

from __future__ import annotations

import http.client
import ssl
import time
import urllib.error
import urllib.request
from collections.abc import Mapping
from dataclasses import dataclass
from email.message import Message
from email.utils import parsedate_to_datetime
from urllib.parse import urlsplit

from services.http_client import USER_AGENT, HttpAnswer, error_body, no_redirect_opener, short

__all__ = ["HttpAnswer", "HttpFailure", "display_url", "fetch", "retry_after", "retryable_status"]


@dataclass(frozen=True)
class HttpFailure:
    """No HTTP answer at all: the cause in words, and whether it was a timeout."""

    cause: str
    timed_out: bool = False


_OPENER = no_redirect_opener()


def fetch(
    method: str, url: str, *, headers: Mapping[str, str], body: bytes | None = None, timeout_s: float
) -> HttpAnswer | HttpFailure:
    """Send one request; any HTTP status is an answer, anything else an HttpFailure (never raises)."""
    request = urllib.request.Request(url, data=body, headers={"User-Agent": USER_AGENT, **headers}, method=method)
    try:
        with _OPENER.open(request, timeout=timeout_s) as response:
            return HttpAnswer(response.status, response.headers, response.read())
    except urllib.error.HTTPError as exc:
        with exc:
            return HttpAnswer(exc.code, exc.headers, error_body(exc))
    except TimeoutError:
        return _timed_out(timeout_s)
    except urllib.error.URLError as exc:
        if isinstance(exc.reason, TimeoutError):
            return _timed_out(timeout_s)
        if isinstance(exc.reason, ssl.SSLCertVerificationError):
            return HttpFailure(f"the server's TLS certificate was not trusted ({short(exc.reason.verify_message)})")
        return HttpFailure(f"cannot connect ({short(exc.reason)})")
    except (http.client.HTTPException, OSError) as exc:
        return HttpFailure(f"the connection failed ({short(exc) or type(exc).__name__})")


def retryable_status(status: int) -> bool:
    """Whether retrying can help an HTTP status: 408, 429 and 5xx yes; redirects and other 4xx no."""
    return status in (408, 429) or status >= 500


def retry_after(headers: Message | None) -> float | None:
    """Seconds to wait from a Retry-After header (seconds or an HTTP date), or None."""
    value = (headers.get("Retry-After") or "").strip() if headers is not None else ""
    if not value:
        return None
    if value.isdigit():
        return float(value)
    try:
        return max(0.0, parsedate_to_datetime(value).timestamp() - time.time())
    except (TypeError, ValueError, IndexError):
        return None


def display_url(url: str) -> str:
    """The URL as it may appear in a message: scheme, host and port only (paths and queries often hold secrets)."""
    parts = urlsplit(url)
    host = parts.hostname or ""
    if ":" in host:
        host = f"[{host}]"
    try:
        port = f":{parts.port}" if parts.port else ""
    except ValueError:
        port = ""
    rest = "/…" if parts.path.strip("/") or parts.query else ""
    return f"{parts.scheme}://{host}{port}{rest}"


def _timed_out(timeout_s: float) -> HttpFailure:
    return HttpFailure(f"timed out after {timeout_s:g} s without an answer", timed_out=True)
