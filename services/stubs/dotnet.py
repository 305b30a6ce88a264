"""WireMock.Net's PascalCase mapping JSON (its MappingModel: Guid, Title, Request.Path.Matchers, Response.StatusCode...)
converted to the Java server's format. WireMock.Net converts the other way only in part and never back
(WireMock.Net#943, #491, #727), so the backoffice reads both. A field it cannot carry over is named, not dropped."""

from __future__ import annotations

import re
from typing import Any

from services.errors import InvalidInput

_TOP = {"Guid": "id", "Title": "name", "Priority": "priority", "Scenario": "scenarioName",
        "WhenStateIs": "requiredScenarioState", "SetStateTo": "newScenarioState"}  # fmt: skip
_REQUEST = {"Path", "Url", "Methods", "Headers", "Params", "Body"}
_RESPONSE = {"StatusCode", "Body", "BodyAsJson", "Headers", "Delay", "MinimumRandomDelay", "MaximumRandomDelay",
             "Fault", "UseTransformer", "BodyDestination", "BodyAsJsonIndented"}  # fmt: skip
_IGNORED = {"Description", "TimeSettings", "Data", "UpdatedAt"}  # bookkeeping that changes no answer
_FAULTS = {"EMPTY_RESPONSE": "EMPTY_RESPONSE", "MALFORMED_RESPONSE_CHUNK": "MALFORMED_RESPONSE_CHUNK"}


def is_dotnet(mapping: Any) -> bool:
    """Whether a mapping is written in WireMock.Net's dialect (PascalCase Request and Response)."""
    return isinstance(mapping, dict) and "Request" in mapping and "Response" in mapping


class _Refusal(Exception):
    pass


def _wildcard(pattern: str) -> str:
    return "^" + ".*".join(re.escape(part) for part in pattern.split("*")).replace(r"\?", ".") + "$"


def _matcher(m: Any, where: str) -> dict[str, Any]:
    """One WireMock.Net matcher as a Java string-value pattern."""
    if not isinstance(m, dict) or "Name" not in m:
        raise _Refusal(f"{where} is not a WireMock.Net matcher")
    if m.get("RejectOnMatch"):
        raise _Refusal(f"{where}.RejectOnMatch has no counterpart in WireMock's JSON")
    patterns = m.get("Patterns") or [m.get("Pattern")]
    if len(patterns) != 1:
        raise _Refusal(f"{where} has {len(patterns)} patterns; WireMock's JSON takes one per matcher")
    pattern, name = patterns[0], m["Name"]
    if name == "ExactMatcher":
        out: dict[str, Any] = {"equalTo": pattern}
    elif name == "WildcardMatcher":
        wild = "*" in str(pattern) or "?" in str(pattern)
        out = {"matches": _wildcard(str(pattern))} if wild else {"equalTo": pattern}
    elif name == "RegexMatcher":
        out = {"matches": pattern}
    elif name == "JsonMatcher":
        out = {"equalToJson": pattern}
    elif name == "JsonPartialMatcher":
        out = {"equalToJson": pattern, "ignoreExtraElements": True}
    elif name == "JsonPathMatcher":
        out = {"matchesJsonPath": pattern}
    else:
        raise _Refusal(f"{where}.Name {name} has no counterpart in WireMock's JSON")
    if m.get("IgnoreCase") and "equalTo" in out:
        out["caseInsensitive"] = True
    return out


def _only(matchers: Any, where: str) -> dict[str, Any]:
    if not isinstance(matchers, list) or len(matchers) != 1:
        raise _Refusal(f"{where}.Matchers must hold one matcher to be converted")
    return _matcher(matchers[0], f"{where}.Matchers[0]")


def _url(request: dict[str, Any]) -> dict[str, Any]:
    for field, exact, pattern in (("Path", "urlPath", "urlPathPattern"), ("Url", "url", "urlPattern")):
        value = request.get(field)
        if value is None:
            continue
        if isinstance(value, str):
            return {exact: value}
        m = _only(value.get("Matchers") if isinstance(value, dict) else None, f"Request.{field}")
        return {exact: m["equalTo"]} if "equalTo" in m else {pattern: m["matches"]}
    return {}


