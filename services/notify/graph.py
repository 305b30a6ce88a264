"""Microsoft Graph: the mail addresses of an Entra group's members, for email targets like group:<id>."""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from typing import Any
from urllib.parse import quote, urlsplit

from services.errors import InvalidInput
from services.http_client import short
from services.notify.base import DeliveryError
from services.notify.http import HttpAnswer, HttpFailure, fetch, retry_after, retryable_status
from services.redaction import redact

DEFAULT_API_URL = "https://graph.microsoft.com"
GRAPH_SCOPE = "https://graph.microsoft.com/.default"
MAX_PAGES = 200
_GROUP_ID = re.compile(r"^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$")


def check_base_url(base_url: str) -> str:
    """The Graph root without a trailing slash; raises InvalidInput naming SRE_GRAPH_API_URL."""
    base = base_url.strip().rstrip("/")
    parts = urlsplit(base)
    if parts.scheme not in ("http", "https") or not parts.netloc:
        raise InvalidInput(f"SRE_GRAPH_API_URL must be the Graph root (https://graph.microsoft.com), not {base!r}.")
    return base


class GraphGroupResolver:
    """Lists a group's (transitive) user members through Graph; mail, else userPrincipalName."""

    def __init__(
        self, *, base_url: str = DEFAULT_API_URL, token_provider: Callable[[], str], timeout_s: float = 10
    ) -> None:
        self.base_url = check_base_url(base_url)
        self.timeout_s = timeout_s
        self._token_provider = token_provider

    def __repr__(self) -> str:
        return f"GraphGroupResolver(base_url={self.base_url!r}, timeout_s={self.timeout_s:g})"

    def addresses(self, group_id: str) -> list[str]:
        """The members' addresses, each once, in Graph's order; raises DeliveryError (permanent or not)."""
        gid = group_id.strip()
        if not _GROUP_ID.match(gid):
            raise InvalidInput(f"An Entra group is given by its object id (a GUID), not {group_id!r}.")
        where = f"Microsoft Graph group {gid}"
        token = graph_token(self._token_provider, where=where)
        select = "$select=mail,userPrincipalName"
        url: str | None = f"{self.base_url}/v1.0/groups/{quote(gid)}/transitiveMembers/microsoft.graph.user?{select}"
        seen: set[str] = set()
        out: list[str] = []
        for _ in range(MAX_PAGES):
            if url is None:
                break
            page = self._page(url, token=token, where=where)
            for member in page.get("value") or []:
                address = _address(member)
                if address and address.lower() not in seen:
                    seen.add(address.lower())
                    out.append(address)
            url = self._next(page.get("@odata.nextLink"), where=where)
        else:
            if url is not None:
                raise DeliveryError(
                    f"{where}: more than {MAX_PAGES} pages of members; use a smaller group.", permanent=True
                )
        if not out:
            raise DeliveryError(f"{where}: the group has no user members with a mail address.", permanent=True)
        return out

    def _page(self, url: str, *, token: str, where: str) -> dict[str, Any]:
        headers = {"Authorization": f"Bearer {token}", "Accept": "application/json"}
        answer = fetch("GET", url, headers=headers, timeout_s=self.timeout_s)
        if isinstance(answer, HttpFailure):
            raise DeliveryError(f"{where}: {answer.cause} from {self.base_url}.")
        data = _json(answer)
        if answer.status == 200 and data is not None and isinstance(data.get("value", []), list):
            return data
        hints = {
            401: "the access token was refused; check SRE_GRAPH_ACCESS_TOKEN or the managed identity",
            403: "the identity needs the GroupMember.Read.All (or Group.Read.All) permission",
            404: "no such group; check the group id in the rule",
        }
        raise graph_error(answer, where=where, token=token, hints=hints)

    def _next(self, link: object, *, where: str) -> str | None:
        if not link:
            return None
        nxt, base = urlsplit(str(link)), urlsplit(self.base_url)
        if (nxt.scheme, nxt.netloc) != (base.scheme, base.netloc):
            raise DeliveryError(
                f"{where}: the next page is on another host ({nxt.scheme}://{nxt.netloc}), "
                "where the token is not sent.",
                permanent=True,
            )
        return str(link)


def graph_token(token_provider: Callable[[], str], *, where: str) -> str:
    """A Graph access token from the provider; raises a retryable DeliveryError when there is none now."""
    try:
        return token_provider()
    except Exception as exc:  # azure-identity raises many kinds; all mean "no token now"
        cause = short(exc) or type(exc).__name__
        raise DeliveryError(f"{where}: could not get a Graph access token ({cause}).") from None


def graph_error(answer: HttpAnswer, *, where: str, token: str, hints: dict[int, str]) -> DeliveryError:
    """The DeliveryError for a Graph error answer: its message, retryable or not, and a hint per status."""
    data = _json(answer)
    error = data.get("error") if data is not None else None
    said = short(error.get("message") or "", limit=200) if isinstance(error, dict) else ""
    cause = redact(f"{where}: Graph answered HTTP {answer.status}" + (f" ({said})" if said else ""), [token])
    if retryable_status(answer.status):
        return DeliveryError(f"{cause}.", retry_after_s=retry_after(answer.headers))
    hint = hints.get(answer.status, "check SRE_GRAPH_API_URL")
    return DeliveryError(f"{cause}; {hint}.", permanent=True)


def _address(member: object) -> str:
    if not isinstance(member, dict):
        return ""
    value = member.get("mail") or member.get("userPrincipalName") or ""
    return value.strip() if isinstance(value, str) else ""


def _json(answer: HttpAnswer) -> dict[str, Any] | None:
    try:
        data = json.loads(answer.body)
    except ValueError:
        return None
    return data if isinstance(data, dict) else None


def credential_token_provider(scope: str = GRAPH_SCOPE) -> Callable[[], str]:
    """A token provider backed by azure-identity's DefaultAzureCredential, created on first use."""
    state: dict[str, Any] = {}

    def provide() -> str:
        if "credential" not in state:
            from azure.identity import DefaultAzureCredential  # lazy: only deployments that resolve groups need it

            state["credential"] = DefaultAzureCredential()
        return str(state["credential"].get_token(scope).token)

    return provide
