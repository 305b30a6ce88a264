"""Running user-written KQL: permission, then the configured source (which checks the syntax, with line and column)."""

from __future__ import annotations

from services.auth import Actor
from services.errors import InvalidInput
from services.telemetry.factory import build_source
from services.telemetry.runner import may_read
from services.telemetry.source import QueryResult, TelemetrySource, Timespan


def run_user_query(
    text: str, *, actor: Actor, timespan: Timespan, source: TelemetrySource | None = None, name: str = "query"
) -> QueryResult:
    """Run the KQL on the configured source; both sources refuse a syntax error with its line and column, and the
    local one parses a text once for the check and the run together."""
    may_read(actor)
    if not text.strip():
        raise InvalidInput("The query is empty; type a KQL query such as `AppRequests | take 10`.")
    return (source or build_source()).query(text, timespan=timespan, name=name)
