"""What a notifier (email, webhook, Telegram) offers the alert outbox, and the results it hands back."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Protocol

from services.errors import ExternalServiceError


@dataclass(frozen=True)
class Notification:
    """One alert message to deliver on one channel."""

    subject: str
    text: str
    severity: str
    idempotency_key: str
    fields: dict[str, str] = field(default_factory=dict)
    link: str | None = None


@dataclass(frozen=True)
class DeliveryResult:
    """How one delivery went; the outbox retries unless ok or permanent."""

    ok: bool
    detail: str
    retry_after_s: float | None = None
    permanent: bool = False


class Notifier(Protocol):
    """Delivers a notification to one target on its channel; never retries, never raises for transport failures."""

    channel: str

    def send(self, notification: Notification, target: str) -> DeliveryResult: ...


class DeliveryError(ExternalServiceError):
    """A failed step inside a delivery (e.g. resolving a group); carries whether retrying can help."""

    def __init__(self, message: str, *, permanent: bool = False, retry_after_s: float | None = None) -> None:
        super().__init__(message)
        self.permanent = permanent
        self.retry_after_s = retry_after_s


def failed(detail: str, *, permanent: bool = False, retry_after_s: float | None = None) -> DeliveryResult:
    """A failed delivery with one sentence saying why."""
    return DeliveryResult(ok=False, detail=detail, retry_after_s=retry_after_s, permanent=permanent)


def one_line(text: str) -> str:
    """The text with line breaks folded into spaces (subjects, header values)."""
    return " ".join(text.split())


def plain_text(notification: Notification) -> str:
    """The plain-text body: the text, then the fields as 'name: value' lines, then the link."""
    parts = [notification.text.replace("\r\n", "\n").strip()]
    facts = [f"Severity: {notification.severity}"] + [f"{k}: {one_line(v)}" for k, v in notification.fields.items()]
    parts.append("\n".join(facts))
    if notification.link:
        parts.append(notification.link)
    return "\n\n".join(p for p in parts if p) + "\n"
