"""Links that open a page at one row: a query parameter (?run=3, ?incident=12, ...) preselects that row once."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime, timedelta
from typing import TypeVar

import streamlit as st

T = TypeVar("T", int, str)


def linked(param: str) -> str | None:
    """The query parameter's value, if the page was opened with one."""
    value = st.query_params.get(param)
    return str(value) if value else None


def preselect(key: str, param: str, options: Sequence[T]) -> None:
    """Set the widget `key` to the option the link names, the first time the page sees that link; afterwards the
    user's own choice stands. An option the link names that is not there is left alone (the widget's default)."""
    wanted = linked(param)
    seen = f"_linked.{key}"
    if wanted is None or st.session_state.get(seen) == wanted:
        return
    st.session_state[seen] = wanted
    match = next((o for o in options if str(o) == wanted), None)
    if match is not None:
        st.session_state[key] = match


def prefill(key: str, param: str) -> None:
    """Fill the text field `key` with the link's value the first time the page sees that link."""
    wanted, seen = linked(param), f"_linked.{key}"
    if wanted is not None and st.session_state.get(seen) != wanted:
        st.session_state[seen] = wanted
        st.session_state[key] = wanted


def _iso(at: datetime) -> str:
    return at.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def range_params(start: datetime, end: datetime, **context: str | int | None) -> dict[str, str]:
    """Query parameters that open a page at the same time range (start, end] and context (role, operation, ...),
    so the first figure seen there is the one clicked."""
    return {"start": _iso(start), "end": _iso(end), **{k: str(v) for k, v in context.items() if v not in ("", None)}}


class BadLink(ValueError):
    """A link's ?start=...&end=... that cannot be a time range; its message says why."""


def linked_range() -> tuple[datetime, datetime] | None:
    """The (start, end] a link carries as ?start=...&end=... (ISO 8601, UTC when no offset), or None when the page
    was opened without one; BadLink when it cannot be a range (unreadable, reversed, longer than a year)."""
    start_text, end_text = linked("start"), linked("end")
    if start_text is None and end_text is None:
        return None
    if start_text is None or end_text is None:
        raise BadLink("the link gives only one end of its time range (it needs both start and end)")
    try:
        start, end = (datetime.fromisoformat(v.replace("Z", "+00:00")) for v in (start_text, end_text))
    except ValueError:
        raise BadLink("the link's start or end is not an ISO 8601 time such as 2026-12-02T10:00:00Z") from None
    start, end = (t if t.tzinfo else t.replace(tzinfo=UTC) for t in (start, end))
    if not start < end:
        raise BadLink("the link's time range ends before it starts")
    if end - start > timedelta(days=366):
        raise BadLink("the link's time range is longer than a year")
    return start.astimezone(UTC), end.astimezone(UTC)


def linked_range_or_warn() -> tuple[datetime, datetime] | None:
    """linked_range(), with a warning on the page (and None) when the link's range cannot be read."""
    try:
        return linked_range()
    except BadLink as exc:
        st.warning(f"Ignoring the link's time range: {exc}. Pick a range below.")
        return None
