"""Who is using the page: the Entra ID sign-in (SRE_AUTH_MODE=entra, Streamlit's OIDC) or, in the embedded mode,
a configured local identity picked in the sidebar."""

from __future__ import annotations

import streamlit as st

from app.ui.safe import inert
from services.auth import Actor, actor_from_claims, local_actor
from services.config import get_settings

KEY = "auth.user"


def entra_mode() -> bool:
    """Whether users sign in with Microsoft Entra ID."""
    return get_settings().auth.mode == "entra"


def signed_in() -> bool:
    """Entra mode: whether this browser session has signed in (always true in the embedded mode)."""
    return not entra_mode() or bool(st.user.get("is_logged_in"))


def current_actor() -> Actor:
    """The signed-in user (Entra mode) or the identity picked in the sidebar (the default until one is picked)."""
    if entra_mode():
        settings = get_settings()
        claims = {k: st.user.get(k) for k in ("preferred_username", "email", "name", "sub", "roles")}
        return actor_from_claims(
            claims, role_map=settings.auth.entra_roles(), default_role=settings.auth.entra_default_role
        )
    users = get_settings().auth.local_identities()
    name = st.session_state.get(KEY) or get_settings().auth.default_user
    if name not in users:
        name = next(iter(users))
    return local_actor(name)


def identity_picker() -> Actor:
    """The sidebar control that picks the local identity; returns the current actor."""
    settings = get_settings()
    users = settings.auth.local_identities()
    names = list(users)
    current = st.session_state.get(KEY) or settings.auth.default_user
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


def sign_in_gate() -> None:
    """Entra mode: a sign-in page until the session has signed in; then who is signed in, and sign-out."""
    if not signed_in():
        st.title("SRE Backoffice")
        st.write("Sign in with your organisation's Microsoft account to continue.")
        st.button("Sign in with Microsoft", type="primary", on_click=st.login, args=("microsoft",), key="auth.login")
        st.stop()
    st.sidebar.button("Sign out", on_click=st.logout, key="auth.logout")  # also for a user refused below
    actor = current_actor()
    st.sidebar.markdown(f"Signed in as **{inert(actor.name)}** ({actor.role})")
