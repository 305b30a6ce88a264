"""Mapping files in and out: WireMock's JSON in its three shapes, WireMock.Net's dialect converted, a zip of mappings/,
and each bad upload refused with one message naming what is wrong."""

from __future__ import annotations

import io
import json
import zipfile

import pytest

from services.errors import InvalidInput
from services.stubs import wiremock_json
from tests.hostile_uploads import zip_bytes

STUB = {"request": {"method": "POST", "urlPath": "/verify"}, "response": {"status": 200, "jsonBody": {"ok": True}}}


@pytest.mark.parametrize("doc", [STUB, [STUB], {"mappings": [STUB]}, {"mappings": [STUB], "meta": {"total": 1}}])
def test_one_mapping_a_list_or_what_admin_mappings_returns(doc: object) -> None:
    assert wiremock_json.read("dopa.json", json.dumps(doc).encode()) == [STUB]


def test_wiremock_net_json_is_converted_to_wiremocks() -> None:
    net = {
        "Guid": "be6e1db8-cf4e-4b3c-8f6e-3a8d3d3b8c01",
        "Title": "DOPA verify ok",
        "Priority": 3,
        "Request": {
            "Path": {"Matchers": [{"Name": "WildcardMatcher", "Pattern": "/citizens/*/status"}]},
            "Methods": ["get"],
            "Headers": [{"Name": "X-Stub-Behaviour", "Matchers": [{"Name": "ExactMatcher", "Pattern": "timeout"}]}],
            "Body": {"Matcher": {"Name": "JsonPathMatcher", "Pattern": "$.citizenId"}},
        },
        "Response": {"StatusCode": 200, "BodyAsJson": {"valid": True}, "Headers": {"Content-Type": "application/json"},
                     "Delay": 250},
        "Scenario": "dopa", "WhenStateIs": "Started", "SetStateTo": "down",
    }  # fmt: skip
    assert wiremock_json.read("net.json", json.dumps([net]).encode()) == [
        {
            "id": "be6e1db8-cf4e-4b3c-8f6e-3a8d3d3b8c01",
            "name": "DOPA verify ok",
            "priority": 3,
            "scenarioName": "dopa",
            "requiredScenarioState": "Started",
            "newScenarioState": "down",
            "request": {
                "method": "GET",
                "urlPathPattern": "^/citizens/.*/status$",
                "headers": {"X-Stub-Behaviour": {"equalTo": "timeout"}},
                "bodyPatterns": [{"matchesJsonPath": "$.citizenId"}],
            },
            "response": {
                "status": 200,
                "jsonBody": {"valid": True},
                "headers": {"Content-Type": "application/json"},
                "fixedDelayMilliseconds": 250,
            },
        }
    ]


def test_wiremock_net_plain_path_and_fault() -> None:
    response = {"Fault": {"Type": "EMPTY_RESPONSE"}, "MinimumRandomDelay": 10, "MaximumRandomDelay": 90}
    net = {"Request": {"Path": "/verify", "Methods": ["POST"]}, "Response": response}
    (got,) = wiremock_json.read("net.json", json.dumps({"Mappings": [net]}).encode())
    assert got["request"] == {"method": "POST", "urlPath": "/verify"}
    assert got["response"] == {
        "status": 200,
        "delayDistribution": {"type": "uniform", "lower": 10, "upper": 90},
        "fault": "EMPTY_RESPONSE",
    }


def test_a_wiremock_net_field_that_cannot_be_carried_over_is_named() -> None:
    net = {"Request": {"Path": "/verify", "Cookies": [{"Name": "s"}]}, "Response": {"StatusCode": 200}}
    with pytest.raises(InvalidInput, match=r"net.json: WireMock.Net mapping 1 .*Request.Cookies"):
        wiremock_json.read("net.json", json.dumps(net).encode())


def test_an_export_reads_back_as_the_same_mappings() -> None:
    mappings = [STUB, {"name": "DOPA times out", "request": {"method": "POST", "urlPath": "/verify"},
                       "response": {"status": 504, "fixedDelayMilliseconds": 30000}}]  # fmt: skip
    data = wiremock_json.export_zip(mappings)
    with zipfile.ZipFile(io.BytesIO(data)) as z:
        assert z.namelist() == ["mappings/001-post.json", "mappings/002-dopa-times-out.json"]
    assert wiremock_json.read("set.zip", data) == mappings


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (b"<xml/>", r"is not JSON \(line 1, column 1"),
        (b"\xff\xfe\x00", "is not UTF-8"),
        (b"[]", "holds no mapping"),
        (b'{"name": "x"}', r"mapping 1 has no request and response \(name\)"),
        (
            b'{"request": {}, "response": {"status": 700}}',
            r"response.status: Input should be less than or equal to 599",
        ),
        (b'{"request": {"url": "/a", "urlPath": "/a"}, "response": {}}', "request has url and urlPath"),
        (b'{"request": {"urlPattern": "(("}, "response": {}}', "request.urlPattern is not a regular expression"),
        (b'{"request": {}, "response": {"fault": "EXPLODE"}}', r"response.fault"),
        (b"[" * 100_000, "nests its JSON too deep"),
        (
            zip_bytes({"../mappings/a.json": json.dumps(STUB).encode()}),
            r"path leaves its folder \(../mappings/a.json\)",
        ),
        (zip_bytes({"mappings/readme.txt": b"hi"}), "holds no .json file"),
        (zip_bytes({"mappings/a.json": b" " * (11 << 20)}), "unpacks to more than 10 MB"),
        (b"PK\x03\x04 cut short", "starts like a zip but cannot be read"),
    ],
)
def test_bad_uploads_are_refused_with_what_is_wrong(data: bytes, message: str) -> None:
    with pytest.raises(InvalidInput, match=message) as caught:
        wiremock_json.read("up.json", data)
    assert "nothing was stored" in str(caught.value)


def test_a_file_over_the_limit_is_refused_unread() -> None:
    with pytest.raises(InvalidInput, match="over the 10 MB a mapping set may be"):
        wiremock_json.read("big.json", b" " * ((10 << 20) + 1))
