"""OTLP metric data points as the envelopes the Azure Monitor exporter makes of them (azure-monitor-opentelemetry-
exporter `export/metrics/_exporter.py` `_convert_point_to_envelope`), then the rows mapping.to_row makes of those:
one AppMetrics row per data point, a gauge's or sum's value as Sum, a histogram's sum, count, min and max."""

from __future__ import annotations

import math
from typing import Any

from opentelemetry.proto.collector.metrics.v1.metrics_service_pb2 import ExportMetricsServiceRequest
from opentelemetry.proto.metrics.v1.metrics_pb2 import DataPointFlags, Metric

from services.ingest import otlp
from services.ingest.mapping import Refused, TimeBounds, to_row

NO_VALUE = DataPointFlags.DATA_POINT_FLAGS_NO_RECORDED_VALUE_MASK


def _figures(kind: str, point: Any) -> dict[str, Any]:
    """{"value", "count", "min", "max"} of one point, as the exporter's MetricDataPoint has them."""
    if kind in ("gauge", "sum"):
        which = point.WhichOneof("value")
        if which is None:
            raise Refused("a data point has neither asDouble nor asInt")
        return {"value": float(getattr(point, which)), "count": 1}
    if kind == "summary":  # not a kind the Python exporter meets: quantiles 0 and 1 are the min and the max
        figures: dict[str, Any] = {"value": point.sum, "count": point.count}
        for q in point.quantile_values:
            if q.quantile in (0.0, 1.0):
                figures["min" if q.quantile == 0.0 else "max"] = q.value
        return figures
    # histogram, and exponential histogram (which the Python exporter would send as 0): sum, count, min, max
    if not point.HasField("sum"):
        raise Refused(f"a {kind} point has no sum")
    figures = {"value": point.sum, "count": point.count}
    figures.update({k: getattr(point, k) for k in ("min", "max") if point.HasField(k)})
    return figures


def envelopes(metric: Metric, resource: dict[str, str]) -> list[dict[str, Any] | Refused]:
    """The Metric envelope of each of the metric's data points (a point flagged as having no recorded value has
    none), or why a point cannot be one."""
    kind = metric.WhichOneof("data")
    if kind is None:
        return []
    out: list[dict[str, Any] | Refused] = []
    for point in getattr(metric, kind).data_points:
        if point.flags & NO_VALUE:
            continue
        try:
            figures = _figures(kind, point)
            if not all(math.isfinite(v) for k, v in figures.items() if k != "count"):
                raise Refused(f"metric {metric.name!r} has a value that is not a finite number")
            if not point.time_unix_nano:
                raise Refused(f"a point of metric {metric.name!r} has no timeUnixNano")
        except Refused as exc:
            out.append(exc)
            continue
        a = otlp.attributes(point.attributes)
        base = {"metrics": [{"name": metric.name[:1024], **figures}], "properties": otlp.properties(a)}
        out.append({"name": "Microsoft.ApplicationInsights.Metric", "time": otlp.instant(point.time_unix_nano),
                    "tags": dict(resource), "data": {"baseType": "MetricData", "baseData": base}})  # fmt: skip
    return out


def to_rows(request: ExportMetricsServiceRequest, bounds: TimeBounds | None = None) -> otlp.Mapped:
    """Every data point's row (the exporters' own statistics go to AppSdkStats, as on the track path); a point timed
    outside `bounds` is refused."""
    mapped = otlp.Mapped()
    for rm in request.resource_metrics:
        resource = otlp.resource_tags(otlp.attributes(rm.resource.attributes))
        for sm in rm.scope_metrics:
            for metric in sm.metrics:
                for item in envelopes(metric, resource):
                    if not isinstance(item, Refused):
                        try:
                            mapped.add(*to_row(item, bounds))
                            continue
                        except Refused as exc:
                            item = exc
                    mapped.refuse(str(item), item)
    return mapped
