"""SmtpEmailNotifier against a real SMTP server on loopback (aiosmtpd), with STARTTLS and AUTH."""

from __future__ import annotations

import socket
from collections.abc import Callable, Iterator
from email import message_from_bytes, policy
from email.message import EmailMessage

import pytest
from pydantic import SecretStr
from pytest_httpserver import HTTPServer

from services.errors import InvalidInput
from services.notify.base import Notification
from services.notify.email import SmtpEmailNotifier, message_id
from services.notify.graph import GraphGroupResolver
from tests.services.notify.conftest import SMTP_PASSWORD, SMTP_USER, SmtpServer, free_port

NOTE = Notification(
    subject="[Sev1] Checkout error budget burning\r\nfast",
    text="Burn rate 14.4x over 1h <script>alert(1)</script> & rising.",
    severity="Sev1",
    idempotency_key="outbox-42.email",
    fields={"rule": "checkout-burn", "state": "fired", "dimension": "eu-west"},
    link="https://backoffice.example/alerts/42?tab=history&x=1",
)
GROUP = "0f9a7e1c-1111-4222-8333-944445555666"


def received(server: SmtpServer) -> EmailMessage:
    [envelope] = server.mailbox.envelopes
    assert isinstance(envelope.content, bytes)
    message = message_from_bytes(envelope.content, policy=policy.default)
    assert isinstance(message, EmailMessage)
    return message


def notifier(server: SmtpServer, **kw: object) -> SmtpEmailNotifier:
    args: dict[str, object] = {
        "host": "127.0.0.1",
        "port": server.port,
        "sender": "sre@contoso.example",
        "starttls": False,
        "timeout_s": 5,
        "ssl_context": server.client_context,
        **kw,
    }
    return SmtpEmailNotifier(**args)  # type: ignore[arg-type]


def test_a_plain_relay_receives_the_mail(smtp_server: Callable[..., SmtpServer]) -> None:
    server = smtp_server()

    result = notifier(server).send(NOTE, " oncall@contoso.example, lead@contoso.example ")

    assert (result.ok, result.detail, result.permanent) == (True, "250 OK queued as Q42", False)
    [envelope] = server.mailbox.envelopes
    assert envelope.mail_from == "sre@contoso.example"
    assert envelope.rcpt_tos == ["oncall@contoso.example", "lead@contoso.example"]
    message = received(server)
    assert message["From"] == "sre@contoso.example"
    assert message["To"] == "oncall@contoso.example, lead@contoso.example"
    assert message["Subject"] == "[Sev1] Checkout error budget burning fast"
    assert message["Message-ID"] == "<outbox-42.email.sre@contoso.example>"
    assert message["X-SRE-Severity"] == "Sev1"
    plain = message.get_body(("plain",))
    html = message.get_body(("html",))
    assert plain is not None and html is not None
    assert plain.get_content().replace("\r\n", "\n") == (
        "Burn rate 14.4x over 1h <script>alert(1)</script> & rising.\n\n"
        "Severity: Sev1\nrule: checkout-burn\nstate: fired\ndimension: eu-west\n\n"
        "https://backoffice.example/alerts/42?tab=history&x=1\n"
    )
    markup = html.get_content()
    assert "&lt;script&gt;alert(1)&lt;/script&gt; &amp; rising." in markup and "<script>" not in markup
    assert '<a href="https://backoffice.example/alerts/42?tab=history&amp;x=1">' in markup
    assert "<th align='left'>rule</th><td>checkout-burn</td>" in markup


def test_the_message_id_is_stable_per_delivery() -> None:
    assert message_id("outbox-42.email", "sre@contoso.example") == "<outbox-42.email.sre@contoso.example>"
    odd = message_id("outbox 42/<email>", "sre@contoso.example")
    assert odd == message_id("outbox 42/<email>", "sre@contoso.example")
    assert odd.startswith("<") and odd.endswith(".sre@contoso.example>") and " " not in odd
    assert odd != message_id("outbox 42/<email>!", "sre@contoso.example")


