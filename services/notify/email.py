"""Email over SMTP: plain text with an HTML alternative, to addresses or the members of an Entra group."""

from __future__ import annotations

import hashlib
import html
import re
import smtplib
import ssl
from email.message import EmailMessage
from email.utils import formatdate
from typing import TYPE_CHECKING

from pydantic import SecretStr

from services.errors import InvalidInput
from services.http_client import short
from services.notify.base import DeliveryError, DeliveryResult, Notification, failed, one_line, plain_text
from services.notify.graph import GraphGroupResolver
from services.redaction import redact

if TYPE_CHECKING:
    from typing_extensions import Buffer

_ADDRESS = re.compile(r"^[^@\s<>,;\"()\[\]\\]+@[A-Za-z0-9](?:[A-Za-z0-9.-]*[A-Za-z0-9])?$")
_SAFE_KEY = re.compile(r"^[A-Za-z0-9_-]+(?:\.[A-Za-z0-9_-]+)*$")


def is_address(text: str) -> bool:
    """Whether the text is one plain ASCII address (no display name, no brackets)."""
    return bool(_ADDRESS.match(text)) and text.isascii()


def parse_addresses(target: str) -> list[str]:
    """A comma-separated list of plain addresses; raises InvalidInput naming the bad one."""
    addresses = [part.strip() for part in target.split(",") if part.strip()]
    if not addresses:
        raise InvalidInput("An email target is a comma-separated list of addresses, or group:<entra-group-id>.")
    for address in addresses:
        if not is_address(address):
            raise InvalidInput(f"{address!r} is not a plain email address such as oncall@contoso.com.")
    return addresses


def message_id(idempotency_key: str, sender: str) -> str:
    """A Message-ID that is the same for every attempt of one delivery, so receivers can drop duplicates."""
    key = idempotency_key.strip()
    left = key if _SAFE_KEY.match(key) and len(key) <= 64 else hashlib.sha256(key.encode()).hexdigest()[:40]
    domain = sender.rpartition("@")[2] or "sre-backoffice"
    return f"<{left}.sre@{domain}>"


def resolve_target(target: str, resolver: GraphGroupResolver | None) -> list[str]:
    """The addresses of a target (a list, or group:<id> through Graph); raises InvalidInput or DeliveryError."""
    if not target.strip().lower().startswith("group:"):
        return parse_addresses(target)
    if resolver is None:
        raise InvalidInput("Email to group:<id> needs a Microsoft Graph resolver (build_notifiers adds it).")
    return resolver.addresses(target.strip()[len("group:") :])


def build_message(notification: Notification, *, sender: str, recipients: list[str]) -> EmailMessage:
    """The email: From/To/Subject/Date/Message-ID, plain text and a simple HTML alternative."""
    msg = EmailMessage()
    msg["From"] = sender
    msg["To"] = ", ".join(recipients)
    msg["Subject"] = one_line(notification.subject)
    msg["Date"] = formatdate(usegmt=True)
    msg["Message-ID"] = message_id(notification.idempotency_key, sender)
    msg["X-SRE-Severity"] = one_line(notification.severity)
    msg.set_content(plain_text(notification))
    msg.add_alternative(html_body(notification), subtype="html")
    return msg


def html_body(n: Notification) -> str:
    """A simple HTML rendering: the subject as a heading, the text, the fields as a table, the link."""
    rows = [("Severity", n.severity), *n.fields.items()]
    table = "".join(f"<tr><th align='left'>{html.escape(k)}</th><td>{html.escape(v)}</td></tr>" for k, v in rows)
    link = f'<p><a href="{html.escape(n.link)}">Open in SRE Backoffice</a></p>' if n.link else ""
    text = html.escape(n.text.replace("\r\n", "\n").strip())
    return (
        f"<html><body><h3>{html.escape(one_line(n.subject))}</h3>"
        f"<pre style='font-family:inherit;white-space:pre-wrap'>{text}</pre>"
        f"<table>{table}</table>{link}</body></html>\n"
    )


class _SMTP(smtplib.SMTP):
    """smtplib.SMTP that keeps the server's answer to DATA (e.g. '250 OK queued as …') for the detail."""

    data_reply = ""

    def data(self, msg: Buffer | str) -> tuple[int, bytes]:
        code, reply = super().data(msg)
        self.data_reply = f"{code} {reply.decode('utf-8', 'replace')}"
        return code, reply


