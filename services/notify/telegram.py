"""Telegram: the notification as an HTML message from a bot (Bot API sendMessage)."""

from __future__ import annotations

import html
import json
import re
from typing import Any
from urllib.parse import urlsplit

from pydantic import SecretStr

from services.errors import InvalidInput
from services.http_client import short
from services.notify.base import DeliveryResult, Notification, failed, one_line
from services.notify.http import HttpAnswer, HttpFailure, fetch, retry_after, retryable_status
from services.redaction import redact

DEFAULT_API_URL = "https://api.telegram.org"
MAX_TEXT = 4096  # Bot API limit, counted in UTF-16 code units
_TOKEN = re.compile(r"^\d+:[A-Za-z0-9_-]+$")
_CHAT = re.compile(r"^(-?\d+|@[A-Za-z][A-Za-z0-9_]{3,})$")


def message_html(notification: Notification) -> str:
    """The message: the subject in bold, the text, then the link; escaped, at most 4096 units (cut with '…')."""
    head = f"<b>{html.escape(one_line(notification.subject)[:512], quote=False)}</b>"
    link = notification.link or ""
    tail = f'\n\n<a href="{html.escape(link)}">Open in SRE Backoffice</a>'
    if urlsplit(link).scheme not in ("http", "https") or _units(tail) > 1024:
        tail = ""  # a link Telegram would refuse, or one that would crowd out the text
    text = notification.text.replace("\r\n", "\n").strip()
    budget = MAX_TEXT - _units(head) - _units(tail) - 2
    body = html.escape(text, quote=False)
    if _units(body) > budget:
        low, high = 0, min(len(text), budget)  # the longest prefix whose escaped form leaves room for "…"
        while low < high:
            mid = (low + high + 1) // 2
            low, high = (mid, high) if _units(html.escape(text[:mid], quote=False)) < budget else (low, mid - 1)
        body = html.escape(text[:low], quote=False) + "…"
    return head + (f"\n\n{body}" if body else "") + tail


class TelegramNotifier:
    """Sends messages through one bot; the token lives only in the request URL, never in a detail or repr."""

    channel = "telegram"

    def __init__(self, *, token: SecretStr, base_url: str = DEFAULT_API_URL, timeout_s: float = 10) -> None:
        if not _TOKEN.match(token.get_secret_value().strip()):
            raise InvalidInput("SRE_TELEGRAM_BOT_TOKEN must be a bot token as @BotFather gives it (<digits>:<key>).")
        base = base_url.strip().rstrip("/")
        parts = urlsplit(base)
        if parts.scheme not in ("http", "https") or not parts.netloc:
            raise InvalidInput(
                f"SRE_TELEGRAM_API_URL must be the Bot API root (https://api.telegram.org), not {base!r}."
            )
        self._token = SecretStr(token.get_secret_value().strip())
        self.base_url = base
        self.timeout_s = timeout_s

    def __repr__(self) -> str:
        return f"TelegramNotifier(base_url={self.base_url!r}, timeout_s={self.timeout_s:g})"

    def send(self, notification: Notification, target: str) -> DeliveryResult:
        """Send the notification to the chat (numeric id or @channel) once."""
        chat = target.strip()
        if not _CHAT.match(chat):
            raise InvalidInput(f"A Telegram target is a chat id (e.g. -1001234567890) or @channelname, not {target!r}.")
        where = f"Telegram chat {chat}"
        body = {
            "chat_id": chat,
            "text": message_html(notification),
            "parse_mode": "HTML",
            "disable_web_page_preview": True,
        }
        url = f"{self.base_url}/bot{self._token.get_secret_value()}/sendMessage"
        data = json.dumps(body, ensure_ascii=False).encode()
        answer = fetch("POST", url, headers={"Content-Type": "application/json"}, body=data, timeout_s=self.timeout_s)
        if isinstance(answer, HttpFailure):
            return failed(self._redact(f"{where}: {answer.cause} from {self.base_url}."))
        return self._result(answer, where)

    def _result(self, answer: HttpAnswer, where: str) -> DeliveryResult:
        data = _json(answer.body)
        if data is None:
            kind = answer.headers.get_content_type() if answer.headers else "unknown"
            cause = (
                f"{where}: the answer (HTTP {answer.status}, {kind}) is not the Bot API; check SRE_TELEGRAM_API_URL."
            )
            return failed(self._redact(cause), permanent=not retryable_status(answer.status))
        if data.get("ok") is True and answer.status == 200:
            result = data.get("result")
            message_id = result.get("message_id") if isinstance(result, dict) else None
            return DeliveryResult(ok=True, detail=f"message_id {message_id}")
        error_code = data.get("error_code")
        code = error_code if isinstance(error_code, int) else answer.status
        said = short(str(data.get("description") or ""), limit=200)
        cause = f"{where}: Telegram answered {code}" + (f" ({said})" if said else "")
        parameters = data.get("parameters")
        params: dict[str, Any] = parameters if isinstance(parameters, dict) else {}
        if retryable_status(code):
            wait = params.get("retry_after")
            wait_s = float(wait) if isinstance(wait, int | float) else retry_after(answer.headers)
            return failed(self._redact(f"{cause}."), retry_after_s=wait_s)
        if "migrate_to_chat_id" in params:
            hint = f"the group became a supergroup; use chat id {params['migrate_to_chat_id']}"
        elif code == 401:
            hint = "the bot token was refused; check SRE_TELEGRAM_BOT_TOKEN"
        elif code == 403:
            hint = "the bot cannot write there (blocked, removed, or not an admin of the channel)"
        else:
            hint = "check the chat id and that the bot is a member of the chat"
        return failed(self._redact(f"{cause}; {hint}."), permanent=True)

    def _redact(self, text: str) -> str:
        return redact(text, [self._token.get_secret_value()])


def _units(text: str) -> int:
    return len(text.encode("utf-16-le")) // 2


def _json(body: bytes) -> dict[str, Any] | None:
    try:
        data = json.loads(body)
    except ValueError:
        return None
    return data if isinstance(data, dict) else None
