"""A real SMTP server on loopback (aiosmtpd) that keeps what it receives."""

from __future__ import annotations

import socket
import ssl
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any

import pytest
import trustme
from aiosmtpd.controller import Controller
from aiosmtpd.smtp import SMTP, AuthResult, Envelope, LoginPassword, Session

SMTP_USER = "sre-relay"
SMTP_PASSWORD = "smtp-Pa55word-DONOTLEAK"


def free_port() -> int:
    """A loopback port nobody listens on (right now)."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@dataclass
class Mailbox:
    """The handler: keeps each accepted envelope; refuses the addresses in `refuse` at RCPT."""

    envelopes: list[Envelope] = field(default_factory=list)
    refuse: dict[str, str] = field(default_factory=dict)

    async def handle_RCPT(
        self, server: SMTP, session: Session, envelope: Envelope, address: str, rcpt_options: list[str]
    ) -> str:
        if address in self.refuse:
            return self.refuse[address]
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server: SMTP, session: Session, envelope: Envelope) -> str:
        self.envelopes.append(envelope)
        return "250 OK queued as Q42"


def _authenticator(server: SMTP, session: Session, envelope: Envelope, mechanism: str, auth_data: Any) -> AuthResult:
    ok = isinstance(auth_data, LoginPassword) and (auth_data.login, auth_data.password) == (
        SMTP_USER.encode(),
        SMTP_PASSWORD.encode(),
    )
    return AuthResult(success=ok, handled=False)  # not handled: aiosmtpd answers 535 itself


@dataclass
class SmtpServer:
    """One running server: where it listens, what it got, and the CA its certificate chains to."""

    port: int
    mailbox: Mailbox
    client_context: ssl.SSLContext


@pytest.fixture(scope="session")
def ca() -> trustme.CA:
    return trustme.CA()


@pytest.fixture
def smtp_server(ca: trustme.CA) -> Iterator[Callable[..., SmtpServer]]:
    """Start a server: plain, or with STARTTLS required (and AUTH offered after it)."""
    controllers: list[Controller] = []

    def start(*, tls: bool = False, auth: bool = False) -> SmtpServer:
        mailbox = Mailbox()
        kwargs: dict[str, Any] = {}
        if tls:
            server_context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
            ca.issue_cert("127.0.0.1").configure_cert(server_context)
            kwargs.update(tls_context=server_context, require_starttls=True)
        if auth:
            kwargs.update(authenticator=_authenticator, auth_required=True, auth_require_tls=tls)
        port = free_port()
        controller = Controller(mailbox, hostname="127.0.0.1", port=port, ready_timeout=5, **kwargs)
        controller.start()
        controllers.append(controller)
        client_context = ssl.create_default_context()
        ca.configure_trust(client_context)
        return SmtpServer(port=port, mailbox=mailbox, client_context=client_context)

    yield start
    for controller in controllers:
        controller.stop()
