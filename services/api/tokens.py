"""The shared secrets callers of the API present: compared in constant time, and none configured refuses all."""

from __future__ import annotations

import hmac

from pydantic import SecretStr


def token_ok(given: str | None, expected: SecretStr | str | None) -> bool:
    """Whether `given` is the configured token; no token configured means every request is refused."""
    secret = expected.get_secret_value() if isinstance(expected, SecretStr) else expected
    return bool(secret) and given is not None and hmac.compare_digest(given.encode(), str(secret).encode())