def test_starttls_and_auth(smtp_server: Callable[..., SmtpServer]) -> None:
    server = smtp_server(tls=True, auth=True)
    email = notifier(server, starttls=True, username=SMTP_USER, password=SecretStr(SMTP_PASSWORD))

    result = email.send(NOTE, "oncall@contoso.example")

    assert result.ok and result.detail == "250 OK queued as Q42"
    assert received(server)["Message-ID"] == "<outbox-42.email.sre@contoso.example>"
    assert SMTP_PASSWORD not in repr(email)


def test_auth_refused_is_permanent(smtp_server: Callable[..., SmtpServer]) -> None:
    server = smtp_server(tls=True, auth=True)
    email = notifier(server, starttls=True, username=SMTP_USER, password=SecretStr("wrong-password-123"))

    result = email.send(NOTE, "oncall@contoso.example")

    assert (result.ok, result.permanent, result.retry_after_s) == (False, True, None)
    assert result.detail.startswith(f"Email to oncall@contoso.example via 127.0.0.1:{server.port}: ")
    assert f"refused the login of {SMTP_USER} (535 " in result.detail and "SRE_SMTP_PASSWORD" in result.detail
    assert "wrong-password-123" not in result.detail and not server.mailbox.envelopes


def test_starttls_asked_but_not_offered_fails_clearly(smtp_server: Callable[..., SmtpServer]) -> None:
    server = smtp_server()
    result = notifier(server, starttls=True).send(NOTE, "oncall@contoso.example")
    assert not result.ok and result.permanent
    assert "the server does not offer STARTTLS" in result.detail and "SRE_SMTP_STARTTLS" in result.detail
    assert not server.mailbox.envelopes


def test_a_server_requiring_starttls_refuses_a_plain_client(smtp_server: Callable[..., SmtpServer]) -> None:
    server = smtp_server(tls=True)
    result = notifier(server, starttls=False).send(NOTE, "oncall@contoso.example")
    assert not result.ok and result.permanent and "(530 " in result.detail


def test_an_untrusted_certificate_is_permanent(smtp_server: Callable[..., SmtpServer]) -> None:
    server = smtp_server(tls=True)
    email = SmtpEmailNotifier(host="127.0.0.1", port=server.port, sender="sre@contoso.example", timeout_s=5)
    result = email.send(NOTE, "oncall@contoso.example")
    assert not result.ok and result.permanent and "TLS certificate was not trusted" in result.detail


def test_a_refused_recipient_is_permanent(smtp_server: Callable[..., SmtpServer]) -> None:
    server = smtp_server()
    server.mailbox.refuse["gone@contoso.example"] = "550 5.1.1 mailbox unavailable"

    result = notifier(server).send(NOTE, "gone@contoso.example")

    assert not result.ok and result.permanent
    assert "every recipient was refused (gone@contoso.example: 550 5.1.1 mailbox unavailable)" in result.detail


def test_a_busy_mailbox_is_retryable(smtp_server: Callable[..., SmtpServer]) -> None:
    server = smtp_server()
    server.mailbox.refuse["busy@contoso.example"] = "450 4.2.1 mailbox busy, try later"
    result = notifier(server).send(NOTE, "busy@contoso.example")
    assert not result.ok and not result.permanent and "450 4.2.1" in result.detail


def test_one_refused_recipient_of_two_still_delivers(smtp_server: Callable[..., SmtpServer]) -> None:
    server = smtp_server()
    server.mailbox.refuse["gone@contoso.example"] = "550 5.1.1 mailbox unavailable"

    result = notifier(server).send(NOTE, "oncall@contoso.example,gone@contoso.example")

    assert result.ok
    assert result.detail == "250 OK queued as Q42; refused: gone@contoso.example (550 5.1.1 mailbox unavailable)"
    assert server.mailbox.envelopes[0].rcpt_tos == ["oncall@contoso.example"]


def test_a_closed_port_is_retryable() -> None:
    port = free_port()
    email = SmtpEmailNotifier(host="127.0.0.1", port=port, sender="sre@contoso.example", timeout_s=2)
    result = email.send(NOTE, "oncall@contoso.example")
    assert (result.ok, result.permanent) == (False, False)
    assert result.detail.startswith(
        f"Email to oncall@contoso.example via 127.0.0.1:{port}: cannot talk to the server ("
    )


