"""Notifiers: alert notifications by email (SMTP), signed webhook and Telegram, for the alert outbox."""

from services.notify.base import DeliveryError, DeliveryResult, Notification, Notifier
from services.notify.email import SmtpEmailNotifier
from services.notify.factory import build_notifiers
from services.notify.graph import GraphGroupResolver
from services.notify.graph_mail import GraphMailNotifier
from services.notify.telegram import TelegramNotifier
from services.notify.webhook import WebhookNotifier, verify_signature

__all__ = [
    "DeliveryError",
    "DeliveryResult",
    "GraphGroupResolver",
    "GraphMailNotifier",
    "Notification",
    "Notifier",
    "SmtpEmailNotifier",
    "TelegramNotifier",
    "WebhookNotifier",
    "build_notifiers",
    "verify_signature",
]
