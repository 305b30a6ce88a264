"""In-process fakes for the alert logic tests (the real transports are tested against local servers)."""

from __future__ import annotations

from dataclasses import dataclass, field

from services.notify.base import DeliveryResult, Notification


@dataclass
class FakeNotifier:
    """A notifier that records what it was asked to send; `fail` holds the answers to give first."""

    channel: str
    fail: list[DeliveryResult] = field(default_factory=list)
    sent: list[tuple[str, str, str]] = field(default_factory=list)  # (idempotency key, subject, target)

    def send(self, notification: Notification, target: str) -> DeliveryResult:
        """Record the notification (or give the next queued failure)."""
        if self.fail:
            return self.fail.pop(0)
        self.sent.append((notification.idempotency_key, notification.subject, target))
        return DeliveryResult(True, "ok")
