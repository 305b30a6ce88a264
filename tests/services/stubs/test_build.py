"""A stub set built from hand-made AppDependencies rows: the exact stubs, their delays and their selectors."""

from __future__ import annotations

import math
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest

from services.auth import Actor
from services.config import get_settings
from services.stubs import build, observe
from services.stubs.observe import path_template, request_shape
from services.stubs.schemas import classify
from services.telemetry.local import LocalTelemetrySource
from tests.telemetry_fixtures import AT, write

VIEWER = Actor("vic", "viewer")
DOPA = "api.dopa.go.th"


def dep(minutes_ago: float, *, name: str, data: str, code: str, ok: bool, ms: float, target: str = DOPA,
        count: int = 1) -> dict[str, Any]:  # fmt: skip
    """One HTTP AppDependencies row."""
    return {
        "TimeGenerated": AT - timedelta(minutes=minutes_ago),
        "AppRoleName": "mana",
        "Name": name,
        "Target": target,
        "DependencyType": "HTTP",
        "Data": data,
        "ResultCode": code,
        "Success": ok,
        "DurationMs": ms,
        "ItemCount": count,
    }


# POST /verify answered 200 five times (100, 200, 400, 100, 200 ms), 503 twice, timed out once at 30 s and once the
# connection broke; GET /citizens/{id}/status answered 200 twice (citizen ids templated), and one call to another host
ROWS = [
    *(dep(i + 1, name="POST /verify", data=f"https://{DOPA}/verify", code="200", ok=True, ms=ms)
      for i, ms in enumerate([100.0, 200.0, 400.0, 100.0, 200.0])),
    dep(10, name="POST /verify", data=f"https://{DOPA}/verify", code="503", ok=False, ms=50.0),
    dep(11, name="POST /verify", data=f"https://{DOPA}/verify", code="503", ok=False, ms=50.0),
    dep(12, name="POST /verify", data=f"https://{DOPA}/verify", code="Timeout", ok=False, ms=30_000.0),
    dep(13, name="POST /verify", data=f"https://{DOPA}/verify", code="Faulted", ok=False, ms=3.0),
    dep(14, name="GET /citizens/1101700203451/status", data=f"https://{DOPA}/citizens/1101700203451/status",
        code="200", ok=True, ms=80.0, count=4),
    dep(15, name="GET /citizens/3100600123456/status", data=f"https://{DOPA}/citizens/3100600123456/status",
        code="200", ok=True, ms=80.0),
    dep(16, name="GET /products", data="https://shop.example/products", code="200", ok=True, ms=5.0,
        target="shop.example"),
]  # fmt: skip


@pytest.fixture
def seen(isolated_settings: Path) -> list[Any]:
    write(get_settings().telemetry.dir, "AppDependencies", ROWS)
    source = LocalTelemetrySource(get_settings().telemetry.dir)
    return observe.observe(source, actor=VIEWER, target=DOPA, start=AT - timedelta(hours=1), end=AT)


def test_each_request_shape_and_behaviour_is_observed_once_with_its_calls(seen: list[Any]) -> None:
    got = [(o.method, o.path, o.behaviour.label, o.calls, o.latency.samples) for o in seen]
    assert got == [  # busiest first; a tie by method and path
        ("GET", "/citizens/{id}/status", "status-200", 5, 2),  # ItemCount 4 + 1: sampling-weighted calls
        ("POST", "/verify", "status-200", 5, 5),
        ("POST", "/verify", "status-503", 2, 2),
        ("POST", "/verify", "connection-reset", 1, 1),
        ("POST", "/verify", "timeout", 1, 1),
    ]


