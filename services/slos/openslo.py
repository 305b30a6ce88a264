"""OpenSLO v1 `kind: SLO` documents: read into SLO inputs and written from SLOs.

Read: metadata.name (displayName, when given, is the SLO's name), spec.service, spec.description, one rolling
spec.timeWindow of 7d, 28d or 30d (1w and 4w too), budgetingMethod Occurrences, one objective with target (0.99) or
targetPercent (99), and an inline indicator: a ratioMetric whose good (or bad) and total are KQL queries given as
`metricSource: {type: AzureMonitor, spec: {query: ...}}`, or a thresholdMetric on request duration
(`AppRequests | where AppRoleName == "mana" | project DurationMs`) with the objective's `op: lt` and `value` in ms.
A ratio whose queries are exactly an availability or latency SLO's (services/slos/request_queries.py) reads as that SLO.
"""

from __future__ import annotations

import re
from typing import Any

from pydantic import BaseModel, ConfigDict, ValidationError

from services.slos import request_queries as rq
from services.slos.definition import SloDefinition
from services.slos.files import DocumentError, problems_of, to_input
from services.slos.schemas import SloInput

API_VERSION = "openslo/v1"
SOURCE_TYPE = "AzureMonitor"
WINDOWS = {"7d": 7, "1w": 7, "28d": 28, "4w": 28, "30d": 30}
HINTS = {
    "labels": "the backoffice keeps no labels; remove them",
    "annotations": "the backoffice keeps no annotations; remove them",
    "alertPolicies": "every SLO gets the backoffice's three multi-window burn-rate alert rules; remove it",
    "indicatorRef": "write the indicator inline under spec.indicator",
    "calendar": "only rolling windows are supported (isRolling: true, no calendar)",
    "timeSliceTarget": "only budgetingMethod Occurrences is supported",
    "timeSliceWindow": "only budgetingMethod Occurrences is supported",
    "compositeWeight": "composite SLOs are not supported",
    "metricSourceRef": f"give the source inline: type: {SOURCE_TYPE} and spec.query",
    "raw": "a precomputed ratio cannot be counted per window; give good (or bad) and total queries",
    "rawType": "a precomputed ratio cannot be counted per window; give good (or bad) and total queries",
    "displayName": "only metadata.displayName (the SLO's name) is kept; remove it",
    "description": "only spec.description is kept; remove it",
}


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


class Metadata(_Strict):
    name: str
    displayName: str | None = None


class IndicatorMetadata(_Strict):
    name: str


class KqlSpec(_Strict):
    query: str


class MetricSource(_Strict):
    type: str
    spec: KqlSpec


class Metric(_Strict):
    metricSource: MetricSource


class RatioMetric(_Strict):
    counter: bool = False
    good: Metric | None = None
    bad: Metric | None = None
    total: Metric


class SliSpec(_Strict):
    ratioMetric: RatioMetric | None = None
    thresholdMetric: Metric | None = None


class Indicator(_Strict):
    metadata: IndicatorMetadata
    spec: SliSpec


class TimeWindow(_Strict):
    duration: str
    isRolling: bool


class Objective(_Strict):
    target: float | None = None
    targetPercent: float | None = None
    op: str | None = None
    value: float | None = None


class Spec(_Strict):
    description: str = ""
    service: str
    indicator: Indicator
    timeWindow: list[TimeWindow]
    budgetingMethod: str
    objectives: list[Objective]


class Document(_Strict):
    apiVersion: str
    kind: str
    metadata: Metadata
    spec: Spec


def _query(m: Metric, where: str, problems: list[str]) -> str:
    if m.metricSource.type != SOURCE_TYPE:
        problems.append(
            f"{where}.metricSource.type {m.metricSource.type} is not supported: the backoffice runs KQL on Application "
            f"Insights, so use type: {SOURCE_TYPE} with the KQL in spec.query"
        )
    return m.metricSource.spec.query


def _objective(o: Objective, problems: list[str]) -> float:
    if (o.target is None) == (o.targetPercent is None):
        problems.append("spec.objectives[0] needs target (e.g. 0.99) or targetPercent (e.g. 99), one of them")
        return 0.0
    return round(o.target * 100, 8) if o.target is not None else float(o.targetPercent or 0.0)


