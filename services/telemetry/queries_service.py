"""Running user-written KQL: permission, syntax check, the configured source."""

from __future__ import annotations

from services.auth import Actor
from services.errors import InvalidInput
from services.telemetry.factory import build_source
from services.telemetry.kql import syntax_error
from services.telemetry.runner import may_read
from services.telemetry.source import QueryResult, TelemetrySource, Timespan


def run_user_query(
    text: str, *, actor: Actor, timespan: Timespan, source: TelemetrySource | None = None, name: str = "query"
) -> QueryResult:
    """Check the KQL parses (line and column when not), then run it on the configured source."""
    may_read(actor)
    if not text.strip():
        raise InvalidInput("The query is empty; type a KQL query such as `AppRequests | take 10`.")
    err = syntax_error(text, name)
    if err:
        raise err
    return (source or build_source()).query(text, timespan=timespan, name=name)
