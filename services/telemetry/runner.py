"""The one telemetry path: a catalogue query rendered with its values and run on a telemetry source, for a user
who may read telemetry. Every service that reads telemetry goes through `run` or `run_batch`."""

from __future__ import annotations

from datetime import datetime
from typing import Protocol

from services.auth import Actor, require
from services.telemetry import catalogue
from services.telemetry.kql import KqlValue
from services.telemetry.source import QueryResult, QuerySpec, TelemetrySource

READ = "telemetry.query"


class Runner(Protocol):
    """`run` with its source bound: what the monitoring views take (the app hands them a cached one)."""

    def __call__(self, name: str, *, actor: Actor, start: datetime, end: datetime, **params: KqlValue) -> QueryResult:
        """Run the catalogue query `name` over [start, end] for `actor`."""
        ...


def may_read(actor: Actor) -> None:
    """Reading telemetry needs telemetry.query (viewer and up)."""
    require(actor, READ)


def spec(
    name: str, *, start: datetime, end: datetime, label: str = "", records: bool = False, **params: KqlValue
) -> QuerySpec:
    """The catalogue query `name` rendered over [start, end], for run_batch; `label` names it in messages; `records`:
    the caller reads records() only (QuerySpec.records)."""
    text, beside = catalogue.parameterised(name, start=start, end=end, **params)
    return QuerySpec(label or name, text, (start, end), beside, records)


def run(
    source: TelemetrySource, name: str, *, actor: Actor, start: datetime, end: datetime, **params: KqlValue
) -> QueryResult:
    """Render the catalogue query `name` over [start, end] and run it on `source`."""
    may_read(actor)
    text, beside = catalogue.parameterised(name, start=start, end=end, **params)
    return source.query(text, timespan=(start, end), name=name, parameters=beside)


def run_batch(source: TelemetrySource, specs: list[QuerySpec], *, actor: Actor) -> list[QueryResult]:
    """Run rendered catalogue queries together (one round trip on Azure); results in request order."""
    may_read(actor)
    return source.query_batch(specs) if specs else []


def bound(source: TelemetrySource) -> Runner:
    """A Runner reading `source` uncached (the services' own callers; the app hands the views a cached one)."""

    def _run(name: str, *, actor: Actor, start: datetime, end: datetime, **params: KqlValue) -> QueryResult:
        return run(source, name, actor=actor, start=start, end=end, **params)

    return _run
