"""Who is using the page: a configured local identity in the embedded mode."""

from __future__ import annotations

import streamlit as st

from services.auth import Actor, local_actor
from services.config import get_settings

KEY = "auth.user"


def current_actor() -> Actor:
    """The identity picked in the sidebar (the default user until one is picked)."""
    users = get_settings().local_identities()
    name = st.session_state.get(KEY) or get_settings().default_user
    if name not in users:
        name = next(iter(users))
    return local_actor(name)


def identity_picker() -> Actor:
    """The sidebar control that picks the local identity; returns the current actor."""
    settings = get_settings()
    users = settings.local_identities()
    names = list(users)
    current = st.session_state.get(KEY) or settings.default_user
    index = names.index(current) if current in names else 0
    st.sidebar.selectbox(
        "Signed in as (local identity)",
        names,
        index=index,
        key=KEY,
        format_func=lambda n: f"{n} · {users[n]}",
        help="Embedded mode: pick one of the identities configured in SRE_LOCAL_USERS. "
        "Permissions are checked by the service layer whatever the page shows.",
    )
    return current_actor()
