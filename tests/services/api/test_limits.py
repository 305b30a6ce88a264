"""The server's limits, on the real uvicorn server: a body over SRE_API_MAX_BODY_KB is a 413, a slow body a 408,
silent and half-sent requests are closed by the server's deadlines without keeping anyone else out, and past
SRE_API_MAX_CONCURRENCY connections the answer is 503."""

from __future__ import annotations

import socket
import time
from collections.abc import Iterator

import httpx
import pytest

from services.api.server import Limits
from services.config import get_settings
from services.db import session_scope
from services.incidents import repository as incident_repo
from tests.services.api.conftest import TOKEN, Serve
from tests.services.api.test_alerts import FIRED, hook


def _port(api: str) -> int:
    return int(api.rsplit(":", 1)[1])


def _stored() -> bool:
    with session_scope() as s:
        return incident_repo.get_by_source(s, "azure-monitor", FIRED["data"]["essentials"]["alertId"]) is not None


def _padded(size: int) -> bytes:
    """The sample alert padded with spaces to `size` bytes: valid JSON, only too long."""
    body = httpx.Request("POST", "http://x", json=FIRED).content
    return body + b" " * (size - len(body))


def test_a_body_over_the_limit_is_413_whether_its_length_is_declared_or_not(
    serve: Serve, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("SRE_API_MAX_BODY_KB", "8")
    get_settings.cache_clear()
    with serve() as api:
        assert httpx.post(hook(api), content=_padded(8 * 1024), headers={"Content-Type": "application/json"}).is_success
        declared = httpx.post(hook(api), content=_padded(8 * 1024 + 1), headers={"Content-Type": "application/json"})
        chunked = httpx.post(
            hook(api), content=iter([_padded(6 * 1024), b" " * 4096]), headers={"Content-Type": "application/json"}
        )
    for answer in (declared, chunked):
        assert answer.status_code == 413
        assert answer.json()["error"] == "The body is larger than the API accepts (8 KB, SRE_API_MAX_BODY_KB)."


def test_a_body_that_stops_arriving_is_answered_408_and_nothing_is_stored(api: str) -> None:
    with socket.create_connection(("127.0.0.1", _port(api)), timeout=10) as s:
        body = _padded(2000)
        s.sendall(
            f"POST /hooks/azure-monitor?token={TOKEN} HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
            f"Content-Length: {len(body)}\r\n\r\n".encode()
            + body[:1000]
        )
        started = time.monotonic()
        answer = _read_until_closed(s)
    assert answer.startswith(b"HTTP/1.1 408 ")
    assert b"did not arrive within 1 s" in answer
    assert 0.9 < time.monotonic() - started < 5
    assert not _stored()


def _read_until_closed(s: socket.socket) -> bytes:
    got = b""
    while chunk := s.recv(4096):
        got += chunk
    return got


def _half_requests(port: int, n: int) -> Iterator[socket.socket]:
    """Connections that send nothing, a part of their headers, or headers promising a body that never comes."""
    starts = (
        b"",
        b"POST /hooks/azure-monitor HTTP/1.1\r\nHost: x\r\n",
        b"POST /hooks/azure-monitor HTTP/1.1\r\nHost: x\r\nContent-Length: 100\r\n\r\n",
    )
    for i in range(n):
        s = socket.create_connection(("127.0.0.1", port), timeout=15)
        s.sendall(starts[i % 3])
        yield s


def test_two_hundred_half_requests_are_closed_by_the_server_and_keep_no_one_out(api: str) -> None:
    held = list(_half_requests(_port(api), 200))
    try:
        meanwhile = httpx.post(hook(api), json=FIRED, timeout=10)
        assert (meanwhile.status_code, meanwhile.json()["result"]) == (200, "opened")
        started = time.monotonic()
        answers = [_read_until_closed(s) for s in held]  # each returns when the server closes its connection
        assert time.monotonic() - started < 10
    finally:
        for s in held:
            s.close()
    # the silent and half-headed ones are simply closed; those whose body never came are told why
    assert {a.split(b"\r\n", 1)[0] for a in answers} == {b"", b"HTTP/1.1 408 Request Timeout"}
    assert httpx.get(f"{api}/healthz").status_code == 200


def test_past_the_concurrency_limit_the_answer_is_503_until_connections_close(
    serve: Serve, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("SRE_API_MAX_CONCURRENCY", "5")
    get_settings.cache_clear()
    with serve(Limits(head_timeout_s=30)) as api:
        held = [socket.create_connection(("127.0.0.1", _port(api))) for _ in range(5)]
        time.sleep(0.2)  # the server has accepted them
        refused = httpx.get(f"{api}/healthz")
        for s in held:
            s.close()
        time.sleep(0.2)
        assert refused.status_code == 503
        assert httpx.get(f"{api}/healthz").status_code == 200