class SmtpEmailNotifier:
    """Sends each notification as one email through an SMTP relay (STARTTLS and AUTH when configured)."""

    channel = "email"

    def __init__(
        self,
        *,
        host: str,
        port: int,
        sender: str,
        username: str | None = None,
        password: SecretStr | None = None,
        starttls: bool = True,
        timeout_s: float = 10,
        group_resolver: GraphGroupResolver | None = None,
        ssl_context: ssl.SSLContext | None = None,
    ) -> None:
        if not host.strip() or any(c.isspace() or c in "/:" for c in host.strip()):
            raise InvalidInput(f"SRE_SMTP_HOST must be a host name such as smtp.contoso.com, not {host!r}.")
        if not 0 < port < 65536:
            raise InvalidInput(f"SRE_SMTP_PORT must be a TCP port (587 for STARTTLS, 25), not {port!r}.")
        if not is_address(sender.strip()):
            raise InvalidInput(f"SRE_SMTP_SENDER must be a plain address such as sre@contoso.com, not {sender!r}.")
        if bool(username) != bool(password and password.get_secret_value()):
            raise InvalidInput("SRE_SMTP_USERNAME and SRE_SMTP_PASSWORD go together; set both or neither.")
        self.host, self.port, self.sender = host.strip(), port, sender.strip()
        self.username = username
        self._password = password
        self.starttls = starttls
        self.timeout_s = timeout_s
        self.group_resolver = group_resolver
        self._ssl_context = ssl_context

    def __repr__(self) -> str:
        return f"SmtpEmailNotifier(host={self.host!r}, port={self.port}, sender={self.sender!r})"

    def send(self, notification: Notification, target: str) -> DeliveryResult:
        """Resolve the target and send one email to all its addresses."""
        where = f"Email to {target.strip()} via {self.host}:{self.port}"
        try:
            recipients = resolve_target(target, self.group_resolver)
        except DeliveryError as exc:
            cause = f"Email to {target.strip()}: could not resolve the group: {exc}"
            return failed(cause, permanent=exc.permanent, retry_after_s=exc.retry_after_s)
        msg = build_message(notification, sender=self.sender, recipients=recipients)
        try:
            return self._deliver(msg, recipients, where)
        except DeliveryError as exc:
            return failed(self._redact(str(exc)), permanent=exc.permanent, retry_after_s=exc.retry_after_s)

    def _deliver(self, msg: EmailMessage, recipients: list[str], where: str) -> DeliveryResult:
        try:
            with _SMTP(self.host, self.port, timeout=self.timeout_s) as smtp:
                smtp.ehlo()
                if self.starttls:
                    if not smtp.has_extn("starttls"):
                        raise DeliveryError(
                            f"{where}: the server does not offer STARTTLS; "
                            "fix the server or set SRE_SMTP_STARTTLS=false.",
                            permanent=True,
                        )
                    smtp.starttls(context=self._ssl_context or ssl.create_default_context())
                    smtp.ehlo()
                if self.username and self._password is not None:
                    smtp.login(self.username, self._password.get_secret_value())
                refused = smtp.send_message(msg, from_addr=self.sender, to_addrs=recipients)
                reply = smtp.data_reply
                _quit_quietly(smtp)  # the mail is accepted; a failing QUIT must not make it look lost
        except smtplib.SMTPRecipientsRefused as exc:
            codes = [code for code, _ in exc.recipients.values()]
            said = "; ".join(f"{a}: {_reply(c, m)}" for a, (c, m) in exc.recipients.items())
            raise DeliveryError(
                f"{where}: every recipient was refused ({said}).", permanent=min(codes) >= 500
            ) from None
        except smtplib.SMTPNotSupportedError as exc:  # no AUTH offered, or an address needs SMTPUTF8
            raise DeliveryError(
                f"{where}: the server lacks a needed extension ({short(exc)}).", permanent=True
            ) from None
        except smtplib.SMTPAuthenticationError as exc:
            cause = f"the server refused the login of {self.username} ({_reply(exc.smtp_code, exc.smtp_error)})"
            raise DeliveryError(
                f"{where}: {cause}; check SRE_SMTP_USERNAME and SRE_SMTP_PASSWORD.", permanent=exc.smtp_code >= 500
            ) from None
        except smtplib.SMTPResponseException as exc:
            step = "refused the sender" if isinstance(exc, smtplib.SMTPSenderRefused) else "answered"
            cause = f"the server {step} ({_reply(exc.smtp_code, exc.smtp_error)})"
            raise DeliveryError(f"{where}: {cause}.", permanent=exc.smtp_code >= 500) from None
        except smtplib.SMTPServerDisconnected as exc:
            if isinstance(exc.__context__, TimeoutError):  # smtplib turns a read timeout into "disconnected"
                raise DeliveryError(self._timed_out(where)) from None
            raise DeliveryError(f"{where}: the server closed the connection ({short(exc) or 'no reason'}).") from None
        except smtplib.SMTPException as exc:  # e.g. no AUTH mechanism both sides know
            raise DeliveryError(f"{where}: {short(exc).rstrip('.') or type(exc).__name__}.", permanent=True) from None
        except ssl.SSLCertVerificationError as exc:
            cause = f"the server's TLS certificate was not trusted ({short(exc.verify_message)})"
            raise DeliveryError(f"{where}: {cause}.", permanent=True) from None
        except TimeoutError:
            raise DeliveryError(self._timed_out(where)) from None
        except OSError as exc:  # refused, unreachable, DNS, TLS handshake, other SMTP errors
            raise DeliveryError(f"{where}: cannot talk to the server ({short(exc) or type(exc).__name__}).") from None
        detail = reply or "250"
        if refused:
            detail += "; refused: " + "; ".join(f"{a} ({_reply(c, m)})" for a, (c, m) in refused.items())
        return DeliveryResult(ok=True, detail=short(detail, limit=500))

    def _timed_out(self, where: str) -> str:
        return f"{where}: timed out after {self.timeout_s:g} s waiting for the server."

    def _redact(self, text: str) -> str:
        return redact(text, [self._password.get_secret_value()] if self._password else [])


def _quit_quietly(smtp: smtplib.SMTP) -> None:
    try:
        smtp.quit()
    except (smtplib.SMTPException, OSError):
        smtp.close()


def _reply(code: int, message: bytes | str) -> str:
    text = message.decode("utf-8", "replace") if isinstance(message, bytes) else str(message)
    return short(f"{code} {' '.join(text.split())}", limit=200)
