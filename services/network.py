"""Where the backoffice's servers listen, and when the embedded local identities may be reached over a network."""

from __future__ import annotations

import ipaddress

from services.config import Settings
from services.errors import InvalidInput


def is_loopback(address: str | None) -> bool:
    """Whether a listen address only accepts connections from this machine (an empty address means every interface)."""
    if not address:
        return False
    host = address.strip().strip("[]")
    if host.lower() == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def local_auth_refusal(settings: Settings, address: str | None) -> str | None:
    """Why the UI must not serve on `address`, or None: local identities let anyone pick admin, so loopback only."""
    if settings.auth.mode != "local" or is_loopback(address) or settings.auth.allow_local_on_network:
        return None
    where = address or "every interface"
    return (
        f"Refusing to serve on {where}: the embedded local identities (SRE_AUTH_MODE=local) let anyone who reaches "
        "the port act as admin. Sign in with Entra ID (SRE_AUTH_MODE=entra), bind to 127.0.0.1 "
        "(SRE_BIND_ADDRESS), or for a lab set SRE_ALLOW_LOCAL_AUTH_ON_NETWORK=true."
    )


def require_safe_bind(settings: Settings, address: str | None) -> None:
    """Raise InvalidInput with the refusal when `address` is not safe for the configured sign-in."""
    refusal = local_auth_refusal(settings, address)
    if refusal:
        raise InvalidInput(refusal)
