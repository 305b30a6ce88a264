"""The one telemetry path: a catalogue query rendered and run for a user who may read telemetry."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import pytest

from services import auth
from services.auth import Actor
from services.errors import PermissionDenied
from services.loadtests.capacity import production_peak_rps
from services.overview import tiles
from services.postmortems.impact import compute_impact, telemetry_markers
from services.slos.evaluation import SloDefinition, evaluate
from services.telemetry import runner
from services.telemetry.local import LocalTelemetrySource
from tests.telemetry_fixtures import AT, req, write

VIEWER = Actor("vera", "viewer")
HOUR = AT - timedelta(hours=1)
AVAIL = SloDefinition(1, "avail", "mana", None, "availability", 99.0, None, 30)


@pytest.fixture
def source(tmp_path: Path) -> LocalTelemetrySource:
    root = tmp_path / "t"
    # five requests in the last hour, two of them failed; one the hour before
    write(root, "AppRequests", [req(m, ok=m % 2 == 1) for m in (5, 10, 15, 20, 25)] + [req(90)])
    return LocalTelemetrySource(root)


def test_run_renders_the_query_over_the_range_and_names_it(source: LocalTelemetrySource) -> None:
    result = runner.run(source, "service_health", actor=VIEWER, start=HOUR, end=AT, service="mana")
    assert result.name == "service_health"
    assert (result.frame.requests.iloc[0], result.frame.failed.iloc[0]) == (5, 2)


def test_a_batch_comes_back_in_request_order(source: LocalTelemetrySource) -> None:
    day = AT - timedelta(days=1)
    specs = [
        runner.spec("service_health", start=day, end=AT, service="mana", label="day"),
        runner.spec("service_health", start=HOUR, end=AT, service="mana"),
    ]
    day_result, hour_result = runner.run_batch(source, specs, actor=VIEWER)
    assert (day_result.name, hour_result.name) == ("day", "service_health")
    assert (day_result.frame.requests.iloc[0], hour_result.frame.requests.iloc[0]) == (6, 5)


def test_every_telemetry_read_refuses_a_role_without_telemetry_query(
    source: LocalTelemetrySource, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setitem(auth.PERMISSIONS, "telemetry.query", "developer")
    window = {"service": "mana", "start": HOUR, "end": AT}
    reads = [
        lambda: runner.run(source, "service_health", actor=VIEWER, **window),
        lambda: runner.run_batch(source, [runner.spec("service_health", **window)], actor=VIEWER),
        lambda: evaluate(source, [AVAIL], actor=VIEWER, at=AT),
        lambda: tiles(source, [], actor=VIEWER, service="mana", at=AT),
        lambda: compute_impact(source, actor=VIEWER, slos=[AVAIL], **window),
        lambda: telemetry_markers(source, actor=VIEWER, **window),
        lambda: production_peak_rps(source, actor=VIEWER, service="mana", end=AT),
    ]
    for read in reads:
        with pytest.raises(PermissionDenied, match="Querying telemetry needs the developer role; you are viewer"):
            read()
    # a developer may read telemetry: the same evaluation runs
    assert evaluate(source, [AVAIL], actor=Actor("dev", "developer"), at=AT)[0].total == 6
