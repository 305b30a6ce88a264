"""The exported set on the real WireMock (the standalone jar of npm's `wiremock`, on the machine's Java): each stub
answers as promised (status, delay, fault, selection by header and by scenario), a converted WireMock.Net mapping is
taken by the server, and the journal shows the calls that hit no stub."""

from __future__ import annotations

import io
import json
import os
import socket
import subprocess
import time
import zipfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from services.stubs import admin, build, wiremock_json
from services.stubs.schemas import Behaviour, Latency, Observation

ROOT = Path(__file__).resolve().parents[3]
JAR = Path(
    os.environ.get("SRE_WIREMOCK_JAR")
    or ROOT / ".venv/wiremock/node_modules/wiremock/build/wiremock-standalone-3.13.2.jar"
)
IN_CI = os.environ.get("CI", "").lower() in ("1", "true", "yes")
DOPA = "api.dopa.go.th"
pytestmark = pytest.mark.heavy


def _lat(samples: int, median: float, sigma: float) -> Latency:
    import math

    mean = math.log(median)
    return Latency(samples, mean * samples, samples * mean * mean + sigma * sigma * (samples - 1), median, median * 3)


# what production showed of DOPA: verify answers 200 around 150 ms, sometimes 503 or a 3 s timeout or a reset;
# the status lookup answers 200 in 80 ms flat
SEEN = [
    Observation("POST", "/verify", Behaviour("ok", "200"), 500, _lat(500, 150.0, 0.3), f"https://{DOPA}/verify"),
    Observation("POST", "/verify", Behaviour("status", "503"), 9, _lat(9, 40.0, 0.0), f"https://{DOPA}/verify"),
    Observation("POST", "/verify", Behaviour("timeout", "Timeout"), 3, _lat(3, 3000.0, 0.0), f"https://{DOPA}/verify"),
    Observation("POST", "/verify", Behaviour("fault", "Faulted"), 2, _lat(2, 3.0, 0.0), f"https://{DOPA}/verify"),
    Observation("GET", "/citizens/{id}/status", Behaviour("ok", "200"), 40, _lat(40, 80.0, 0.0), ""),
]


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture(scope="module")
def mappings() -> list[dict[str, Any]]:
    return build.build(DOPA, SEEN)


