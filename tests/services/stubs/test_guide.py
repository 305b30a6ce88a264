"""The testing guide's WireMock JSON (docs/testing.md) is a real export of the demo's DOPA set, not an invented example:
each block is a valid mapping, and its id is one the builder gives DOPA's `POST /verify` (ids are uuid5 of target,
method, path, behaviour and selector, so an invented or edited-by-hand example would not carry one)."""

from __future__ import annotations

import json
import math
import re
from pathlib import Path
from typing import Any

from services.stubs import build, wiremock_json
from services.stubs.schemas import Behaviour, Latency, Observation

GUIDE = Path(__file__).resolve().parents[3] / "docs" / "testing.md"
DOPA = "api.dopa.go.th"
OK_200, TIMEOUT, STATUS_503 = Behaviour("ok", "200"), Behaviour("timeout", "Timeout"), Behaviour("status", "503")


def _blocks() -> list[str]:
    return re.findall(r"^```json\n(.*?)^```", GUIDE.read_text(encoding="utf-8"), re.S | re.M)


def _lat(samples: int, median: float, sigma: float, p50: float | None = None) -> Latency:
    """Sums whose lognormal fit is exactly `median` and `sigma`."""
    mean = math.log(median)
    log_sq = samples * mean * mean + sigma * sigma * (samples - 1)
    return Latency(samples, mean * samples, log_sq, p50 or median, (p50 or median) * 3)


def _verify(behaviour: Behaviour, calls: int, latency: Latency) -> Observation:
    return Observation("POST", "/verify", behaviour, calls, latency, f"https://{DOPA}/verify")


def _mapped(name: str, block: str) -> dict[str, Any]:
    [mapping] = wiremock_json.read(name, block.encode("utf-8"))
    return mapping


def test_the_guide_shows_three_mappings_each_valid_wiremock_json() -> None:
    blocks = _blocks()
    mappings = [_mapped(f"docs/testing.md block {i + 1}", b) for i, b in enumerate(blocks)]
    tags = [m["metadata"][build.METADATA_KEY] for m in mappings]
    kinds = [(tag["selectedBy"], tag["behaviour"]) for tag in tags]
    assert kinds == [("default", "status-200"), ("header", "timeout"), ("header", "status-503")]
    assert [json.loads(b) for b in blocks] == mappings  # read() keeps every field as written


def test_every_id_is_one_the_builder_gives_the_demo_dopa_shape() -> None:
    # the ids do not depend on latency or call counts: any observation of these behaviours gives the same ones
    seen = [_verify(b, 1, Latency()) for b in (OK_200, TIMEOUT, STATUS_503)]
    built = {m["id"]: m for m in build.build(DOPA, seen)}
    assert len(built) == 7  # 1 default + 3 behaviours × (header, scenario)
    for block in _blocks():
        mapping = json.loads(block)
        assert mapping["id"] in built, mapping["name"]
        same = built[mapping["id"]]
        assert (mapping["name"], mapping["priority"], mapping["request"]) == (
            same["name"],
            same["priority"],
            same["request"],
        )


def test_the_delays_are_those_of_the_demo_telemetry_the_guide_quotes() -> None:
    # what the guide says the demo showed: 5,852 answers of 200 (median 210 ms, sigma 0.3), 44 timeouts (waited
    # 30,027 ms, then 504), 32 answers of 503 (median 222 ms, sigma 0.284)
    seen = [
        _verify(OK_200, 5852, _lat(5852, 210.0, 0.3)),
        _verify(TIMEOUT, 44, _lat(44, 30027.0, 0.0)),
        _verify(STATUS_503, 32, _lat(32, 222.0, 0.284)),
    ]
    built = {m["id"]: m for m in build.build(DOPA, seen)}
    for block in _blocks():
        mapping = json.loads(block)
        assert mapping == built[mapping["id"]]


def test_the_selectors_the_guide_names_are_the_builders() -> None:
    text = GUIDE.read_text(encoding="utf-8")
    assert f"{build.SELECT_HEADER}: status-503" in text
    assert f"/__admin/scenarios/{build.scenario_name(DOPA)}/state" in text
