"""Masking secrets in text before it is stored or shown: in any spelling a server may echo them back in.

A notifier's or board's error often quotes the request back: the URL with the token URL-encoded, a lower-cased
copy, or a message cut at 200 characters right through the token. Each of those spellings is masked here.
"""

from __future__ import annotations

import base64
import re
from collections.abc import Iterable
from urllib.parse import quote, quote_plus

from pydantic import SecretStr

from services.config import Settings

MASK = "***"
MIN_SECRET = 4  # shorter values (a port, "true") would mask ordinary words
MIN_PREFIX = 6  # a secret cut at a truncation point: this many leading characters or more are masked
_BEARER = re.compile(r"\b(Bearer|Basic)\s+[\w\-.~+/]{8,}=*", re.IGNORECASE)
_CUT = ("…", "...")


def spellings(secret: str) -> set[str]:
    """The secret as a server may echo it: as is, URL-encoded (path and form style) and base64 (Basic auth)."""
    out = {secret, quote(secret, safe=""), quote(secret), quote_plus(secret)}
    out.add(base64.b64encode(secret.encode()).decode().rstrip("="))
    return {s for s in out if len(s) >= MIN_SECRET}


def redact(text: str, secrets: Iterable[str]) -> str:
    """`text` with every secret masked in every spelling, whatever the case, also where the text cuts it short."""
    forms = sorted({f for s in secrets if s and len(s) >= MIN_SECRET for f in spellings(s)}, key=len, reverse=True)
    for form in forms:
        text = re.sub(re.escape(form), MASK, text, flags=re.IGNORECASE)
    for form in forms:
        text = _mask_cut_prefix(text, form)
    return _BEARER.sub(lambda m: f"{m.group(1)} {MASK}", text)


def _mask_cut_prefix(text: str, secret: str) -> str:
    """Mask a leading part of `secret` (MIN_PREFIX characters or more) where the text ends or is cut (…) right after."""
    if len(secret) <= MIN_PREFIX:
        return text
    low, head = text.lower(), secret[:MIN_PREFIX].lower()
    start = low.find(head)
    while start != -1:
        end = start + MIN_PREFIX
        while end < len(text) and end - start < len(secret) and low[end] == secret[end - start].lower():
            end += 1
        rest = text[end:]
        if not rest or rest.startswith(_CUT):
            text, low = text[:start] + MASK + rest, low[:start] + MASK + low[end:]
            end = start + len(MASK)
        start = low.find(head, end)
    return text


def configured_secrets(settings: Settings) -> list[str]:
    """Every secret among the settings (SecretStr fields of every section), for a last masking before storing."""
    out = []
    for section_name in type(settings).model_fields:
        section = getattr(settings, section_name)
        for name in type(section).model_fields:
            value = getattr(section, name)
            if isinstance(value, SecretStr) and value.get_secret_value().strip():
                out.append(value.get_secret_value().strip())
    return out


def redact_configured(text: str, settings: Settings) -> str:
    """`text` with every configured secret masked (the outbox and logs call this before storing)."""
    return redact(text, configured_secrets(settings))
