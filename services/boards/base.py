"""What a board (Azure DevOps, GitHub) offers the incident service, and the HTTP plumbing the clients share."""

from __future__ import annotations

import base64
import http.client
import json
import time
import urllib.error
import urllib.request
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from email.message import Message
from typing import Any, Literal, Protocol
from urllib.parse import urlsplit

from pydantic import SecretStr

from services import redaction
from services.errors import ExternalServiceError, InvalidInput
from services.http_client import USER_AGENT, HttpAnswer, error_body, no_redirect_opener, short


@dataclass(frozen=True)
class BoardIssueRequest:
    """An issue the incident service wants on the board."""

    title: str
    description: str
    kind: Literal["bug", "task"]
    priority: int
    severity: str | None
    tags: tuple[str, ...]
    link_url: str | None
    marker: str


@dataclass(frozen=True)
class BoardIssue:
    """An issue as the board knows it."""

    provider: str
    key: str
    url: str
    state: str
    title: str


class BoardClient(Protocol):
    """Creates, finds (by marker) and refreshes issues on one board."""

    provider: str

    def create_issue(self, request: BoardIssueRequest) -> BoardIssue: ...

    def find_issue(self, marker: str) -> BoardIssue | None: ...

    def get_issue(self, key: str) -> BoardIssue: ...


def check_label(value: str, *, what: str) -> str:
    """A tag / label / marker without the separators boards split on; raises InvalidInput."""
    text = value.strip()
    if not text or len(text) > 50 or any(c in text for c in ",;\n\r"):
        raise InvalidInput(f"The board {what} {value!r} must be 1-50 characters without ',' or ';'.")
    return text


def check_request(request: BoardIssueRequest) -> None:
    """Refuse a request no board would accept; raises InvalidInput."""
    if not request.title.strip():
        raise InvalidInput("A board issue needs a title.")
    if request.kind not in ("bug", "task"):
        raise InvalidInput(f"A board issue is a 'bug' or a 'task', not {request.kind!r}.")
    if isinstance(request.priority, bool) or request.priority not in (1, 2, 3, 4):
        raise InvalidInput(f"A board issue's priority is 1 (highest) to 4, not {request.priority!r}.")
    if request.link_url is not None and urlsplit(request.link_url).scheme not in ("http", "https"):
        raise InvalidInput(f"The incident link must be an http(s) URL, not {request.link_url!r}.")
    check_label(request.marker, what="marker")
    for tag in request.tags:
        check_label(tag, what="tag")


def unique(values: Iterable[str]) -> list[str]:
    """The values in order, each once (compared case-insensitively, as boards do)."""
    seen: set[str] = set()
    out: list[str] = []
    for value in values:
        if value.lower() not in seen:
            seen.add(value.lower())
            out.append(value)
    return out


def basic_auth(pat: str) -> str:
    """The Authorization value Azure DevOps expects for a PAT: Basic base64(":" + PAT)."""
    return "Basic " + base64.b64encode(f":{pat}".encode()).decode("ascii")


