"""One Application Insights envelope as a row of the workspace table Azure puts it in (docs/ingestion.md has the
field-by-field table and the source of each rule).

`name` Microsoft.ApplicationInsights.<Kind> (or `data.baseType` <Kind>Data) picks the table: Request → AppRequests,
RemoteDependency → AppDependencies, Exception → AppExceptions, Message → AppTraces, Event → AppEvents, Metric →
AppMetrics, PageView → AppPageViews, Availability → AppAvailabilityResults. `tags` give the context columns,
`sampleRate` the ItemCount (one item stands for 100 / sampleRate), `baseData.properties` and `.measurements` the
dynamic columns.
"""

from __future__ import annotations

import bisect
import json
import math
import re
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import orjson

BASE_TYPES = {
    "RequestData": "AppRequests",
    "RemoteDependencyData": "AppDependencies",
    "ExceptionData": "AppExceptions",
    "MessageData": "AppTraces",
    "EventData": "AppEvents",
    "MetricData": "AppMetrics",
    "PageViewData": "AppPageViews",
    "PageViewPerfData": "AppPageViews",
    "AvailabilityData": "AppAvailabilityResults",
}
# the exporters' own statistics (statsbeat and customer SDK stats), posted to the same endpoint: kept apart
SDK_STATS = frozenset(
    {"Item_Success_Count", "Item_Failure_Count", "Item_Retry_Count", "Item_Throttle_Count", "Item_Dropped_Count",
     "Request_Success_Count", "Request_Failure_Count", "Requests_Failure_Count", "Request_Duration", "Retry_Count",
     "Throttle_Count", "Exception_Count", "Attach", "Feature"}
)  # fmt: skip
SDK_STATS_TABLE = "AppSdkStats"
SEVERITY = {"verbose": 0, "information": 1, "warning": 2, "error": 3, "critical": 4}
# the PerformanceBucket labels Application Insights gives durations (ms edges)
BUCKET_EDGES = (250, 500, 1000, 3000, 7000, 15000, 30000, 60000, 120000, 300000)
BUCKETS = ("<250ms", "250ms-500ms", "500ms-1sec", "1sec-3sec", "3sec-7sec", "7sec-15sec", "15sec-30sec",
           "30sec-1min", "1min-2min", "2min-5min", ">=5min")  # fmt: skip
_SPAN = re.compile(r"^(?:(\d+)\.)?(\d{1,2}):(\d{2}):(\d{2}(?:\.\d+)?)$")
EARLIEST = datetime(2000, 1, 1, tzinfo=UTC)  # no sender of these protocols ran before; such a time is a broken clock
TOO_EARLY = "before 2000-01-01T00:00:00Z, the earliest accepted: fix the sender's clock"


class Refused(Exception):
    """An envelope that cannot become a row: answered as that item's 400."""


class OutOfBounds(Refused):
    """An envelope timed before 2000 or too far ahead of the server's clock (counted apart from other refusals)."""


def _utc(t: datetime) -> str:
    return t.strftime("%Y-%m-%dT%H:%M:%S") + (f".{t.microsecond:06d}Z" if t.microsecond else "Z")


@dataclass(frozen=True)
class TimeBounds:
    """The times an item may have: from 2000-01-01 to `max_future` after the server's clock at the call."""

    now: datetime
    max_future: timedelta

    def check(self, t: datetime) -> datetime:
        """`t`, or OutOfBounds naming the time and the bound it breaks."""
        if t < EARLIEST:
            raise OutOfBounds(f"time {_utc(t)} is {TOO_EARLY}")
        latest = self.now + self.max_future
        if t > latest:
            minutes = f"{self.max_future.total_seconds() / 60:g}"
            raise OutOfBounds(
                f"time {_utc(t)} is more than {minutes} min ahead of the backoffice's clock (latest accepted "
                f"{_utc(latest)}): fix the sender's clock, or raise SRE_INGEST_MAX_FUTURE_MIN"
            )
        return t


def performance_bucket(ms: float | None) -> str | None:
    """Application Insights' bucket for a duration."""
    return None if ms is None else BUCKETS[bisect.bisect_right(BUCKET_EDGES, ms)]


