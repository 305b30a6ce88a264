"""TelegramNotifier against a local HTTP server playing the Bot API's sendMessage."""

from __future__ import annotations

import json
import time
from dataclasses import replace
from typing import Any

import pytest
from pydantic import SecretStr
from pytest_httpserver import HTTPServer
from werkzeug import Request, Response

from services.errors import InvalidInput
from services.notify.base import Notification
from services.notify.telegram import MAX_TEXT, TelegramNotifier, message_html
from tests.services.notify.conftest import free_port

TOKEN = "123456789:AAHdqTcvCH1vGWJxfSeofSAs0K5PALDsawDONOTLEAK"
PATH = f"/bot{TOKEN}/sendMessage"
NOTE = Notification(
    subject="[Sev1] <Checkout> & payments",
    text='Burn rate 14.4x: "eu-west" <b>not bold</b> & rising',
    severity="Sev1",
    idempotency_key="outbox-9.telegram",
    fields={"rule": "checkout-burn"},
    link="https://backoffice.example/alerts/9?tab=a&b=1",
)


@pytest.fixture
def telegram(httpserver: HTTPServer) -> TelegramNotifier:
    return TelegramNotifier(token=SecretStr(TOKEN), base_url=httpserver.url_for("/"), timeout_s=2)


def test_sends_escaped_html_to_the_exact_path(httpserver: HTTPServer, telegram: TelegramNotifier) -> None:
    httpserver.expect_request(PATH, method="POST").respond_with_json(
        {"ok": True, "result": {"message_id": 42, "chat": {"id": -1001234567890}, "date": 1}}
    )

    result = telegram.send(NOTE, " -1001234567890 ")

    assert (result.ok, result.detail) == (True, "message_id 42")
    [(request, _)] = httpserver.log
    assert request.headers["Content-Type"] == "application/json"
    assert json.loads(request.get_data()) == {
        "chat_id": "-1001234567890",
        "text": "<b>[Sev1] &lt;Checkout&gt; &amp; payments</b>\n\n"
        'Burn rate 14.4x: "eu-west" &lt;b&gt;not bold&lt;/b&gt; &amp; rising\n\n'
        '<a href="https://backoffice.example/alerts/9?tab=a&amp;b=1">Open in SRE Backoffice</a>',
        "parse_mode": "HTML",
        "disable_web_page_preview": True,
    }


def test_long_text_is_cut_to_4096_with_an_ellipsis() -> None:
    html = message_html(replace(NOTE, text="&" * 5000, link=None))
    assert MAX_TEXT - 5 < len(html) <= MAX_TEXT and html.endswith("&amp;…") and "&amp;&amp;" in html
    emoji = message_html(replace(NOTE, text="🔥" * 3000, link=None))  # two UTF-16 units each
    assert len(emoji.encode("utf-16-le")) // 2 <= MAX_TEXT and emoji.endswith("🔥…")
    assert message_html(replace(NOTE, text="short", link="javascript:alert(1)")).endswith("\n\nshort")


def test_the_cut_message_is_what_is_sent(httpserver: HTTPServer, telegram: TelegramNotifier) -> None:
    httpserver.expect_request(PATH).respond_with_json({"ok": True, "result": {"message_id": 1}})
    assert telegram.send(replace(NOTE, text="x" * 10_000), "@sre_alerts").ok
    body = json.loads(httpserver.log[0][0].get_data())
    assert body["chat_id"] == "@sre_alerts" and len(body["text"]) == MAX_TEXT and "x…\n\n<a href=" in body["text"]


def _bot_error(code: int, description: str, **parameters: Any) -> dict[str, Any]:
    body: dict[str, Any] = {"ok": False, "error_code": code, "description": description}
    if parameters:
        body["parameters"] = parameters
    return body