class BoardHttp:
    """One board's HTTP: urllib without redirects, one timeout, and errors that never carry the secret."""

    def __init__(
        self,
        *,
        label: str,
        authorization: str,
        headers: Mapping[str, str],
        secrets: Iterable[str],
        timeout_s: float,
        url_setting: str,
        redirect_hint: str,
    ) -> None:
        self.label = label
        self.timeout_s = timeout_s
        self.url_setting = url_setting
        self.redirect_hint = redirect_hint
        self._headers = {"User-Agent": USER_AGENT, **headers}
        # kept as SecretStr so no repr, vars() or debugger view of the client shows them
        self._authorization = SecretStr(authorization)
        self._secrets = [SecretStr(s) for s in sorted({*secrets, authorization}, key=len, reverse=True) if len(s) >= 4]
        self._opener = no_redirect_opener()

    def __repr__(self) -> str:
        return f"BoardHttp({self.label!r}, timeout_s={self.timeout_s})"

    def send(self, method: str, url: str, *, what: str, body: Any = None, content_type: str = "") -> HttpAnswer:
        """Send one request; HTTP errors come back as answers, transport failures raise ExternalServiceError."""
        headers = {**self._headers, "Authorization": self._authorization.get_secret_value()}
        data = None
        if body is not None:
            data = json.dumps(body).encode()
            headers["Content-Type"] = content_type or "application/json"
        request = urllib.request.Request(url, data=data, headers=headers, method=method)
        try:
            with self._opener.open(request, timeout=self.timeout_s) as response:
                return HttpAnswer(response.status, response.headers, response.read())
        except urllib.error.HTTPError as exc:
            with exc:
                return HttpAnswer(exc.code, exc.headers, error_body(exc))
        except TimeoutError:
            raise self._timeout(what) from None
        except urllib.error.URLError as exc:
            if isinstance(exc.reason, TimeoutError):
                raise self._timeout(what) from None
            raise self._unreachable(what, exc.reason) from None
        except (http.client.HTTPException, OSError) as exc:
            raise self._unreachable(what, exc) from None

    def json(self, answer: HttpAnswer, *, what: str) -> Any:
        """The answer's JSON body; a non-JSON answer (a proxy, a sign-in page) raises ExternalServiceError."""
        try:
            return json.loads(answer.body)
        except ValueError:
            raise self.not_the_api(answer, what=what) from None

    def not_the_api(self, answer: HttpAnswer, *, what: str) -> ExternalServiceError:
        """The error for an answer that is not what the board's API sends."""
        kind = answer.headers.get_content_type() if answer.headers else "unknown"
        return self.error(
            what,
            f"the answer (HTTP {answer.status}, {kind}) is not the board's API; "
            f"check {self.url_setting} and any proxy in between",
        )

    def common_error(self, answer: HttpAnswer, *, what: str) -> ExternalServiceError:
        """Redirects, throttling, server failures and anything else unexpected."""
        status, detail = answer.status, server_message(answer.body)
        if 300 <= status < 400:
            where = urlsplit(answer.headers.get("Location") or "")
            target = f" to {where.scheme}://{where.netloc}{where.path}" if where.netloc else ""
            return self.error(what, f"the board answered with a redirect (HTTP {status}{target}); {self.redirect_hint}")
        if status == 429:
            return self.error(what, f"the board is rate limiting requests (HTTP 429); {retry_hint(answer.headers)}")
        if status >= 500:
            return self.error(what, f"the board failed (HTTP {status}{_detail(detail)}); try again shortly")
        return self.error(what, f"the board answered HTTP {status}{_detail(detail)}")

    def error(self, what: str, cause: str) -> ExternalServiceError:
        """One message: the board, what we tried, the cause and what to do; secrets are masked."""
        return ExternalServiceError(self.redact(f"{self.label}: could not {what}: {cause}."))

    def redact(self, text: str) -> str:
        """The text with the token, its encodings and any Authorization value masked."""
        return redaction.redact(text, [s.get_secret_value() for s in self._secrets])

    def _timeout(self, what: str) -> ExternalServiceError:
        return self.error(what, f"no answer within {self.timeout_s:g} s; try again, or check the network or proxy")

    def _unreachable(self, what: str, reason: object) -> ExternalServiceError:
        return self.error(what, f"cannot reach the board ({short(reason)}); check {self.url_setting} and the network")


def server_message(body: bytes) -> str:
    """The message in a board's JSON error body (GitHub's field errors included), or ''."""
    try:
        data = json.loads(body)
    except ValueError:
        return ""
    if not isinstance(data, dict):
        return ""
    message = str(data.get("message") or "")
    details = []
    for err in data.get("errors") or []:
        if isinstance(err, dict):
            parts = [str(err[k]) for k in ("field", "code", "message", "value") if err.get(k) not in (None, "")]
            details.append(" ".join(parts))
        elif isinstance(err, str):
            details.append(err)
    return short(f"{message}: {'; '.join(details)}" if details else message)


def retry_hint(headers: Message) -> str:
    """When to try again, from Retry-After (or GitHub's x-ratelimit-reset)."""
    after = (headers.get("Retry-After") or "").strip()
    if after.isdigit():
        return f"try again in {int(after)} s (Retry-After)"
    reset = (headers.get("x-ratelimit-reset") or "").strip()
    if reset.isdigit():
        return f"try again in {max(0, int(reset) - int(time.time()))} s (the rate limit resets then)"
    return "try again in a minute"


def _detail(detail: str) -> str:
    return f": {detail}" if detail else ""
