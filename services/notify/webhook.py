"""Webhooks: the notification as signed JSON POSTed to the target URL."""

from __future__ import annotations

import hashlib
import hmac
import json
import time
from datetime import UTC, datetime
from urllib.parse import urlsplit

from pydantic import SecretStr

from services.errors import InvalidInput
from services.http_client import short
from services.notify.base import DeliveryResult, Notification, failed, one_line
from services.notify.http import HttpFailure, display_url, fetch, retry_after, retryable_status
from services.redaction import redact

SIGNATURE_PREFIX = "sha256="


def sign(secret: str, timestamp: int | str, body: bytes) -> str:
    """The X-SRE-Signature value: sha256=<hex HMAC-SHA256(secret, f"{timestamp}.{body}")>."""
    digest = hmac.new(secret.encode(), f"{timestamp}.".encode() + body, hashlib.sha256).hexdigest()
    return SIGNATURE_PREFIX + digest


def verify_signature(
    secret: SecretStr | str,
    timestamp: int | str,
    body: bytes,
    header: str | None,
    max_age_s: float = 300,
    *,
    now: float | None = None,
) -> bool:
    """For receivers: whether the signature header matches the body and the timestamp is recent (constant time)."""
    key = secret.get_secret_value() if isinstance(secret, SecretStr) else secret
    try:
        sent = int(str(timestamp).strip())
    except ValueError:
        return False
    if not key or not header or abs((time.time() if now is None else now) - sent) > max_age_s:
        return False
    return hmac.compare_digest(sign(key, sent, body).encode(), header.strip().encode())


def webhook_body(notification: Notification, *, sent_at: datetime) -> bytes:
    """The JSON body, compact and UTF-8, exactly as signed."""
    payload = {
        "idempotency_key": notification.idempotency_key,
        "subject": one_line(notification.subject),
        "text": notification.text,
        "severity": notification.severity,
        "link": notification.link,
        "fields": dict(notification.fields),
        "sent_at": sent_at.astimezone(UTC).isoformat(timespec="seconds").replace("+00:00", "Z"),
    }
    return json.dumps(payload, ensure_ascii=False, separators=(",", ":")).encode()


class WebhookNotifier:
    """POSTs signed JSON to a webhook URL; 2xx is delivered, 408/429/5xx and timeouts are worth a retry."""

    channel = "webhook"

    def __init__(self, *, secret: SecretStr | None, timeout_s: float = 5) -> None:
        self._secret = secret if secret is not None and secret.get_secret_value() else None
        self.timeout_s = timeout_s

    def __repr__(self) -> str:
        return f"WebhookNotifier(signed={self._secret is not None}, timeout_s={self.timeout_s:g})"

    def send(self, notification: Notification, target: str) -> DeliveryResult:
        """POST the notification to the target URL once."""
        url = check_url(target)
        where = f"Webhook {display_url(url)}"
        now = time.time()
        timestamp = int(now)
        body = webhook_body(notification, sent_at=datetime.fromtimestamp(timestamp, UTC))
        headers = {
            "Content-Type": "application/json",
            # the same key on every retry of one notification, under the common name and under our older one
            "Idempotency-Key": one_line(notification.idempotency_key),
            "X-SRE-Idempotency-Key": one_line(notification.idempotency_key),
            "X-SRE-Timestamp": str(timestamp),
        }
        if self._secret is not None:
            headers["X-SRE-Signature"] = sign(self._secret.get_secret_value(), timestamp, body)
        answer = fetch("POST", url, headers=headers, body=body, timeout_s=self.timeout_s)
        if isinstance(answer, HttpFailure):
            return failed(f"{where}: {answer.cause}.")
        if 200 <= answer.status < 300:
            return DeliveryResult(ok=True, detail=f"HTTP {answer.status}")
        said = short(answer.body.decode("utf-8", "replace"), limit=200) if answer.body else ""
        cause = f"{where} answered HTTP {answer.status}" + (f" ({said})" if said else "")
        cause = redact(cause, [self._secret.get_secret_value()] if self._secret else [])
        if retryable_status(answer.status):
            return failed(f"{cause}.", retry_after_s=retry_after(answer.headers))
        if 300 <= answer.status < 400:
            return failed(
                f"{cause}: a redirect, which is not followed; point the rule at the final URL.", permanent=True
            )
        return failed(f"{cause}; retrying will not help, check the URL and the receiver.", permanent=True)


def check_url(target: str) -> str:
    """The target as an http(s) URL; raises InvalidInput (without echoing the URL, which may hold a token)."""
    url = target.strip()
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.hostname or any(c.isspace() for c in url):
        raise InvalidInput("A webhook target must be an http(s) URL such as https://hooks.example.com/sre.")
    return url
