"""Field rules more than one domain's input shares (a release, a commit, a link) and the one way a rejected form is
worded: every bad field named with what it must be."""

from __future__ import annotations

import re

from pydantic import ValidationError

RELEASE = re.compile(r"^[0-9A-Za-z][0-9A-Za-z._+-]{0,49}$")
COMMIT = re.compile(r"^[0-9a-fA-F]{7,64}$")
LINK = re.compile(r"^https?://\S+$")


def release(v: str | None) -> str | None:
    """A release version such as 2026.12.1 (blank: none)."""
    if not v:
        return None
    if not RELEASE.match(v):
        raise ValueError("must be a version such as 2026.12.1 (letters, digits, . _ + -)")
    return v


def commit(v: str | None) -> str | None:
    """A commit hash, lower-cased (blank: none)."""
    if not v:
        return None
    if not COMMIT.match(v):
        raise ValueError("must be a commit hash (7 to 64 hex digits)")
    return v.lower()


def link(v: str | None) -> str | None:
    """An http(s) link of at most 500 characters (blank: none)."""
    if not v:
        return None
    if not LINK.match(v) or len(v) > 500:
        raise ValueError("must be an http(s) link of at most 500 characters")
    return v


def refusal(exc: ValidationError, what: str, verb: str = "saved") -> str:
    """`The <what> was not <verb>. field: what it must be; …`."""
    parts = [
        f"{'.'.join(str(p) for p in e['loc']) or 'form'}: {str(e['msg']).removeprefix('Value error, ')}"
        for e in exc.errors()
    ]
    return f"The {what} was not {verb}. " + "; ".join(parts) + "."
