"""A WireMock stub mapping set from what production saw of a dependency (WireMock's own JSON, as /__admin/mappings).

Per request shape (method + path template): the busiest good answer is the default stub, answered with the observed
latency; every behaviour (each status seen, a timeout, a broken connection) also has two selectable stubs, so an
integration test can ask for it:

- by header: `X-Stub-Behaviour: timeout` on the request (priority 1), or
- by scenario: `PUT /__admin/scenarios/<target>-behaviour/state {"state": "timeout"}` (priority 2).

Latency: `delayDistribution` lognormal with the fitted median and sigma when at least MIN_FIT calls were seen and
their spread is real, else `fixedDelayMilliseconds` of the median. A timeout waits as long as production waited
(its median duration) and then answers 504: a client with production's timeout gives up first, as it did.
"""

from __future__ import annotations

import uuid
from collections import defaultdict
from typing import Any

from services.stubs.schemas import FAULT, OK, TIMEOUT, WIREMOCK_FAULT, Observation

SELECT_HEADER = "X-Stub-Behaviour"
DEFAULT_PRIORITY, HEADER_PRIORITY, SCENARIO_PRIORITY = 10, 1, 2
MIN_FIT = 5  # calls below which a distribution is not fitted
MIN_SIGMA = 0.01
METADATA_KEY = "sreBackoffice"
_NAMESPACE = uuid.UUID("5d1c1f0e-4b7a-4d59-9c53-2f0f6f4f9a10")


def scenario_name(target: str) -> str:
    """The WireMock scenario whose state picks a behaviour of the target's stubs."""
    return f"{target}-behaviour"


def _url_matcher(path: str) -> dict[str, str]:
    return {"urlPathTemplate": path} if "{" in path else {"urlPath": path}


def _delay(obs: Observation) -> dict[str, Any]:
    lat = obs.latency
    if obs.behaviour.kind == TIMEOUT:
        return {"fixedDelayMilliseconds": round(lat.p50_ms or lat.median_ms)}
    if obs.behaviour.kind == FAULT:
        return {}
    if lat.samples >= MIN_FIT and lat.sigma >= MIN_SIGMA:
        fitted = {"type": "lognormal", "median": round(lat.median_ms), "sigma": round(lat.sigma, 3)}
        return {"delayDistribution": fitted}
    return {"fixedDelayMilliseconds": round(lat.median_ms)}


def _response(obs: Observation) -> dict[str, Any]:
    if obs.behaviour.kind == FAULT:
        return {"fault": WIREMOCK_FAULT}
    return {"status": obs.behaviour.status, **_delay(obs)}


def _mapping(target: str, obs: Observation, selected_by: str) -> dict[str, Any]:
    request: dict[str, Any] = {"method": obs.method, **_url_matcher(obs.path)}
    extra: dict[str, Any] = {}
    label = obs.behaviour.label
    if selected_by == "header":
        request["headers"] = {SELECT_HEADER: {"equalTo": label}}
        priority = HEADER_PRIORITY
    elif selected_by == "scenario":
        extra = {"scenarioName": scenario_name(target), "requiredScenarioState": label}
        priority = SCENARIO_PRIORITY
    else:
        priority = DEFAULT_PRIORITY
    key = f"{target} {obs.method} {obs.path} {label} {selected_by}"
    how = {"default": "by default", "header": f"{SELECT_HEADER}: {label}", "scenario": f"scenario state {label}"}
    return {
        "id": str(uuid.uuid5(_NAMESPACE, key)),
        "name": f"{obs.method} {obs.path} {obs.behaviour.words} ({how[selected_by]})",
        "priority": priority,
        "request": request,
        "response": _response(obs),
        **extra,
        "metadata": {
            METADATA_KEY: {
                "target": target,
                "behaviour": label,
                "selectedBy": selected_by,
                "observedCalls": obs.calls,
            }
        },
    }


def build(target: str, observations: list[Observation]) -> list[dict[str, Any]]:
    """The mapping set: per shape a default stub and, for every behaviour, a header- and a scenario-selected stub."""
    shapes: dict[tuple[str, str], list[Observation]] = defaultdict(list)
    for obs in observations:
        shapes[obs.shape].append(obs)
    mappings: list[dict[str, Any]] = []
    for shape in sorted(shapes):
        seen = sorted(shapes[shape], key=lambda o: -o.calls)
        good = [o for o in seen if o.behaviour.kind == OK]
        mappings.append(_mapping(target, (good or seen)[0], "default"))
        for obs in seen:
            mappings.append(_mapping(target, obs, "header"))
            mappings.append(_mapping(target, obs, "scenario"))
    return mappings
