"""Build the notifiers whose settings are present (SRE_SMTP_*, SRE_TELEGRAM_*, SRE_WEBHOOK_SECRET)."""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

from pydantic import SecretStr

from services.errors import InvalidInput
from services.notify.base import Notifier
from services.notify.email import SmtpEmailNotifier
from services.notify.graph import GraphGroupResolver, credential_token_provider
from services.notify.telegram import TelegramNotifier
from services.notify.webhook import WebhookNotifier

if TYPE_CHECKING:
    from services.config import Settings


def build_notifiers(settings: Settings) -> dict[str, Notifier]:
    """Channel -> notifier: webhook always (signed when SRE_WEBHOOK_SECRET is set), email and Telegram when set up."""
    timeout_s = settings.notify.timeout_s
    notifiers: dict[str, Notifier] = {
        "webhook": WebhookNotifier(secret=settings.notify.webhook_secret, timeout_s=timeout_s)
    }
    host, sender = (settings.notify.smtp_host or "").strip(), (settings.notify.smtp_sender or "").strip()
    if host or sender:
        missing = [name for name, value in (("SRE_SMTP_HOST", host), ("SRE_SMTP_SENDER", sender)) if not value]
        if missing:
            raise InvalidInput(
                f"Email notifications need {', '.join(missing)}; set it, or unset the other SMTP settings."
            )
        notifiers["email"] = SmtpEmailNotifier(
            host=host,
            port=settings.notify.smtp_port,
            sender=sender,
            username=(settings.notify.smtp_username or "").strip() or None,
            password=settings.notify.smtp_password if _secret(settings.notify.smtp_password) else None,
            starttls=settings.notify.smtp_starttls,
            timeout_s=timeout_s,
            group_resolver=GraphGroupResolver(
                base_url=settings.notify.graph_api_url, token_provider=_graph_token(settings), timeout_s=timeout_s
            ),
        )
    if _secret(settings.notify.telegram_bot_token):
        notifiers["telegram"] = TelegramNotifier(
            token=SecretStr(_secret(settings.notify.telegram_bot_token)),
            base_url=settings.notify.telegram_api_url,
            timeout_s=timeout_s,
        )
    return notifiers


def _graph_token(settings: Settings) -> Callable[[], str]:
    token = settings.notify.graph_access_token
    if token is not None and token.get_secret_value().strip():
        return lambda: token.get_secret_value().strip()
    return credential_token_provider()


def _secret(value: SecretStr | None) -> str:
    return value.get_secret_value().strip() if value is not None else ""
