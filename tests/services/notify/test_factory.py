"""build_notifiers offers the channels whose settings are present."""

from __future__ import annotations

from typing import Any

import pytest
from pydantic import SecretStr

from services.config import NotifySettings, Settings, get_settings
from services.errors import InvalidInput
from services.notify import SmtpEmailNotifier, TelegramNotifier, WebhookNotifier, build_notifiers

TOKEN = "123456789:AAHdqTcvCH1vGWJxfSeofSAs0K5PALDsawDONOTLEAK"
PASSWORD = "smtp-Pa55word-DONOTLEAK"


def _settings(**kw: Any) -> Settings:
    return Settings(notify=NotifySettings(_env_file=None, **kw))  # type: ignore[call-arg]


def test_only_the_webhook_without_settings() -> None:
    settings = _settings()
    assert (settings.notify.smtp_port, settings.notify.smtp_starttls, settings.notify.timeout_s) == (587, True, 10)
    assert (settings.notify.telegram_api_url, settings.notify.graph_api_url) == (
        "https://api.telegram.org",
        "https://graph.microsoft.com",
    )
    notifiers = build_notifiers(settings)
    assert list(notifiers) == ["webhook"]
    assert repr(notifiers["webhook"]) == "WebhookNotifier(signed=False, timeout_s=10)"


def test_every_channel_from_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    for name, value in {
        "SRE_SMTP_HOST": "smtp.contoso.example",
        "SRE_SMTP_PORT": "2525",
        "SRE_SMTP_SENDER": "sre@contoso.example",
        "SRE_SMTP_USERNAME": "relay",
        "SRE_SMTP_PASSWORD": PASSWORD,
        "SRE_SMTP_STARTTLS": "false",
        "SRE_WEBHOOK_SECRET": "whsec-DONOTLEAK",
        "SRE_TELEGRAM_BOT_TOKEN": TOKEN,
        "SRE_TELEGRAM_API_URL": "https://tg-proxy.contoso.example/",
        "SRE_GRAPH_API_URL": "https://graph.microsoft.us",
        "SRE_GRAPH_ACCESS_TOKEN": "graph-token-DONOTLEAK",
        "SRE_NOTIFY_TIMEOUT_S": "3.5",
    }.items():
        monkeypatch.setenv(name, value)
    get_settings.cache_clear()

    notifiers = build_notifiers(get_settings())

    assert sorted(notifiers) == ["email", "telegram", "webhook"]
    assert {name: n.channel for name, n in notifiers.items()} == {n: n for n in notifiers}
    email, telegram, webhook = notifiers["email"], notifiers["telegram"], notifiers["webhook"]
    assert isinstance(email, SmtpEmailNotifier)
    assert (email.host, email.port, email.sender, email.username, email.starttls, email.timeout_s) == (
        "smtp.contoso.example",
        2525,
        "sre@contoso.example",
        "relay",
        False,
        3.5,
    )
    assert email.group_resolver is not None and email.group_resolver.base_url == "https://graph.microsoft.us"
    assert email.group_resolver._token_provider() == "graph-token-DONOTLEAK"
    assert isinstance(telegram, TelegramNotifier) and telegram.base_url == "https://tg-proxy.contoso.example"
    assert isinstance(webhook, WebhookNotifier) and repr(webhook) == "WebhookNotifier(signed=True, timeout_s=3.5)"
    shown = repr(notifiers) + repr(get_settings())
    for secret in (PASSWORD, TOKEN, "whsec-DONOTLEAK", "graph-token-DONOTLEAK"):
        assert secret not in shown


def test_without_a_graph_token_the_credential_is_not_built_up_front() -> None:
    notifiers = build_notifiers(_settings(smtp_host="smtp.contoso.example", smtp_sender="sre@contoso.example"))
    email = notifiers["email"]
    assert isinstance(email, SmtpEmailNotifier) and email.username is None and email.starttls
    assert email.group_resolver is not None and callable(email.group_resolver._token_provider)


@pytest.mark.parametrize(
    ("kw", "missing"),
    [
        ({"smtp_host": "smtp.contoso.example"}, "SRE_SMTP_SENDER"),
        ({"smtp_sender": "sre@contoso.example"}, "SRE_SMTP_HOST"),
    ],
)
def test_half_an_smtp_setup_names_what_is_missing(kw: dict[str, Any], missing: str) -> None:
    with pytest.raises(InvalidInput, match=f"Email notifications need {missing}"):
        build_notifiers(_settings(**kw))


def test_blank_secrets_count_as_absent() -> None:
    notifiers = build_notifiers(_settings(telegram_bot_token=SecretStr("  "), webhook_secret=SecretStr("")))
    assert list(notifiers) == ["webhook"] and "signed=False" in repr(notifiers["webhook"])
