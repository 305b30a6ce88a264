"""Process-wide clients, created once per server (st.cache_resource)."""

from __future__ import annotations

import streamlit as st

from services.config import Settings, get_settings
from services.telemetry.factory import build_source
from services.telemetry.source import TelemetrySource


@st.cache_resource(show_spinner=False)
def telemetry_source() -> TelemetrySource:
    """The configured telemetry source (local store or Azure Monitor)."""
    return build_source(get_settings())


def settings() -> Settings:
    """The settings."""
    return get_settings()
