"""What production saw of one dependency: the catalogue query's groups folded into request shapes and behaviours.

The query groups AppDependencies rows by Name (".NET: `POST /verify`"), ResultCode and Success; here each name becomes a
method and a path template (ids, numbers, GUIDs and long hex or digit runs become `{id}`), and groups that fold into
the same shape and behaviour merge their call counts and latency sums exactly.
"""

from __future__ import annotations

import re
from datetime import datetime
from typing import Any
from urllib.parse import urlsplit

import pandas as pd

from services.auth import Actor
from services.stubs.schemas import Latency, Observation, classify
from services.telemetry import runner
from services.telemetry.source import TelemetrySource

MAX_GROUPS = 5_000  # groups the query returns at most; a target with more names than that is templated on the rest
METHODS = ("GET", "POST", "PUT", "PATCH", "DELETE", "HEAD", "OPTIONS")
# an identifier: digits, a GUID, a long hex run, or a token of 8+ characters with 3+ digits (a citizen or order number)
_ID_SEGMENT = re.compile(
    r"^(\d+|[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}|[0-9a-fA-F]{16,}|"
    r"(?=(?:[^\d]*\d){3})[A-Za-z0-9_.-]{8,})$"
)


def path_template(path: str) -> str:
    """The path with its identifier segments as `{id}` (several in one path: `{id}`, `{id2}`, ...)."""
    parts, count = [], 0
    for segment in path.split("/"):
        if segment and _ID_SEGMENT.match(segment):
            count += 1
            parts.append("{id}" if count == 1 else f"{{id{count}}}")
        else:
            parts.append(segment)
    return "/".join(parts) or "/"


def request_shape(name: str, data: str) -> tuple[str, str]:
    """Method and path template of a dependency row, from its Name ("POST /verify") or else its Data (the URL)."""
    method, _, rest = name.strip().partition(" ")
    if method.upper() in METHODS and rest.startswith("/"):
        path = rest.split("?", 1)[0]
    else:
        method, path = "ANY", urlsplit(data).path if data else ""
    return method.upper(), path_template(path or "/")


def fold(frame: pd.DataFrame) -> list[Observation]:
    """The query's groups as observations, one per shape and behaviour, busiest first."""
    found: dict[tuple[str, str, str, str], Observation] = {}
    rows: list[dict[str, Any]] = frame.to_dict("records")  # type: ignore[assignment]
    for row in rows:
        example = str(row["example"] or "")
        method, path = request_shape(str(row["Name"] or ""), example)
        behaviour = classify(str(row["ResultCode"] or ""), bool(row["Success"]))
        key = (method, path, behaviour.kind, behaviour.result_code)
        obs = found.setdefault(key, Observation(method, path, behaviour, example_url=example))
        obs.calls += int(row["calls"])
        obs.latency.add(
            Latency(
                samples=int(row["samples"]),
                log_sum=float(row["log_sum"]),
                log_sq=float(row["log_sq"]),
                p50_ms=float(row["p50_ms"]),
                max_ms=float(row["max_ms"]),
            )
        )
    return sorted(found.values(), key=lambda o: (-o.calls, o.method, o.path, o.behaviour.label))


def observe(source: TelemetrySource, *, actor: Actor, target: str, start: datetime, end: datetime) -> list[Observation]:
    """How `target` answered over [start, end], one observation per request shape and behaviour."""
    result = runner.run(source, "stub_observations", actor=actor, start=start, end=end, target=target, limit=MAX_GROUPS)
    return fold(result.frame)


def targets(source: TelemetrySource, *, actor: Actor, start: datetime, end: datetime) -> pd.DataFrame:
    """The HTTP dependency targets called over [start, end] with their calls and failures, busiest first."""
    return runner.run(source, "stub_targets", actor=actor, start=start, end=end).frame
