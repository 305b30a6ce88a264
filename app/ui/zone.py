"""The display time zone: SRE_DISPLAY_TIMEZONE, or the zone the user picked in the sidebar for this session."""

from __future__ import annotations

from functools import cache
from zoneinfo import ZoneInfo, available_timezones

import streamlit as st
from streamlit.runtime.scriptrunner import get_script_run_ctx

from services.config import get_settings

KEY = "ui.timezone"
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


def zone_picker() -> str:
    """The sidebar's time-zone picker: starts at ?tz= or the setting; the pick lasts the session and stays in the
    URL (there is no per-user preference store yet)."""
    default = get_settings().ui.display_timezone
    options = _options()
    if KEY not in st.session_state:  # set before the widget exists, so the widget needs no index of its own
        wanted = st.query_params.get(PARAM)
        st.session_state[KEY] = wanted if wanted in options else default
    chosen = str(
        st.sidebar.selectbox(
            "Time zone",
            options,
            key=KEY,
            help=f"Times on every page, table and chart are shown in this zone (default {default}, "
            "from SRE_DISPLAY_TIMEZONE). Stored times are always UTC.",
        )
    )
    if chosen == default:
        if PARAM in st.query_params:
            del st.query_params[PARAM]
    elif st.query_params.get(PARAM) != chosen:
        st.query_params[PARAM] = chosen
    return chosen