def duration_ms(value: Any) -> float | None:
    """A TimeSpan text ("0.00:00:00.0090000", "00:00:01.5") or a number of milliseconds, as milliseconds."""
    if value is None or value == "":
        return None
    if isinstance(value, bool):
        raise Refused(f"duration {value!r} is not a TimeSpan")
    if isinstance(value, int | float):
        ms = float(value)
    else:
        m = _SPAN.match(str(value).strip())
        if not m:
            raise Refused(f"duration {value!r} is not a TimeSpan such as 0.00:00:00.123")
        days, hours, minutes, seconds = m.groups()
        ms = ((int(days or 0) * 24 + int(hours)) * 60 + int(minutes)) * 60_000 + float(seconds) * 1000
    if not math.isfinite(ms) or ms < 0:
        raise Refused(f"duration {value!r} is not a length of time")
    return ms


def _time(value: Any, bounds: TimeBounds | None) -> datetime:
    if not isinstance(value, str) or not value:
        raise Refused("the envelope has no time")
    try:
        t = datetime.fromisoformat(value.strip())
    except ValueError:
        raise Refused(f"time {value!r} is not an ISO 8601 instant") from None
    try:
        t = (t if t.tzinfo else t.replace(tzinfo=UTC)).astimezone(UTC)
    except OverflowError:  # 0001-01-01T00:00:00+01:00 has no UTC instant
        raise OutOfBounds(f"time {value!r} is {TOO_EARLY}") from None
    return bounds.check(t) if bounds else t


def _json(value: Any) -> str | None:
    if not value:
        return None
    if type(value) is dict and all(type(v) is str for v in value.values()):
        # orjson writes texts exactly as json.dumps(ensure_ascii=False) does (every code point checked), numbers
        # not always (1e16 against 1e+16): so only for the usual properties, text to text
        try:
            return orjson.dumps(value).decode()
        except TypeError:  # a key that is not a text, a lone surrogate: json's way
            pass
    return json.dumps(value, separators=(",", ":"), ensure_ascii=False)


def _text(value: Any, limit: int = 32_768) -> str | None:
    if value is None:
        return None
    s = value if isinstance(value, str) else str(value)
    return s[:limit]


def item_count(envelope: dict[str, Any]) -> int:
    """How many items this one stands for: 100 / sampleRate (a sampleRate of 25 % keeps one in four)."""
    rate = envelope.get("sampleRate")
    if rate in (None, "", 100, 100.0):
        return 1
    try:
        percent = float(rate)
    except (TypeError, ValueError):
        raise Refused(f"sampleRate {rate!r} is not a percentage") from None
    if not 0 < percent <= 100:
        raise Refused(f"sampleRate {rate!r} is not a percentage in (0, 100]")
    return max(1, round(100.0 / percent))


# the context columns every table has, from the envelope's tags
TAG_COLUMNS = (
    ("AppRoleName", "ai.cloud.role"), ("AppRoleInstance", "ai.cloud.roleInstance"),
    ("AppVersion", "ai.application.ver"), ("OperationId", "ai.operation.id"), ("OperationName", "ai.operation.name"),
    ("ParentId", "ai.operation.parentId"), ("SessionId", "ai.session.id"), ("UserId", "ai.user.id"),
    ("UserAuthenticatedId", "ai.user.authUserId"), ("ClientIP", "ai.location.ip"),
)  # fmt: skip
TEXT_LIMIT = 32_768


def _common(envelope: dict[str, Any], base: dict[str, Any], bounds: TimeBounds | None) -> dict[str, Any]:
    tags = envelope.get("tags") or {}
    if not isinstance(tags, dict):
        raise Refused("tags is not an object")
    row: dict[str, Any] = {"TimeGenerated": _time(envelope.get("time"), bounds)}
    get = tags.get
    for column, tag in TAG_COLUMNS:  # _text inlined for the usual short text: this runs ten times an envelope
        v = get(tag)
        row[column] = v if v is None or (type(v) is str and len(v) <= TEXT_LIMIT) else _text(v)
    device = get("ai.device.type")
    row["ClientType"] = "Browser" if device is not None and str(device).lower() == "browser" else "PC"
    row["SDKVersion"] = _text(get("ai.internal.sdkVersion"))
    row["Properties"] = _json(base.get("properties"))
    return row


def _exception(base: dict[str, Any]) -> dict[str, Any]:
    chain = base.get("exceptions") or []
    if not isinstance(chain, list) or not chain or not all(isinstance(e, dict) for e in chain):
        raise Refused("ExceptionData has no exceptions")
    outer, inner = chain[0], chain[-1]
    frame = (outer.get("parsedStack") or [{}])[0]
    return {
        "ExceptionType": _text(outer.get("typeName")),
        "Message": _text(outer.get("message")),
        "OuterType": _text(outer.get("typeName")),
        "OuterMessage": _text(outer.get("message")),
        "InnermostType": _text(inner.get("typeName")),
        "InnermostMessage": _text(inner.get("message")),
        "Method": _text(frame.get("method")),
        "Assembly": _text(frame.get("assembly")),
        "ProblemId": _text(base.get("problemId")) or _text(outer.get("typeName")),
        "SeverityLevel": _severity(base.get("severityLevel")),
        "Details": _json(chain),
    }


