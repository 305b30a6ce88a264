"""Email through Microsoft Graph (sendMail from a mailbox) instead of an SMTP relay."""

from __future__ import annotations

import json
from collections.abc import Callable
from urllib.parse import quote

from services.errors import InvalidInput
from services.notify.base import DeliveryError, DeliveryResult, Notification, failed, one_line
from services.notify.email import html_body, is_address, resolve_target
from services.notify.graph import DEFAULT_API_URL, GraphGroupResolver, check_base_url, graph_error, graph_token
from services.notify.http import HttpFailure, fetch


def send_mail_body(notification: Notification, *, recipients: list[str]) -> dict[str, object]:
    """The sendMail request: HTML body, one toRecipient per address, the idempotency key as an X- header."""
    return {
        "message": {
            "subject": one_line(notification.subject),
            "body": {"contentType": "HTML", "content": html_body(notification)},
            "toRecipients": [{"emailAddress": {"address": address}} for address in recipients],
            "internetMessageHeaders": [
                {"name": "X-SRE-Idempotency-Key", "value": one_line(notification.idempotency_key)},
                {"name": "X-SRE-Severity", "value": one_line(notification.severity)},
            ],
        },
        "saveToSentItems": False,
    }


class GraphMailNotifier:
    """Sends each notification as one email from the sender's mailbox (needs Mail.Send); 202 is delivered."""

    channel = "email"

    def __init__(
        self,
        *,
        sender: str,
        token_provider: Callable[[], str],
        base_url: str = DEFAULT_API_URL,
        timeout_s: float = 10,
        group_resolver: GraphGroupResolver | None = None,
    ) -> None:
        if not is_address(sender.strip()):
            raise InvalidInput(f"SRE_SMTP_SENDER must be the sending mailbox such as sre@contoso.com, not {sender!r}.")
        self.sender = sender.strip()
        self.base_url = check_base_url(base_url)
        self.timeout_s = timeout_s
        self.group_resolver = group_resolver
        self._token_provider = token_provider

    def __repr__(self) -> str:
        return f"GraphMailNotifier(sender={self.sender!r}, base_url={self.base_url!r})"

    def send(self, notification: Notification, target: str) -> DeliveryResult:
        """Resolve the target and send one email through Graph."""
        where = f"Email to {target.strip()} via Microsoft Graph as {self.sender}"
        try:
            recipients = resolve_target(target, self.group_resolver)
        except DeliveryError as exc:
            cause = f"Email to {target.strip()}: could not resolve the group: {exc}"
            return failed(cause, permanent=exc.permanent, retry_after_s=exc.retry_after_s)
        try:
            token = graph_token(self._token_provider, where=where)
        except DeliveryError as exc:
            return failed(str(exc))
        url = f"{self.base_url}/v1.0/users/{quote(self.sender, safe='@')}/sendMail"
        body = json.dumps(send_mail_body(notification, recipients=recipients)).encode()
        headers = {"Authorization": f"Bearer {token}", "Content-Type": "application/json"}
        answer = fetch("POST", url, headers=headers, body=body, timeout_s=self.timeout_s)
        if isinstance(answer, HttpFailure):
            return failed(f"{where}: {answer.cause} from {self.base_url}.")
        if answer.status == 202:
            return DeliveryResult(ok=True, detail="HTTP 202")
        hints = {
            400: "Graph refused the message; check the addresses",
            401: "the access token was refused; check SRE_GRAPH_ACCESS_TOKEN or the managed identity",
            403: "the identity needs the Mail.Send permission for this mailbox",
            404: f"no mailbox {self.sender}; check SRE_SMTP_SENDER",
        }
        error = graph_error(answer, where=where, token=token, hints=hints)
        return failed(str(error), permanent=error.permanent, retry_after_s=error.retry_after_s)
