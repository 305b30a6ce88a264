"""The shared secrets callers of the API present: compared in constant time, and none configured refuses all."""

from __future__ import annotations

import hmac
from typing import Annotated

from fastapi import Depends, HTTPException
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from pydantic import SecretStr

from services.config import Settings, get_settings

bearer = HTTPBearer(auto_error=False, description="SRE_API_TOKEN")


def token_ok(given: str | None, expected: SecretStr | str | None) -> bool:
    """Whether `given` is the configured token; no token configured means every request is refused."""
    secret = expected.get_secret_value() if isinstance(expected, SecretStr) else expected
    return bool(secret) and given is not None and hmac.compare_digest(given.encode(), str(secret).encode())


def require_api_token(
    settings: Annotated[Settings, Depends(get_settings)],
    credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(bearer)],
) -> None:
    """Refuse a call without `Authorization: Bearer <SRE_API_TOKEN>` (no token configured: every call), before the
    body is looked at."""
    given = credentials.credentials if credentials else None
    if not token_ok(given, settings.api.token):
        detail = (
            "SRE_API_TOKEN is not set on the API process: set it, then send Authorization: Bearer <token>."
            if not settings.api.token
            else "Wrong or missing token: send Authorization: Bearer <SRE_API_TOKEN>."
        )
        raise HTTPException(401, detail, headers={"WWW-Authenticate": "Bearer"})