@pytest.fixture
def silent_port() -> Iterator[int]:
    """A port that accepts connections but never greets."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        sock.listen(1)
        yield int(sock.getsockname()[1])


def test_a_silent_server_times_out(silent_port: int) -> None:
    email = SmtpEmailNotifier(host="127.0.0.1", port=silent_port, sender="sre@contoso.example", timeout_s=0.3)
    result = email.send(NOTE, "oncall@contoso.example")
    assert not result.ok and not result.permanent
    assert result.detail.endswith("timed out after 0.3 s waiting for the server.")


def test_a_group_target_mails_its_members(smtp_server: Callable[..., SmtpServer], httpserver: HTTPServer) -> None:
    server = smtp_server()
    members = f"/v1.0/groups/{GROUP}/transitiveMembers/microsoft.graph.user"
    httpserver.expect_request(members).respond_with_json(
        {"value": [{"mail": "a@contoso.example"}, {"mail": None, "userPrincipalName": "b@contoso.example"}]}
    )
    resolver = GraphGroupResolver(base_url=httpserver.url_for("/"), token_provider=lambda: "graph-token", timeout_s=2)

    result = notifier(server, group_resolver=resolver).send(NOTE, f"group:{GROUP}")

    assert result.ok
    assert server.mailbox.envelopes[0].rcpt_tos == ["a@contoso.example", "b@contoso.example"]
    assert received(server)["To"] == "a@contoso.example, b@contoso.example"


def test_a_group_that_cannot_be_resolved_is_a_failed_delivery(
    smtp_server: Callable[..., SmtpServer], httpserver: HTTPServer
) -> None:
    server = smtp_server()
    httpserver.expect_request(f"/v1.0/groups/{GROUP}/transitiveMembers/microsoft.graph.user").respond_with_json(
        {"error": {"code": "Request_ResourceNotFound", "message": "Resource does not exist."}}, status=404
    )
    resolver = GraphGroupResolver(base_url=httpserver.url_for("/"), token_provider=lambda: "graph-token", timeout_s=2)

    result = notifier(server, group_resolver=resolver).send(NOTE, f"group:{GROUP}")

    assert not result.ok and result.permanent
    assert result.detail.startswith(f"Email to group:{GROUP}: could not resolve the group: Microsoft Graph group ")
    assert "HTTP 404 (Resource does not exist.)" in result.detail and not server.mailbox.envelopes


@pytest.mark.parametrize(
    "target", ["", " , ", "oncall", "on call@contoso.example", "a@b.example;c@d.example", "<a@b.c>"]
)
def test_malformed_targets_raise(smtp_server: Callable[..., SmtpServer], target: str) -> None:
    with pytest.raises(InvalidInput, match="email"):
        notifier(smtp_server()).send(NOTE, target)


def test_a_group_target_without_graph_raises() -> None:
    email = SmtpEmailNotifier(host="smtp.contoso.example", port=587, sender="sre@contoso.example")
    with pytest.raises(InvalidInput, match="Microsoft Graph"):
        email.send(NOTE, f"group:{GROUP}")


@pytest.mark.parametrize(
    ("kw", "setting"),
    [
        ({"host": "smtp://relay"}, "SRE_SMTP_HOST"),
        ({"port": 0}, "SRE_SMTP_PORT"),
        ({"sender": "SRE Team"}, "SRE_SMTP_SENDER"),
        ({"username": "relay"}, "SRE_SMTP_USERNAME and SRE_SMTP_PASSWORD"),
        ({"password": SecretStr("x")}, "SRE_SMTP_USERNAME and SRE_SMTP_PASSWORD"),
    ],
)
def test_malformed_settings_name_the_setting(kw: dict[str, object], setting: str) -> None:
    args: dict[str, object] = {"host": "smtp.contoso.example", "port": 587, "sender": "sre@contoso.example", **kw}
    with pytest.raises(InvalidInput, match=setting):
        SmtpEmailNotifier(**args)  # type: ignore[arg-type]
