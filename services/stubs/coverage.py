"""Which observed behaviours a mapping set answers: a stub covers one when its request matcher takes the shape's
method and path and its response gives the same answer (the status; a delay as long as the timeout; a fault)."""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

from services.stubs.schemas import FAULT, TIMEOUT, Observation

TIMEOUT_SHARE = 0.9  # a stub's delay covers a timeout when it waits at least this share of production's wait
_PARAM = re.compile(r"\{[^}/]*\}")


@dataclass(frozen=True)
class Covered:
    """One observed behaviour and the stubs (by name) that answer it."""

    observation: Observation
    stubs: tuple[str, ...]

    @property
    def covered(self) -> bool:
        """Whether any stub answers it."""
        return bool(self.stubs)


def _paths(obs: Observation) -> list[str]:
    concrete = urlsplit(obs.example_url).path if obs.example_url else ""
    return [p for p in (_PARAM.sub("1", obs.path), concrete) if p]


def _takes_path(request: dict[str, Any], obs: Observation) -> bool:
    if request.get("urlPathTemplate") is not None:
        return _PARAM.sub("{}", str(request["urlPathTemplate"])) == _PARAM.sub("{}", obs.path)
    if request.get("urlPath") is not None:
        return str(request["urlPath"]) in (obs.path, *_paths(obs))
    if request.get("url") is not None:
        return str(request["url"]).split("?", 1)[0] in (obs.path, *_paths(obs))
    for key in ("urlPattern", "urlPathPattern"):
        if request.get(key) is not None:
            try:
                pattern = re.compile(str(request[key]))
            except re.error:
                return False
            return any(pattern.fullmatch(p) for p in _paths(obs))
    return True  # no URL matcher: any URL


def _delay_ms(response: dict[str, Any]) -> float:
    dist = response.get("delayDistribution") or {}
    return max(
        float(response.get("fixedDelayMilliseconds") or 0),
        float(dist.get("median") or dist.get("milliseconds") or dist.get("upper") or 0),
    )


def answers(mapping: dict[str, Any], obs: Observation) -> bool:
    """Whether the mapping takes the observation's request and answers as production did."""
    request, response = mapping.get("request") or {}, mapping.get("response") or {}
    method = str(request.get("method") or "ANY").upper()
    if method != "ANY" and obs.method != "ANY" and method != obs.method:
        return False
    if not _takes_path(request, obs):
        return False
    if obs.behaviour.kind == FAULT:
        return bool(response.get("fault"))
    if response.get("fault"):
        return False
    if obs.behaviour.kind == TIMEOUT:
        wait = obs.latency.p50_ms or obs.latency.median_ms
        return _delay_ms(response) >= TIMEOUT_SHARE * wait
    return int(response.get("status") or 200) == obs.behaviour.status


def coverage(mappings: list[dict[str, Any]], observations: list[Observation]) -> list[Covered]:
    """Each observed behaviour with the stubs that answer it."""
    return [Covered(o, tuple(_label(m, i) for i, m in enumerate(mappings) if answers(m, o))) for o in observations]


def unseen(mappings: list[dict[str, Any]], observations: list[Observation]) -> list[str]:
    """The stubs that answer nothing production showed (hand-written cases, or behaviours gone since)."""
    return [_label(m, i) for i, m in enumerate(mappings) if not any(answers(m, obs) for obs in observations)]


def _label(mapping: dict[str, Any], index: int) -> str:
    return str(mapping.get("name") or mapping.get("id") or f"stub {index + 1}")