def _named(items: Any, where: str) -> dict[str, Any]:
    if not isinstance(items, list):
        raise _Refusal(f"{where} must be a list of {{Name, Matchers}}")
    return {str(h["Name"]): _only(h.get("Matchers"), f"{where}[{i}]") for i, h in enumerate(items)}


def _request(request: dict[str, Any]) -> dict[str, Any]:
    unknown = sorted(set(request) - _REQUEST)
    if unknown:
        raise _Refusal(f"Request.{unknown[0]} has no counterpart in WireMock's JSON")
    methods = [str(m).upper() for m in request.get("Methods") or []]
    if len(methods) > 1:
        raise _Refusal(f"Request.Methods lists {len(methods)} methods; WireMock's JSON takes one per stub")
    out: dict[str, Any] = {"method": methods[0] if methods else "ANY", **_url(request)}
    if request.get("Headers"):
        out["headers"] = _named(request["Headers"], "Request.Headers")
    if request.get("Params"):
        out["queryParameters"] = _named(request["Params"], "Request.Params")
    body = request.get("Body")
    if body:
        matchers = body.get("Matchers") or ([body["Matcher"]] if body.get("Matcher") else [])
        out["bodyPatterns"] = [_matcher(m, f"Request.Body.Matchers[{i}]") for i, m in enumerate(matchers)]
    return out


def _response(response: dict[str, Any]) -> dict[str, Any]:
    unknown = sorted(set(response) - _RESPONSE)
    if unknown:
        raise _Refusal(f"Response.{unknown[0]} has no counterpart in WireMock's JSON")
    out: dict[str, Any] = {"status": int(response.get("StatusCode") or 200)}
    if "BodyAsJson" in response:
        out["jsonBody"] = response["BodyAsJson"]
    elif "Body" in response:
        out["body"] = response["Body"]
    if response.get("Headers"):
        out["headers"] = response["Headers"]
    if response.get("Delay") is not None:
        out["fixedDelayMilliseconds"] = int(response["Delay"])
    if response.get("MinimumRandomDelay") is not None or response.get("MaximumRandomDelay") is not None:
        low, high = int(response.get("MinimumRandomDelay") or 0), int(response.get("MaximumRandomDelay") or 0)
        out["delayDistribution"] = {"type": "uniform", "lower": low, "upper": high}
    if response.get("UseTransformer"):
        out["transformers"] = ["response-template"]
    fault = response.get("Fault")
    if isinstance(fault, dict) and fault.get("Type") not in (None, "NONE"):
        if fault["Type"] not in _FAULTS or fault.get("Percentage") not in (None, 1, 1.0):
            raise _Refusal(f"Response.Fault {fault} has no counterpart in WireMock's JSON")
        out["fault"] = _FAULTS[fault["Type"]]
    return out


def to_java(mapping: dict[str, Any], *, name: str, index: int) -> dict[str, Any]:
    """A WireMock.Net mapping in WireMock's JSON; a field that cannot be carried over refuses the upload, named."""
    try:
        unknown = sorted(set(mapping) - set(_TOP) - _IGNORED - {"Request", "Response"})
        if unknown:
            raise _Refusal(f"{unknown[0]} has no counterpart in WireMock's JSON")
        if not isinstance(mapping["Request"], dict) or not isinstance(mapping["Response"], dict):
            raise _Refusal("Request and Response must be objects")
        out = {java: mapping[net] for net, java in _TOP.items() if mapping.get(net) is not None}
        out["request"] = _request(mapping["Request"])
        out["response"] = _response(mapping["Response"])
        return out
    except (_Refusal, KeyError, TypeError, ValueError, AttributeError) as exc:
        raise InvalidInput(
            f"{name}: WireMock.Net mapping {index + 1} cannot be converted to WireMock's format ({exc}); nothing was "
            "stored. Remove that field, or write the mapping in WireMock's JSON."
        ) from None