@pytest.mark.parametrize(
    ("status", "body", "permanent", "retry_after_s", "expected"),
    [
        (429, _bot_error(429, "Too Many Requests: retry after 7", retry_after=7), False, 7.0, "answered 429"),
        (403, _bot_error(403, "Forbidden: bot was blocked by the user"), True, None, "bot was blocked by the user"),
        (400, _bot_error(400, "Bad Request: chat not found"), True, None, "chat not found"),
        (401, _bot_error(401, "Unauthorized"), True, None, "SRE_TELEGRAM_BOT_TOKEN"),
        (404, _bot_error(404, "Not Found"), True, None, "answered 404 (Not Found)"),
        (
            400,
            _bot_error(400, "Bad Request: group chat was upgraded to a supergroup chat", migrate_to_chat_id=-100999),
            True,
            None,
            "use chat id -100999",
        ),
        (500, _bot_error(500, f"Internal Server Error at /bot{TOKEN}/sendMessage"), False, None, "/bot***/"),
        (502, "<html>Bad Gateway</html>", False, None, "(HTTP 502, text/html) is not the Bot API"),
        (200, "<html>captive portal</html>", True, None, "SRE_TELEGRAM_API_URL"),
    ],
)
def test_bot_api_errors(
    httpserver: HTTPServer,
    telegram: TelegramNotifier,
    status: int,
    body: Any,
    permanent: bool,
    retry_after_s: float | None,
    expected: str,
) -> None:
    if isinstance(body, str):
        httpserver.expect_request(PATH).respond_with_data(body, status=status, content_type="text/html")
    else:
        httpserver.expect_request(PATH).respond_with_json(body, status=status)

    result = telegram.send(NOTE, "-1001234567890")

    assert (result.ok, result.permanent, result.retry_after_s) == (False, permanent, retry_after_s)
    assert result.detail.startswith("Telegram chat -1001234567890: ") and expected in result.detail
    assert TOKEN not in result.detail and TOKEN.split(":")[1] not in result.detail
    assert len(httpserver.log) == 1


def test_a_slow_api_times_out(httpserver: HTTPServer) -> None:
    def slow(request: Request) -> Response:
        time.sleep(1.0)
        return Response("{}", status=200)

    httpserver.expect_request(PATH).respond_with_handler(slow)
    telegram = TelegramNotifier(token=SecretStr(TOKEN), base_url=httpserver.url_for("/"), timeout_s=0.3)
    result = telegram.send(NOTE, "42")
    assert (result.ok, result.permanent) == (False, False)
    assert "timed out after 0.3 s" in result.detail and TOKEN not in result.detail
    deadline = time.monotonic() + 5
    while not httpserver.log and time.monotonic() < deadline:  # let the late answer land in this test
        time.sleep(0.05)


def test_a_closed_port_is_retryable() -> None:
    port = free_port()
    telegram = TelegramNotifier(token=SecretStr(TOKEN), base_url=f"http://127.0.0.1:{port}", timeout_s=2)
    result = telegram.send(NOTE, "42")
    assert (result.ok, result.permanent) == (False, False)
    assert result.detail.startswith("Telegram chat 42: cannot connect (") and TOKEN not in result.detail


def test_the_token_stays_out_of_reprs_and_settings_errors() -> None:
    telegram = TelegramNotifier(token=SecretStr(TOKEN))
    assert repr(telegram) == "TelegramNotifier(base_url='https://api.telegram.org', timeout_s=10)"
    assert TOKEN not in str(vars(telegram))
    for token in ("", "not-a-token", f"{TOKEN} extra"):
        with pytest.raises(InvalidInput, match="SRE_TELEGRAM_BOT_TOKEN") as info:
            TelegramNotifier(token=SecretStr(token))
        assert TOKEN not in str(info.value)
    with pytest.raises(InvalidInput, match="SRE_TELEGRAM_API_URL"):
        TelegramNotifier(token=SecretStr(TOKEN), base_url="api.telegram.org")


@pytest.mark.parametrize("target", ["", "sre alerts", "@ab", "https://t.me/sre", "12a"])
def test_a_malformed_chat_raises(telegram: TelegramNotifier, target: str) -> None:
    with pytest.raises(InvalidInput, match="chat id"):
        telegram.send(NOTE, target)
