"""The display time zone: the zone the user picked in the sidebar (remembered per user), else SRE_DISPLAY_TIMEZONE."""

from __future__ import annotations

from functools import cache
from zoneinfo import ZoneInfo, available_timezones

import streamlit as st
from streamlit.runtime.scriptrunner import get_script_run_ctx

from services.auth import Actor
from services.config import get_settings
from services.db import session_scope
from services.errors import ServiceError
from services.preferences import service as preferences

KEY = "ui.timezone"
LOADED_FOR = "ui.timezone.user"  # whose stored pick the session holds (the local identity can change)
PARAM = "tz"  # the URL keeps the pick, so a reload or a shared link shows the same clock


@cache
def zones() -> tuple[str, ...]:
    """Every IANA zone name this machine knows, UTC first, then alphabetical."""
    return ("UTC", *sorted(available_timezones() - {"UTC"}))


def _options() -> tuple[str, ...]:
    default = get_settings().ui.display_timezone
    return zones() if default in zones() else (default, *zones())


def zone_name() -> str:
    """The zone every page and chart shows times in: the session's pick, else the setting."""
    default = get_settings().ui.display_timezone
    if get_script_run_ctx(suppress_warning=True) is None:  # a plain function call, e.g. from a test or the CLI
        return default
    chosen = st.session_state.get(KEY)
    return chosen if isinstance(chosen, str) and chosen in _options() else default


def zone() -> ZoneInfo:
    """The display zone as a tzinfo."""
    return ZoneInfo(zone_name())


def _stored(actor: Actor) -> str | None:
    try:
        with session_scope() as s:
            return preferences.display_timezone(s, actor=actor)
    except ServiceError:  # no right to preferences: the setting's zone
        return None


def _remember(actor: Actor) -> None:
    chosen = st.session_state.get(KEY)
    default = get_settings().ui.display_timezone
    try:
        with session_scope() as s:
            preferences.set_display_timezone(s, actor=actor, zone=None if chosen == default else chosen)
    except ServiceError as exc:
        st.toast(f"The time zone applies to this session only: {exc}")


def zone_picker(actor: Actor) -> str:
    """The sidebar's time-zone picker: starts at ?tz=, else the user's remembered pick, else the setting; a pick is
    remembered for the user (audited) and stays in the URL, so a shared link shows the same clock."""
    default = get_settings().ui.display_timezone
    options = _options()
    if st.session_state.get(LOADED_FOR) != actor.name:  # set before the widget exists: it needs no index of its own
        wanted = st.query_params.get(PARAM) or _stored(actor)
        st.session_state[KEY] = wanted if wanted in options else default
        st.session_state[LOADED_FOR] = actor.name
    chosen = str(
        st.sidebar.selectbox(
            "Time zone",
            options,
            key=KEY,
            on_change=_remember,
            args=(actor,),
            help=f"Times on every page, table and chart are shown in this zone (default {default}, "
            "from SRE_DISPLAY_TIMEZONE); your pick is remembered for you. Stored times are always UTC.",
        )
    )
    if chosen == default:
        if PARAM in st.query_params:
            del st.query_params[PARAM]
    elif st.query_params.get(PARAM) != chosen:
        st.query_params[PARAM] = chosen
    return chosen
