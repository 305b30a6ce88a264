"""Secrets are masked in every spelling a server may echo them in: encoded, case-changed, cut short."""

from __future__ import annotations

import base64
from urllib.parse import quote, quote_plus

import pytest
from pydantic import SecretStr
from pytest_httpserver import HTTPServer

from services.config import NotifySettings, Settings
from services.notify.base import Notification
from services.notify.telegram import TelegramNotifier
from services.redaction import configured_secrets, redact, redact_configured

TOKEN = "123456789:AAHdqTcvCH1vGWJxfSeofSAs0K5PALDsawDONOTLEAK"


@pytest.mark.parametrize(
    "spelling",
    [
        TOKEN,
        quote(TOKEN, safe=""),
        quote_plus(TOKEN),
        TOKEN.lower(),
        TOKEN.upper(),
        quote(TOKEN, safe="").lower(),
        base64.b64encode(TOKEN.encode()).decode(),
    ],
)
def test_every_spelling_of_the_secret_is_masked(spelling: str) -> None:
    out = redact(f"POST https://api.telegram.org/bot{spelling}/sendMessage failed", [TOKEN])
    assert out.startswith("POST https://api.telegram.org/bot***") and out.endswith("/sendMessage failed")
    assert "DONOTLEAK" not in out.upper() and "AAHDQ" not in out.upper() and "QUFIZHF" not in out.upper()


def test_a_secret_cut_at_a_truncation_point_loses_its_prefix_too() -> None:
    cut = f"the server said: bot{TOKEN[:20]}…; check SRE_TELEGRAM_BOT_TOKEN"
    assert redact(cut, [TOKEN]) == "the server said: bot***…; check SRE_TELEGRAM_BOT_TOKEN"
    at_end = f"answer: {quote(TOKEN, safe='')[:17]}"
    assert redact(at_end, [TOKEN]) == "answer: ***"
    dots = f"token {TOKEN[:9].upper()}..."
    assert redact(dots, [TOKEN]) == "token ***..."


def test_ordinary_text_is_left_alone() -> None:
    text = "123456 requests; a prefix 123456789 in the middle of a sentence stays"
    assert redact(text, [TOKEN]) == text  # the prefix is neither at the end nor cut
    assert redact("port 587 is fine", ["587"]) == "port 587 is fine"  # too short to be a secret
    assert redact("Authorization: Bearer abcdefghijkl0123", []) == "Authorization: Bearer ***"


def test_configured_secrets_are_every_secret_setting() -> None:
    notify = NotifySettings(
        telegram_bot_token=SecretStr(TOKEN), smtp_password=SecretStr("pa55w0rd!"), webhook_secret=SecretStr(" ")
    )
    settings = Settings(notify=notify)
    assert sorted(configured_secrets(settings)) == sorted([TOKEN, "pa55w0rd!"])
    assert redact_configured(f"login failed for pa55w0rd%21 and {TOKEN.lower()}", settings) == (
        "login failed for *** and ***"
    )


def test_a_telegram_answer_echoing_the_token_never_carries_it(httpserver: HTTPServer) -> None:
    """The Bot API quotes the request back URL-encoded and lower-cased, and long: the failure holds none of it."""
    echoed = f"bad request for /bot{quote(TOKEN, safe='').lower()}/sendMessage " + "x" * 150 + TOKEN
    httpserver.expect_request(f"/bot{TOKEN}/sendMessage", method="POST").respond_with_json(
        {"ok": False, "error_code": 400, "description": echoed}, status=400
    )
    note = Notification(subject="s", text="t", severity="Sev2", idempotency_key="k", fields={}, link=None)
    result = TelegramNotifier(token=SecretStr(TOKEN), base_url=httpserver.url_for("/"), timeout_s=2).send(note, "-1")
    assert not result.ok
    detail = result.detail.lower()
    assert "aahdq" not in detail and "donotleak" not in detail and "123456789%3a" not in detail
    assert "***" in result.detail
