"""Pick the telemetry source the settings name."""

from __future__ import annotations

from services.config import Settings, get_settings
from services.telemetry.local import LocalTelemetrySource
from services.telemetry.source import TelemetrySource


def build_source(settings: Settings | None = None) -> TelemetrySource:
    """The local store or Azure Monitor, as SRE_TELEMETRY_SOURCE says."""
    settings = settings or get_settings()
    if settings.telemetry.source == "azure":
        from services.telemetry.azure import build_azure_source

        return build_azure_source(settings)
    return LocalTelemetrySource(
        settings.telemetry.dir,
        row_cap=settings.telemetry.row_cap,
        timeout_s=settings.telemetry.query_timeout_s,
        memory_mb=settings.telemetry.query_memory_mb,
    )
