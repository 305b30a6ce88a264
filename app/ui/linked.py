"""Links that open a page at one row: a query parameter (?run=3, ?incident=12, ...) preselects that row once."""

from __future__ import annotations

from collections.abc import Sequence
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
