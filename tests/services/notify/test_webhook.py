"""WebhookNotifier against a local HTTP server, and the receivers' verify_signature."""

from __future__ import annotations

import hashlib
import hmac
import json
import time
from datetime import UTC, datetime

import pytest
from pydantic import SecretStr
from pytest_httpserver import HTTPServer
from werkzeug import Request, Response

from services.errors import InvalidInput
from services.notify.base import Notification
from services.notify.webhook import WebhookNotifier, verify_signature
from tests.services.notify.conftest import free_port

SECRET = "whsec-0123456789DONOTLEAK"
NOTE = Notification(
    subject="[Sev2] Checkout latency p95 over 800 ms",
    text="p95 1.2 s in eu-west — since 10:02\nsecond line",
    severity="Sev2",
    idempotency_key="outbox-7.webhook",
    fields={"rule": "checkout-latency", "state": "fired"},
    link="https://backoffice.example/alerts/7",
)


@pytest.fixture
def webhook() -> WebhookNotifier:
    return WebhookNotifier(secret=SecretStr(SECRET), timeout_s=2)


def test_posts_the_exact_signed_json(httpserver: HTTPServer, webhook: WebhookNotifier) -> None:
    httpserver.expect_request("/hooks/sre", method="POST").respond_with_data("", status=204)
    before = int(time.time())

    result = webhook.send(NOTE, httpserver.url_for("/hooks/sre?tenant=a"))

    assert (result.ok, result.detail) == (True, "HTTP 204")
    [(request, _)] = httpserver.log
    assert request.args["tenant"] == "a"
    assert request.headers["Content-Type"] == "application/json"
    assert request.headers["Idempotency-Key"] == request.headers["X-SRE-Idempotency-Key"] == "outbox-7.webhook"
    timestamp = request.headers["X-SRE-Timestamp"]
    assert before <= int(timestamp) <= time.time()
    body = request.get_data()
    expected = hmac.new(SECRET.encode(), f"{timestamp}.".encode() + body, hashlib.sha256).hexdigest()
    assert request.headers["X-SRE-Signature"] == f"sha256={expected}"
    sent_at = datetime.fromtimestamp(int(timestamp), UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
    assert json.loads(body) == {
        "idempotency_key": "outbox-7.webhook",
        "subject": "[Sev2] Checkout latency p95 over 800 ms",
        "text": "p95 1.2 s in eu-west — since 10:02\nsecond line",
        "severity": "Sev2",
        "link": "https://backoffice.example/alerts/7",
        "fields": {"rule": "checkout-latency", "state": "fired"},
        "sent_at": sent_at,
    }
    assert verify_signature(SecretStr(SECRET), timestamp, body, request.headers["X-SRE-Signature"])


def test_without_a_secret_nothing_is_signed(httpserver: HTTPServer) -> None:
    httpserver.expect_request("/hook").respond_with_json({"received": True})
    result = WebhookNotifier(secret=None).send(NOTE, httpserver.url_for("/hook"))
    assert result.ok and result.detail == "HTTP 200"
    [(request, _)] = httpserver.log
    assert "X-SRE-Signature" not in request.headers and request.headers["X-SRE-Idempotency-Key"]


@pytest.mark.parametrize(
    ("status", "headers", "permanent", "retry_after_s"),
    [
        (500, {}, False, None),
        (503, {"Retry-After": "30"}, False, 30.0),
        (429, {"Retry-After": "12"}, False, 12.0),
        (408, {}, False, None),
        (400, {}, True, None),
        (401, {}, True, None),
        (404, {}, True, None),
        (410, {}, True, None),
        (302, {"Location": "https://elsewhere.example/"}, True, None),
    ],
)
def test_http_errors(
    httpserver: HTTPServer,
    webhook: WebhookNotifier,
    status: int,
    headers: dict[str, str],
    permanent: bool,
    retry_after_s: float | None,
) -> None:
    httpserver.expect_request("/hooks/t0ken-in-path").respond_with_data(
        f"nope, secret was {SECRET}", status=status, headers=headers
    )

    result = webhook.send(NOTE, httpserver.url_for("/hooks/t0ken-in-path"))

    assert (result.ok, result.permanent, result.retry_after_s) == (False, permanent, retry_after_s)
    assert result.detail.startswith(f"Webhook {httpserver.url_for('/')}… answered HTTP {status} (nope, secret was ***)")
    assert SECRET not in result.detail and "t0ken-in-path" not in result.detail
    assert len(httpserver.log) == 1


def test_retry_after_as_an_http_date(httpserver: HTTPServer, webhook: WebhookNotifier) -> None:
    later = time.strftime("%a, %d %b %Y %H:%M:%S GMT", time.gmtime(time.time() + 120))
    httpserver.expect_request("/hook").respond_with_data("", status=429, headers={"Retry-After": later})
    result = webhook.send(NOTE, httpserver.url_for("/hook"))
    assert result.retry_after_s is not None and 100 < result.retry_after_s <= 120


def test_a_slow_receiver_times_out(httpserver: HTTPServer) -> None:
    def slow(request: Request) -> Response:
        time.sleep(1.0)
        return Response("", status=200)

    httpserver.expect_request("/slow").respond_with_handler(slow)
    started = time.monotonic()
    result = WebhookNotifier(secret=None, timeout_s=0.3).send(NOTE, httpserver.url_for("/slow"))
    assert time.monotonic() - started < 0.9
    assert (result.ok, result.permanent) == (False, False)
    assert result.detail == f"Webhook {httpserver.url_for('/')}…: timed out after 0.3 s without an answer."
    deadline = time.monotonic() + 5
    while not httpserver.log and time.monotonic() < deadline:  # let the late answer land in this test
        time.sleep(0.05)


def test_a_closed_port_is_retryable(webhook: WebhookNotifier) -> None:
    port = free_port()
    result = webhook.send(NOTE, f"http://127.0.0.1:{port}/hook")
    assert (result.ok, result.permanent) == (False, False)
    assert result.detail.startswith(f"Webhook http://127.0.0.1:{port}/…: cannot connect (")


@pytest.mark.parametrize(
    "target", ["", "hooks.example.com/s3cr3t", "ftp://hooks.example.com/s3cr3t", "https://", "https://a b/s3cr3t"]
)
def test_a_malformed_url_raises_without_echoing_it(webhook: WebhookNotifier, target: str) -> None:
    with pytest.raises(InvalidInput) as info:
        webhook.send(NOTE, target)
    assert str(info.value) == "A webhook target must be an http(s) URL such as https://hooks.example.com/sre."


def test_the_secret_stays_out_of_the_repr() -> None:
    webhook = WebhookNotifier(secret=SecretStr(SECRET))
    assert repr(webhook) == "WebhookNotifier(signed=True, timeout_s=5)" and SECRET not in str(vars(webhook))
    assert repr(WebhookNotifier(secret=SecretStr(""))) == "WebhookNotifier(signed=False, timeout_s=5)"


def test_verify_signature() -> None:
    body = b'{"subject":"x"}'
    now = 1_800_000_000
    header = "sha256=" + hmac.new(SECRET.encode(), f"{now}.".encode() + body, hashlib.sha256).hexdigest()

    assert verify_signature(SECRET, now, body, header, now=now + 10)
    assert verify_signature(SecretStr(SECRET), str(now), body, f" {header} ", now=now - 10)
    assert not verify_signature(SECRET, now, body + b" ", header, now=now)
    assert not verify_signature("other-secret", now, body, header, now=now)
    assert not verify_signature(SECRET, now + 1, body, header, now=now)
    assert not verify_signature(SECRET, now, body, header, max_age_s=300, now=now + 301)
    assert not verify_signature(SECRET, now, body, header.replace("sha256=", "sha1="), now=now)
    assert not verify_signature(SECRET, "not-a-number", body, header, now=now)
    assert not verify_signature(SECRET, now, body, None, now=now)
    assert not verify_signature("", now, body, header, now=now)
