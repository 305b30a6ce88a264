"""Sloth `version: prometheus/v1` specs: read into SLO inputs and written from SLOs.

Read: service, and per entry of slos: name, objective (percent), description and sli.events, whose error_query and
total_query are taken as KQL (a ratio SLO of bad events over all; Sloth's own queries are PromQL, so a Sloth file for
the backoffice carries KQL in those two fields). alerting.name is accepted, as Sloth requires it, and not kept: the
burn-rate rules are named after the SLO. The window is `slo_period` (7d, 28d or 30d) when given, else Sloth's default
30d; slo_period is the backoffice's own key beside version and service (Sloth ignores it and takes its period from
`--default-slo-period`). Queries that are exactly an availability or latency SLO's read as that SLO.
"""

from __future__ import annotations

import re
from typing import Any

from pydantic import BaseModel, ConfigDict, ValidationError

from services.errors import InvalidInput
from services.slos import request_queries as rq
from services.slos.definition import SloDefinition
from services.slos.files import DocumentError, problems_of, to_input
from services.slos.schemas import SloInput

VERSION = "prometheus/v1"
PERIODS = {"7d": 7, "28d": 28, "30d": 30}
_ALERTS = "every SLO gets the backoffice's page and ticket burn-rate alert rules; keep only alerting.name"
HINTS = {
    "labels": "the backoffice keeps no Prometheus labels; remove them",
    "raw": "a precomputed error ratio cannot be counted per window; use sli.events with error_query and total_query",
    "plugin": "SLI plugins are not supported; use sli.events with error_query and total_query",
    "annotations": _ALERTS,
    "page_alert": _ALERTS,
    "ticket_alert": _ALERTS,
}


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


class Events(_Strict):
    error_query: str
    total_query: str


class Sli(_Strict):
    events: Events


class Alerting(_Strict):
    name: str | None = None


class SlothSlo(_Strict):
    name: str
    objective: float
    description: str = ""
    sli: Sli
    alerting: Alerting | None = None


class Spec(_Strict):
    version: str
    service: str
    slo_period: str | None = None
    slos: list[SlothSlo]


def read(item: dict[str, Any]) -> list[SloInput]:
    """Every SLO of one Sloth spec; DocumentError names every unsupported or missing field."""
    try:
        spec = Spec.model_validate(item)
    except ValidationError as exc:
        raise DocumentError(problems_of(exc, HINTS)) from None
    problems = []
    if spec.version != VERSION:
        problems.append(f"version {spec.version} is not supported: use {VERSION}")
    if spec.slo_period is not None and spec.slo_period not in PERIODS:
        problems.append(f"slo_period {spec.slo_period} is not supported: use 7d, 28d or 30d")
    if not spec.slos:
        problems.append("slos needs at least one SLO")
    out = []
    for i, s in enumerate(spec.slos):
        events = s.sli.events
        for field in ("error_query", "total_query"):
            if "{{" in getattr(events, field):
                problems.append(
                    f"slos[{i}].sli.events.{field} uses a template such as {{{{.window}}}}: the queries are KQL rows, "
                    "and the backoffice applies each window itself; remove it"
                )
        known = rq.as_request_slo(None, events.error_query, events.total_query)
        fields = known or {"kind": "ratio", "bad_query": events.error_query, "total_query": events.total_query}
        base = {"name": s.name, "service": spec.service, "objective": s.objective, "description": s.description}
        try:
            out.append(to_input({**base, "window_days": PERIODS.get(spec.slo_period or "30d", 30), **fields}))
        except DocumentError as exc:
            problems += [f"slos[{i}] ({s.name}): {p}" for p in exc.problems]
    if problems:
        raise DocumentError(problems)
    return out


def alert_name(name: str) -> str:
    """A Prometheus alert name for the SLO (Sloth requires one): 'mana availability' -> ManaAvailability."""
    words = "".join(w[:1].upper() + w[1:] for w in re.split(r"[^A-Za-z0-9]+", name) if w)
    return words if words[:1].isalpha() else "Slo" + words


def _entry(slo: SloDefinition) -> dict[str, Any]:
    if slo.kind == "availability":
        bad = rq.availability(slo.service, slo.operation, bad=True)
        total = rq.rows(slo.service, slo.operation)
    elif slo.kind == "latency":
        bad = rq.slow(slo.service, slo.operation, float(slo.threshold_ms or 0.0))
        total = rq.rows(slo.service, slo.operation)
    elif slo.bad_query:
        bad, total = slo.bad_query, slo.total_query or ""
    else:
        raise InvalidInput(
            f"SLO {slo.name!r} counts good events (a good query); Sloth's spec has only error_query, so export it "
            "as OpenSLO (--format openslo) or give it a bad query instead."
        )
    entry: dict[str, Any] = {"name": slo.name, "objective": slo.objective}
    if slo.description:
        entry["description"] = slo.description
    entry["sli"] = {"events": {"error_query": bad, "total_query": total}}
    entry["alerting"] = {"name": alert_name(slo.name)}
    return entry


def documents(slos: list[SloDefinition]) -> list[dict[str, Any]]:
    """One Sloth spec per service and window, SLOs in the order given."""
    groups: dict[tuple[str, int], list[dict[str, Any]]] = {}
    for slo in slos:
        groups.setdefault((slo.service, slo.window_days), []).append(_entry(slo))
    out = []
    for (service, days), entries in groups.items():
        head: dict[str, Any] = {"version": VERSION, "service": service}
        if days != 30:
            head["slo_period"] = f"{days}d"
        out.append({**head, "slos": entries})
    return out
