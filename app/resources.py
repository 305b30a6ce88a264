"""Process-wide clients, created once per server (st.cache_resource)."""

from __future__ import annotations

import streamlit as st

from services.boards.base import BoardClient
from services.boards.factory import build_board
from services.config import Settings, get_settings
from services.telemetry.factory import build_source
from services.telemetry.source import TelemetrySource


@st.cache_resource(show_spinner=False)
def telemetry_source() -> TelemetrySource:
    """The configured telemetry source (local store or Azure Monitor)."""
    return build_source(get_settings())


@st.cache_resource(show_spinner=False)
def board() -> BoardClient | None:
    """The configured board client (Azure DevOps, GitHub) or None for SRE_BOARD=none."""
    return build_board(get_settings())


def settings() -> Settings:
    """The settings."""
    return get_settings()