def _severity(value: Any) -> int | None:
    if value is None:
        return None
    if isinstance(value, int) and 0 <= value <= 4:
        return value
    if isinstance(value, str) and value.lower() in SEVERITY:
        return SEVERITY[value.lower()]
    raise Refused(f"severityLevel {value!r} is not 0-4 or Verbose..Critical")


def _own(table: str, base: dict[str, Any]) -> dict[str, Any]:
    if table == "AppRequests":
        ms = duration_ms(base.get("duration"))
        code = _text(base.get("responseCode"))
        success = base.get("success")
        return {"Id": _text(base.get("id")), "Name": _text(base.get("name")), "Url": _text(base.get("url")),
                "Success": bool(success) if success is not None else (code or "200")[:1] in "123",
                "ResultCode": code, "DurationMs": ms, "Source": _text(base.get("source")),
                "PerformanceBucket": performance_bucket(ms)}  # fmt: skip
    if table == "AppDependencies":
        ms = duration_ms(base.get("duration"))
        success = base.get("success")
        return {"Id": _text(base.get("id")), "Name": _text(base.get("name")), "Target": _text(base.get("target")),
                "DependencyType": _text(base.get("type")), "Data": _text(base.get("data")),
                "Success": True if success is None else bool(success), "ResultCode": _text(base.get("resultCode")),
                "DurationMs": ms, "PerformanceBucket": performance_bucket(ms)}  # fmt: skip
    if table == "AppExceptions":
        return _exception(base)
    if table == "AppTraces":
        if base.get("message") is None:
            raise Refused("MessageData has no message")
        return {"Message": _text(base.get("message")), "SeverityLevel": _severity(base.get("severityLevel"))}
    if table == "AppEvents":
        return {"Name": _text(base.get("name"))}
    if table == "AppPageViews":
        ms = duration_ms(base.get("duration"))
        return {"Id": _text(base.get("id")), "Name": _text(base.get("name")), "Url": _text(base.get("url")),
                "DurationMs": ms, "PerformanceBucket": performance_bucket(ms)}  # fmt: skip
    if table == "AppAvailabilityResults":
        ms = duration_ms(base.get("duration"))
        return {"Id": _text(base.get("id")), "Name": _text(base.get("name")),
                "Location": _text(base.get("runLocation")), "Success": bool(base.get("success")),
                "Message": _text(base.get("message")), "DurationMs": ms,
                "PerformanceBucket": performance_bucket(ms)}  # fmt: skip
    raise AssertionError(table)


def _metric(base: dict[str, Any]) -> tuple[str, dict[str, Any]]:
    metrics = base.get("metrics") or []
    if not isinstance(metrics, list) or len(metrics) != 1 or not isinstance(metrics[0], dict):
        raise Refused("MetricData holds one metric in metrics[]")
    m = metrics[0]
    try:
        value = float(m["value"])
    except (KeyError, TypeError, ValueError):
        raise Refused("the metric has no numeric value") from None
    count = int(m.get("count") or 1)
    name = _text(m.get("name")) or ""
    row = {"Name": name, "Sum": value, "Min": float(m.get("min", value)), "Max": float(m.get("max", value)),
           "ItemCount": count}  # fmt: skip
    return (SDK_STATS_TABLE if name in SDK_STATS else "AppMetrics"), row


def to_row(envelope: dict[str, Any], bounds: TimeBounds | None = None) -> tuple[str, dict[str, Any]]:
    """The table and row of one envelope; Refused says why it cannot be one (OutOfBounds: its time is outside
    `bounds`, when given)."""
    data = envelope.get("data")
    if not isinstance(data, dict) or not isinstance(data.get("baseData"), dict):
        raise Refused("the envelope has no data.baseData")
    base_type = data.get("baseType") or str(envelope.get("name", "")).rsplit(".", 1)[-1] + "Data"
    table = BASE_TYPES.get(str(base_type))
    if table is None:
        raise Refused(f"baseType {base_type!r} is not one Application Insights ingests")
    base = data["baseData"]
    row = _common(envelope, base, bounds)
    if table == "AppMetrics":
        table, own = _metric(base)
        row.update(own)
        return table, row
    row.update(_own(table, base))
    row["Measurements"] = _json(base.get("measurements"))
    row["ItemCount"] = item_count(envelope)
    return table, row
