"""The KQL an availability or latency SLO stands for, as SLO files write it, and the way back: a file whose queries
are exactly these reads as the availability or latency SLO they describe (the same numbers, counted by slo_hourly).

    rows       AppRequests | where AppRoleName == "mana" [and Name == "GET /api/shops"]
    good       rows | where Success == true            (availability)
    bad        rows | where Success == false           (availability)
    bad        rows | where DurationMs >= 300          (latency, 300 ms; Sloth has only error queries)
    duration   rows | project DurationMs               (latency: OpenSLO's thresholdMetric, with op lt and value 300)
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from services.telemetry.kql import string_literal

_STRING = r'"((?:[^"\\]|\\.)*)"'
_ROWS = rf"AppRequests \| where AppRoleName == {_STRING}(?: and Name == {_STRING})?"
_NUMBER = r"([0-9]+(?:\.[0-9]+)?)"
_UNESCAPE = {"\\\\": "\\", '\\"': '"', "\\n": "\n", "\\r": "\r", "\\t": "\t"}


@dataclass(frozen=True)
class RequestSli:
    """What a request query says: the service, the operation (None: every request) and, for latency, the threshold."""

    service: str
    operation: str | None = None
    threshold_ms: float | None = None


def rows(service: str, operation: str | None) -> str:
    """The service's requests (one operation's, when given)."""
    text = f"AppRequests | where AppRoleName == {string_literal(service)}"
    return text + (f" and Name == {string_literal(operation)}" if operation else "")


def number(value: float) -> str:
    """A threshold as the queries write it: 300, 250.5."""
    return f"{value:.6f}".rstrip("0").rstrip(".")


def availability(service: str, operation: str | None, *, bad: bool) -> str:
    """Successful (or, with `bad`, failed) requests."""
    return rows(service, operation) + f" | where Success == {'false' if bad else 'true'}"


def slow(service: str, operation: str | None, threshold_ms: float) -> str:
    """Requests at or over the threshold: the bad events of a latency SLO."""
    return rows(service, operation) + f" | where DurationMs >= {number(threshold_ms)}"


def duration(service: str, operation: str | None) -> str:
    """The requests' durations, as an OpenSLO thresholdMetric reads them."""
    return rows(service, operation) + " | project DurationMs"


def _unescape(text: str | None) -> str | None:
    if text is None:
        return None
    return re.sub(r"\\.", lambda m: _UNESCAPE.get(m.group(0), m.group(0)), text)


def _flexible(pattern: str) -> str:
    """Any whitespace (a line break before `|`, say) where the pattern has a space; none needed around `==`."""
    return pattern.replace(" == ", r"\s*==\s*").replace(r" \| ", r"\s*\|\s*").replace(" ", r"\s+")


def _match(pattern: str, text: str) -> re.Match[str] | None:
    return re.fullmatch(_flexible(_ROWS + pattern), text.strip())


def read_rows(text: str) -> RequestSli | None:
    """The service and operation of a `rows` query, else None."""
    m = _match("", text)
    return None if m is None else RequestSli(str(_unescape(m.group(1))), _unescape(m.group(2)))


def read_availability(text: str, *, bad: bool) -> RequestSli | None:
    """The service and operation of a good (or bad) availability query, else None."""
    m = _match(rf" \| where Success == {'false' if bad else 'true'}", text)
    return None if m is None else RequestSli(str(_unescape(m.group(1))), _unescape(m.group(2)))


def read_slow(text: str) -> RequestSli | None:
    """The service, operation and threshold of a latency SLO's bad query, else None."""
    m = _match(rf" \| where DurationMs >= {_NUMBER}", text)
    return None if m is None else RequestSli(str(_unescape(m.group(1))), _unescape(m.group(2)), float(m.group(3)))


def read_duration(text: str) -> RequestSli | None:
    """The service and operation of a request-duration query, else None."""
    m = _match(r" \| project DurationMs", text)
    return None if m is None else RequestSli(str(_unescape(m.group(1))), _unescape(m.group(2)))


def as_request_slo(good: str | None, bad: str | None, total: str) -> dict[str, object] | None:
    """The availability or latency SLO fields a ratio's queries describe exactly, else None (a ratio SLO of its own)."""
    whole = read_rows(total)
    if whole is None:
        return None
    found = read_availability(good, bad=False) if good else None
    if found is None and bad:
        found = read_availability(bad, bad=True) or read_slow(bad)
    if found is None or (found.service, found.operation) != (whole.service, whole.operation):
        return None
    kind = "latency" if found.threshold_ms is not None else "availability"
    return {"kind": kind, "service": found.service, "operation": found.operation, "threshold_ms": found.threshold_ms}
