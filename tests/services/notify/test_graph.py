"""GraphGroupResolver against a local HTTP server playing Microsoft Graph's transitiveMembers."""

from __future__ import annotations

import pytest
from pytest_httpserver import HTTPServer

from services.errors import InvalidInput
from services.notify.base import DeliveryError
from services.notify.graph import GraphGroupResolver

GROUP = "0f9a7e1c-1111-4222-8333-944445555666"
MEMBERS = f"/v1.0/groups/{GROUP}/transitiveMembers/microsoft.graph.user"
TOKEN = "eyJ0eXAiOiJKV1QiLCJhbGciOi.graphTokenDONOTLEAK"


@pytest.fixture
def resolver(httpserver: HTTPServer) -> GraphGroupResolver:
    return GraphGroupResolver(base_url=httpserver.url_for("/"), token_provider=lambda: TOKEN, timeout_s=2)


def test_two_pages_of_members(httpserver: HTTPServer, resolver: GraphGroupResolver) -> None:
    next_link = httpserver.url_for(MEMBERS) + "?$select=mail,userPrincipalName&$skiptoken=page2"
    httpserver.expect_ordered_request(MEMBERS, query_string="$select=mail,userPrincipalName").respond_with_json(
        {
            "@odata.context": "https://graph.microsoft.com/v1.0/$metadata#users(mail,userPrincipalName)",
            "value": [
                {"mail": "Ana@contoso.example", "userPrincipalName": "ana@contoso.onmicrosoft.example"},
                {"mail": None, "userPrincipalName": "bo@contoso.example"},
            ],
            "@odata.nextLink": next_link,
        }
    )
    httpserver.expect_ordered_request(
        MEMBERS, query_string="$select=mail,userPrincipalName&$skiptoken=page2"
    ).respond_with_json(
        {"value": [{"mail": "ana@contoso.example"}, {"mail": "cy@contoso.example"}, {"displayName": "no address"}]}
    )

    assert resolver.addresses(GROUP) == ["Ana@contoso.example", "bo@contoso.example", "cy@contoso.example"]

    assert len(httpserver.log) == 2
    for request, _ in httpserver.log:
        assert request.method == "GET"
        assert request.headers["Authorization"] == f"Bearer {TOKEN}"
        assert request.headers["Accept"] == "application/json"


@pytest.mark.parametrize(
    ("status", "headers", "permanent", "retry_after_s", "expected"),
    [
        (401, {}, True, None, "HTTP 401 (Access token has expired.); the access token was refused"),
        (403, {}, True, None, "GroupMember.Read.All"),
        (404, {}, True, None, "no such group"),
        (429, {"Retry-After": "7"}, False, 7.0, "HTTP 429"),
        (503, {}, False, None, "HTTP 503"),
    ],
)
def test_graph_errors(
    httpserver: HTTPServer,
    resolver: GraphGroupResolver,
    status: int,
    headers: dict[str, str],
    permanent: bool,
    retry_after_s: float | None,
    expected: str,
) -> None:
    error = {"error": {"code": "x", "message": "Access token has expired." if status == 401 else f"echo {TOKEN}"}}
    httpserver.expect_request(MEMBERS).respond_with_json(error, status=status, headers=headers)
    with pytest.raises(DeliveryError) as info:
        resolver.addresses(GROUP)
    assert (info.value.permanent, info.value.retry_after_s) == (permanent, retry_after_s)
    assert str(info.value).startswith(f"Microsoft Graph group {GROUP}: Graph answered HTTP {status}")
    assert expected in str(info.value) and TOKEN not in str(info.value)


def test_a_next_link_to_another_host_is_not_followed(httpserver: HTTPServer, resolver: GraphGroupResolver) -> None:
    httpserver.expect_request(MEMBERS).respond_with_json(
        {"value": [{"mail": "a@contoso.example"}], "@odata.nextLink": "https://evil.example/v1.0/next"}
    )
    with pytest.raises(DeliveryError, match=r"another host \(https://evil.example\)") as info:
        resolver.addresses(GROUP)
    assert info.value.permanent


def test_an_empty_group_is_permanent(httpserver: HTTPServer, resolver: GraphGroupResolver) -> None:
    httpserver.expect_request(MEMBERS).respond_with_json({"value": []})
    with pytest.raises(DeliveryError, match="no user members with a mail address") as info:
        resolver.addresses(GROUP)
    assert info.value.permanent


def test_no_token_is_retryable(httpserver: HTTPServer) -> None:
    def no_token() -> str:
        raise RuntimeError("DefaultAzureCredential failed to retrieve a token\nfrom the included credentials.")

    resolver = GraphGroupResolver(base_url=httpserver.url_for("/"), token_provider=no_token, timeout_s=2)
    with pytest.raises(DeliveryError) as info:
        resolver.addresses(GROUP)
    assert not info.value.permanent and not httpserver.log
    assert str(info.value) == (
        f"Microsoft Graph group {GROUP}: could not get a Graph access token "
        "(DefaultAzureCredential failed to retrieve a token)."
    )


def test_a_malformed_group_id_or_base_url_raises(resolver: GraphGroupResolver) -> None:
    with pytest.raises(InvalidInput, match="GUID"):
        resolver.addresses("sre-oncall")
    with pytest.raises(InvalidInput, match="SRE_GRAPH_API_URL"):
        GraphGroupResolver(base_url="graph.microsoft.com", token_provider=lambda: TOKEN, timeout_s=1)
    assert TOKEN not in repr(resolver)