def test_the_latency_is_the_lognormal_fit_of_the_observed_durations(seen: list[Any]) -> None:
    ok = seen[1].latency
    logs = [math.log(ms) for ms in (100.0, 200.0, 400.0, 100.0, 200.0)]
    mean = sum(logs) / 5
    sd = math.sqrt(sum((x - mean) ** 2 for x in logs) / 4)
    assert ok.median_ms == pytest.approx(math.exp(mean))  # 174.1 ms: the geometric mean
    assert ok.sigma == pytest.approx(sd)  # 0.5799
    assert ok.median_ms == pytest.approx(174.11, abs=0.01) and ok.sigma == pytest.approx(0.5799, abs=1e-4)


def test_the_set_has_a_default_stub_per_shape_and_two_selectable_stubs_per_behaviour(seen: list[Any]) -> None:
    mappings = build.build(DOPA, seen)
    # 2 shapes → 2 defaults; 5 behaviours × (header + scenario) = 10
    assert len(mappings) == 12
    defaults = [m for m in mappings if "headers" not in m["request"] and "scenarioName" not in m]
    assert [(m["request"], m["response"]["status"], m["priority"]) for m in defaults] == [
        ({"method": "GET", "urlPathTemplate": "/citizens/{id}/status"}, 200, 10),
        ({"method": "POST", "urlPath": "/verify"}, 200, 10),
    ]
    verify = defaults[1]["response"]
    assert verify["delayDistribution"] == {"type": "lognormal", "median": 174, "sigma": 0.58}
    # two calls of one duration: no spread to fit, the median as a fixed delay
    assert defaults[0]["response"] == {"status": 200, "fixedDelayMilliseconds": 80}


def test_faults_are_selectable_by_header_and_by_scenario(seen: list[Any]) -> None:
    mappings = build.build(DOPA, seen)
    by_header = {
        m["request"]["headers"]["X-Stub-Behaviour"]["equalTo"]: m for m in mappings if "headers" in m["request"]
    }
    assert by_header["timeout"]["response"] == {"status": 504, "fixedDelayMilliseconds": 30_000}
    assert by_header["connection-reset"]["response"] == {"fault": "CONNECTION_RESET_BY_PEER"}
    assert by_header["status-503"]["response"]["status"] == 503
    assert by_header["status-503"]["priority"] == 1
    scenario = [m for m in mappings if m.get("requiredScenarioState") == "timeout"]
    assert len(scenario) == 1
    assert scenario[0]["scenarioName"] == "api.dopa.go.th-behaviour" and scenario[0]["priority"] == 2
    assert len({m["id"] for m in mappings}) == 12  # stable, distinct ids
    assert build.build(DOPA, seen) == mappings  # the same telemetry gives the same set


def test_only_the_chosen_target_is_read(seen: list[Any]) -> None:
    assert all(o.example_url.startswith(f"https://{DOPA}/") for o in seen)


@pytest.mark.parametrize(
    ("code", "ok", "label"),
    [("200", True, "status-200"), ("404", False, "status-404"), ("503", False, "status-503"),
     ("Timeout", False, "timeout"), ("TaskCanceled", False, "timeout"), ("Faulted", False, "connection-reset"),
     ("0", False, "connection-reset"), ("", False, "connection-reset"), ("OK", True, "status-200"),
     ("201", True, "status-201")],
)  # fmt: skip
def test_result_codes_are_classified(code: str, ok: bool, label: str) -> None:
    assert classify(code, ok).label == label


@pytest.mark.parametrize(
    ("path", "template"),
    [("/verify", "/verify"), ("/v1/citizens/1101700203451/status", "/v1/citizens/{id}/status"),
     ("/orders/9f8c2d1e-1111-2222-3333-444455556666/items/7", "/orders/{id}/items/{id2}"), ("/", "/"),
     ("/api/v2/health", "/api/v2/health")],
)  # fmt: skip
def test_identifiers_in_paths_become_template_parameters(path: str, template: str) -> None:
    assert path_template(path) == template


def test_a_name_without_a_method_falls_back_to_the_url() -> None:
    assert request_shape("api.dopa.go.th", "https://api.dopa.go.th/citizens/42?full=1") == ("ANY", "/citizens/{id}")
