"""GraphMailNotifier against a local HTTP server playing Microsoft Graph's sendMail."""

from __future__ import annotations

import json

import pytest
from pytest_httpserver import HTTPServer

from services.errors import InvalidInput
from services.notify.base import Notification
from services.notify.graph import GraphGroupResolver
from services.notify.graph_mail import GraphMailNotifier

TOKEN = "eyJ0eXAiOiJKV1QiLCJhbGciOi.graphTokenDONOTLEAK"
SEND = "/v1.0/users/sre@contoso.example/sendMail"
GROUP = "0f9a7e1c-1111-4222-8333-944445555666"
NOTE = Notification(
    subject="[Sev3] Queue depth rising",
    text="depth 1200 <over> 1000",
    severity="Sev3",
    idempotency_key="outbox-5.email",
    fields={"rule": "queue-depth"},
)


@pytest.fixture
def mail(httpserver: HTTPServer) -> GraphMailNotifier:
    base = httpserver.url_for("/")
    resolver = GraphGroupResolver(base_url=base, token_provider=lambda: TOKEN, timeout_s=2)
    return GraphMailNotifier(
        sender="sre@contoso.example", token_provider=lambda: TOKEN, base_url=base, timeout_s=2, group_resolver=resolver
    )


def test_sends_the_exact_request(httpserver: HTTPServer, mail: GraphMailNotifier) -> None:
    httpserver.expect_request(SEND, method="POST").respond_with_data("", status=202)

    result = mail.send(NOTE, "a@contoso.example, b@contoso.example")

    assert (result.ok, result.detail) == (True, "HTTP 202")
    [(request, _)] = httpserver.log
    assert request.headers["Authorization"] == f"Bearer {TOKEN}"
    assert request.headers["Content-Type"] == "application/json"
    body = json.loads(request.get_data())
    assert body["saveToSentItems"] is False
    message = body["message"]
    assert message["subject"] == "[Sev3] Queue depth rising"
    assert message["body"]["contentType"] == "HTML" and "depth 1200 &lt;over&gt; 1000" in message["body"]["content"]
    assert message["toRecipients"] == [
        {"emailAddress": {"address": "a@contoso.example"}},
        {"emailAddress": {"address": "b@contoso.example"}},
    ]
    assert message["internetMessageHeaders"] == [
        {"name": "X-SRE-Idempotency-Key", "value": "outbox-5.email"},
        {"name": "X-SRE-Severity", "value": "Sev3"},
    ]


def test_a_group_target(httpserver: HTTPServer, mail: GraphMailNotifier) -> None:
    httpserver.expect_request(f"/v1.0/groups/{GROUP}/transitiveMembers/microsoft.graph.user").respond_with_json(
        {"value": [{"mail": "a@contoso.example"}]}
    )
    httpserver.expect_request(SEND, method="POST").respond_with_data("", status=202)
    assert mail.send(NOTE, f"group:{GROUP}").ok
    body = json.loads(httpserver.log[1][0].get_data())
    assert body["message"]["toRecipients"] == [{"emailAddress": {"address": "a@contoso.example"}}]


@pytest.mark.parametrize(
    ("status", "headers", "permanent", "retry_after_s", "expected"),
    [
        (403, {}, True, None, "Mail.Send"),
        (404, {}, True, None, "no mailbox sre@contoso.example"),
        (400, {}, True, None, "check the addresses"),
        (429, {"Retry-After": "9"}, False, 9.0, "HTTP 429"),
        (503, {}, False, None, "HTTP 503"),
    ],
)
def test_graph_errors(
    httpserver: HTTPServer,
    mail: GraphMailNotifier,
    status: int,
    headers: dict[str, str],
    permanent: bool,
    retry_after_s: float | None,
    expected: str,
) -> None:
    httpserver.expect_request(SEND).respond_with_json(
        {"error": {"code": "x", "message": f"Bearer {TOKEN}"}}, status=status, headers=headers
    )
    result = mail.send(NOTE, "a@contoso.example")
    assert (result.ok, result.permanent, result.retry_after_s) == (False, permanent, retry_after_s)
    assert result.detail.startswith("Email to a@contoso.example via Microsoft Graph as sre@contoso.example: ")
    assert expected in result.detail and TOKEN not in result.detail


def test_no_token_is_retryable(httpserver: HTTPServer) -> None:
    def no_token() -> str:
        raise RuntimeError("ManagedIdentityCredential: no response from the IMDS endpoint")

    mail = GraphMailNotifier(sender="sre@contoso.example", token_provider=no_token, base_url=httpserver.url_for("/"))
    result = mail.send(NOTE, "a@contoso.example")
    assert (result.ok, result.permanent) == (False, False) and "could not get a Graph access token" in result.detail
    assert not httpserver.log


def test_a_malformed_sender_raises_and_the_token_stays_out_of_the_repr(mail: GraphMailNotifier) -> None:
    with pytest.raises(InvalidInput, match="SRE_SMTP_SENDER"):
        GraphMailNotifier(sender="SRE <sre@contoso.example>", token_provider=lambda: TOKEN)
    assert TOKEN not in repr(mail)