def _indicator(doc: Document, problems: list[str]) -> dict[str, Any]:
    sli, obj = doc.spec.indicator.spec, doc.spec.objectives[0]
    where = "spec.indicator.spec"
    if (sli.ratioMetric is None) == (sli.thresholdMetric is None):
        problems.append(f"{where} needs a ratioMetric or a thresholdMetric, one of them")
        return {}
    if sli.thresholdMetric is not None:
        req = rq.read_duration(_query(sli.thresholdMetric, f"{where}.thresholdMetric", problems))
        if req is None:
            problems.append(
                f"{where}.thresholdMetric is read only on request duration: its query must be "
                f'`{rq.duration("SERVICE", None)}` (or `... and Name == "OPERATION" | project DurationMs`); write '
                "other SLIs as a ratioMetric of good (or bad) and total queries"
            )
        if obj.op != "lt" or obj.value is None:
            problems.append(
                "spec.objectives[0] of a thresholdMetric needs op: lt and value (the threshold in ms): a request is "
                "good when DurationMs < value"
            )
        if req is None:
            return {}
        return {"kind": "latency", "service": req.service, "operation": req.operation, "threshold_ms": obj.value}
    ratio = sli.ratioMetric
    assert ratio is not None
    for field in ("op", "value"):
        if getattr(obj, field) is not None:
            problems.append(f"spec.objectives[0].{field} is not supported with a ratioMetric: remove it")
    if ratio.counter:
        problems.append(
            f"{where}.ratioMetric.counter true is not supported: the queries' rows are events, counted per window "
            "(counter: false)"
        )
    if (ratio.good is None) == (ratio.bad is None):
        problems.append(f"{where}.ratioMetric needs good or bad (one of them) beside total")
        return {}
    good = _query(ratio.good, f"{where}.ratioMetric.good", problems) if ratio.good else None
    bad = _query(ratio.bad, f"{where}.ratioMetric.bad", problems) if ratio.bad else None
    total = _query(ratio.total, f"{where}.ratioMetric.total", problems)
    known = rq.as_request_slo(good, bad, total)
    return known or {"kind": "ratio", "good_query": good, "bad_query": bad, "total_query": total}


def read(item: dict[str, Any]) -> list[SloInput]:
    """One OpenSLO v1 SLO document as an SLO input; DocumentError names every unsupported or missing field."""
    try:
        doc = Document.model_validate(item)
    except ValidationError as exc:
        raise DocumentError(problems_of(exc, HINTS)) from None
    problems: list[str] = []
    if doc.apiVersion != API_VERSION:
        problems.append(f"apiVersion {doc.apiVersion} is not supported: use {API_VERSION}")
    if doc.kind != "SLO":
        problems.append(f"kind {doc.kind} is not supported: only kind SLO, with its indicator inline")
    spec = doc.spec
    if spec.budgetingMethod != "Occurrences":
        problems.append(
            f"spec.budgetingMethod {spec.budgetingMethod} is not supported: the backoffice counts good and total "
            "events (Occurrences)"
        )
    window = 30
    if len(spec.timeWindow) != 1:
        problems.append("spec.timeWindow needs exactly one window")
    else:
        tw = spec.timeWindow[0]
        if not tw.isRolling:
            problems.append("spec.timeWindow[0].isRolling false is not supported: only rolling windows")
        if tw.duration not in WINDOWS:
            problems.append(f"spec.timeWindow[0].duration {tw.duration} is not supported: use 7d, 28d or 30d")
        window = WINDOWS.get(tw.duration, 30)
    if len(spec.objectives) != 1:
        problems.append("spec.objectives needs exactly one objective: write one SLO per objective")
        raise DocumentError(problems)
    objective = _objective(spec.objectives[0], problems)
    fields = _indicator(doc, problems)
    if problems:
        raise DocumentError(problems)
    name = doc.metadata.displayName or doc.metadata.name
    base = {"name": name, "service": spec.service, "description": spec.description, "objective": objective}
    return [to_input({**base, "window_days": window, **fields})]


def slug(name: str, limit: int = 63) -> str:
    """A metadata.name for an SLO name: lower case letters, digits and '-' (RFC 1123), at most `limit` characters."""
    return re.sub(r"[^a-z0-9]+", "-", name.lower())[:limit].strip("-") or "slo"


def _source(query: str) -> dict[str, Any]:
    return {"metricSource": {"type": SOURCE_TYPE, "spec": {"query": query}}}


def document(slo: SloDefinition) -> dict[str, Any]:
    """One SLO as an OpenSLO v1 document."""
    objective: dict[str, Any] = {"target": round(slo.objective / 100, 10)}
    if slo.kind == "latency":
        sli: dict[str, Any] = {"thresholdMetric": _source(rq.duration(slo.service, slo.operation))}
        objective = {"op": "lt", "value": slo.threshold_ms, **objective}
    else:
        if slo.kind == "availability":
            queries = {"good": rq.availability(slo.service, slo.operation, bad=False)}
            queries["total"] = rq.rows(slo.service, slo.operation)
        else:
            queries = slo.ratio_queries()
        sli = {"ratioMetric": {"counter": False, **{k: _source(v) for k, v in queries.items()}}}
    name = slug(slo.name)
    metadata = {"name": name} if name == slo.name else {"name": name, "displayName": slo.name}
    spec: dict[str, Any] = {"description": slo.description} if slo.description else {}
    spec |= {
        "service": slo.service,
        "indicator": {"metadata": {"name": slug(slo.name, 59) + "-sli"}, "spec": sli},
        "timeWindow": [{"duration": f"{slo.window_days}d", "isRolling": True}],
        "budgetingMethod": "Occurrences",
        "objectives": [objective],
    }
    return {"apiVersion": API_VERSION, "kind": "SLO", "metadata": metadata, "spec": spec}