@pytest.fixture(scope="module")
def wiremock(tmp_path_factory: pytest.TempPathFactory, mappings: list[dict[str, Any]]) -> Iterator[str]:
    """The real WireMock on loopback, started with the exported folder as its root (mappings/*.json)."""
    if not JAR.is_file():
        message = f"no WireMock jar at {JAR}: run `make unit` (it installs npm's wiremock) or set SRE_WIREMOCK_JAR"
        if IN_CI:
            pytest.fail(message)
        pytest.skip(message)
    root = tmp_path_factory.mktemp("wiremock")
    with zipfile.ZipFile(io.BytesIO(wiremock_json.export_zip(mappings))) as archive:
        archive.extractall(root)
    port = _free_port()
    args = ["java", "-jar", str(JAR), "--port", str(port), "--bind-address", "127.0.0.1", "--disable-banner",
            "--root-dir", str(root)]  # fmt: skip
    proc = subprocess.Popen(args, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                if httpx.get(f"{base}/__admin/mappings", timeout=1).status_code == 200:
                    break
            except httpx.TransportError:
                pass
            if proc.poll() is not None or time.monotonic() > deadline:
                err = proc.stderr.read().decode() if proc.stderr and proc.poll() is not None else ""
                pytest.fail(f"WireMock did not start on port {port}: {err[-2000:]}")
            time.sleep(0.2)
        yield base
    finally:
        proc.terminate()
        try:
            proc.wait(10)
        except subprocess.TimeoutExpired:
            proc.kill()


def _post(base: str, path: str = "/verify", *, behaviour: str | None = None, timeout: float = 10.0) -> httpx.Response:
    headers = {build.SELECT_HEADER: behaviour} if behaviour else {}
    return httpx.post(base + path, json={"citizenId": "1101700203451"}, headers=headers, timeout=timeout)


def test_the_server_loads_every_exported_mapping(wiremock: str, mappings: list[dict[str, Any]]) -> None:
    loaded = httpx.get(f"{wiremock}/__admin/mappings").json()
    assert loaded["meta"]["total"] == len(mappings) == 12
    assert {m["id"] for m in loaded["mappings"]} == {m["id"] for m in mappings}


def test_the_default_stub_answers_200_after_the_fitted_delay(wiremock: str) -> None:
    took = []
    for _ in range(5):
        start = time.monotonic()
        assert _post(wiremock).status_code == 200
        took.append(time.monotonic() - start)
    # lognormal median 150 ms, sigma 0.3: 5 draws all under 50 ms would have odds of about 1e-60
    assert sorted(took)[2] > 0.05


def test_a_fixed_delay_stub_waits_at_least_its_delay(wiremock: str) -> None:
    start = time.monotonic()
    answer = httpx.get(f"{wiremock}/citizens/3100600123456/status", timeout=10)
    assert answer.status_code == 200
    assert time.monotonic() - start >= 0.080


def test_each_behaviour_is_selected_by_its_header(wiremock: str) -> None:
    assert _post(wiremock, behaviour="status-503").status_code == 503
    assert _post(wiremock, behaviour="status-200").status_code == 200
    with pytest.raises(httpx.ReadTimeout):  # DOPA times out: a client waiting 1 s gives up, as mana's did
        _post(wiremock, behaviour="timeout", timeout=1.0)
    with pytest.raises((httpx.RemoteProtocolError, httpx.ReadError)):  # the connection is reset
        _post(wiremock, behaviour="connection-reset")


def test_each_behaviour_is_selected_by_the_scenario_state(wiremock: str) -> None:
    scenario = f"{wiremock}/__admin/scenarios/{build.scenario_name(DOPA)}/state"
    try:
        assert httpx.put(scenario, json={"state": "status-503"}).status_code == 200
        assert _post(wiremock).status_code == 503
        assert _post(wiremock, behaviour="status-200").status_code == 200  # a header still wins over the scenario
        assert httpx.put(scenario, json={"state": "timeout"}).status_code == 200
        with pytest.raises(httpx.ReadTimeout):
            _post(wiremock, timeout=1.0)
    finally:
        httpx.post(f"{wiremock}/__admin/scenarios/reset")
    assert _post(wiremock).status_code == 200


def test_a_converted_wiremock_net_mapping_answers_on_the_java_server(wiremock: str) -> None:
    net = {"Guid": "1f0c6a52-8f7e-4c55-9d55-d2a0c7d2a001", "Title": "DOPA health",
           "Request": {"Path": {"Matchers": [{"Name": "WildcardMatcher", "Pattern": "/health/*"}]}, "Methods": ["get"]},
           "Response": {"StatusCode": 200, "BodyAsJson": {"status": "up"}}}  # fmt: skip
    mappings = wiremock_json.read("net.json", json.dumps(net).encode())
    assert httpx.post(f"{wiremock}/__admin/mappings/import", json={"mappings": mappings}).status_code == 200
    try:
        answer = httpx.get(f"{wiremock}/health/deep")
        assert (answer.status_code, answer.json()) == (200, {"status": "up"})
    finally:
        httpx.delete(f"{wiremock}/__admin/mappings/1f0c6a52-8f7e-4c55-9d55-d2a0c7d2a001")


def test_the_journal_shows_calls_that_hit_no_stub_and_the_closest_one(wiremock: str) -> None:
    httpx.delete(f"{wiremock}/__admin/requests")
    assert _post(wiremock).status_code == 200
    assert _post(wiremock, "/verfy").status_code == 404  # a typo in mana's DOPA client
    journal = admin.journal(wiremock)
    assert journal.total == 2
    assert [(r["method"], r["url"], r["matched"]) for r in journal.requests] == [
        ("POST", "/verfy", False),
        ("POST", "/verify", True),
    ]
    assert [(r["method"], r["url"]) for r in journal.unmatched] == [("POST", "/verfy")]
    closest = journal.near_misses[0]
    assert closest["url"] == "/verfy" and closest["closest stub"].startswith("POST /verify")
    assert 0 < closest["distance"] < 1
