"""Which k6 output a file is (from its content, never its name), and the parsing of summary files.

Semantics kept from k6: in a summary-export a threshold value `false` means it PASSED; for the Rate metric
http_req_failed, `passes` counts FAILED requests (and `value` is the failure rate); submetric thresholds such as
`http_req_duration{name:GET /api/shops}` are metrics of their own in both summary formats.
"""

from __future__ import annotations

import gzip
import json
import zlib
from typing import Any

from services import uploads
from services.errors import InvalidInput
from services.loadtests import thresholds as expr
from services.loadtests.schemas import CheckResult, InputFile, ParsedSummary, ThresholdResult

CSV_HEADER = "metric_name,timestamp,metric_value"
SUMMARY_MAX_MB = 16  # a real summary is a few hundred KB; parsed JSON takes several times its size in memory
_HEAD_BYTES = 64 * 1024


def _head(f: InputFile) -> bytes:
    try:
        if uploads.is_gzip(f.path):
            with gzip.open(f.path, "rb") as fh:
                return fh.read(_HEAD_BYTES)
        with open(f.path, "rb") as fh:
            return fh.read(_HEAD_BYTES)
    except (OSError, EOFError, zlib.error) as exc:
        raise InvalidInput(
            f"{f.name}: starts like gzip but cannot be decompressed ({exc}); it may be cut short or corrupt. "
            "Nothing was imported."
        ) from None


def sniff(f: InputFile) -> str:
    """The k6 output kind of a file: summary_export, handle_summary, ndjson or csv; InvalidInput if none."""
    head = _head(f)
    text = head.decode("utf-8", errors="replace").lstrip("\ufeff").lstrip()
    if not text:
        raise InvalidInput(f"{f.name}: the file is empty; nothing was imported.")
    if text.startswith(CSV_HEADER):
        return "csv"
    if text.startswith("{"):
        first = text.split("\n", 1)[0]
        try:
            obj = json.loads(first)
        except json.JSONDecodeError:
            obj = None
        if isinstance(obj, dict) and obj.get("type") in ("Metric", "Point") and isinstance(obj.get("data"), dict):
            return "ndjson"
        return summary_kind(f, load_json(f))
    named_gz = f.name.lower().endswith(".gz") and not uploads.is_gzip(f.path)
    raise InvalidInput(
        f"{f.name}: not k6 output"
        + (" (the name ends in .gz but the content is not gzip)" if named_gz else "")
        + ": expected a --summary-export or handleSummary JSON, --out json NDJSON or --out csv file (plain or gzip). "
        "Nothing was imported."
    )


def load_json(f: InputFile) -> Any:
    """A whole JSON document (summary files are small: the read stops and refuses past SUMMARY_MAX_MB)."""
    refusal = InvalidInput(
        f"{f.name}: a k6 summary is at most {SUMMARY_MAX_MB} MB; this one is bigger (once decompressed), so it is "
        "not one. Import the file of --summary-export or handleSummary, and raw points as --out json or csv. "
        "Nothing was imported."
    )
    raw = uploads.read_capped(f.path, name=f.name, limit=SUMMARY_MAX_MB << 20, refusal=refusal)
    try:
        return json.loads(raw.decode("utf-8-sig"))
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        where = f"line {exc.lineno}, column {exc.colno}" if isinstance(exc, json.JSONDecodeError) else "encoding"
        raise InvalidInput(
            f"{f.name}: broken JSON at {where} ({getattr(exc, 'msg', exc)}); the file may be cut short. "
            "Nothing was imported."
        ) from None


def summary_kind(f: InputFile, doc: Any) -> str:
    """handle_summary or summary_export, judged by the shape of `metrics`; InvalidInput for other JSON."""
    metrics = doc.get("metrics") if isinstance(doc, dict) else None
    if not isinstance(metrics, dict) or not metrics or not all(isinstance(v, dict) for v in metrics.values()):
        raise InvalidInput(
            f"{f.name}: JSON, but not a k6 summary (no `metrics` object of k6 metrics). "
            "Export one with `k6 run --summary-export=summary.json` or handleSummary. Nothing was imported."
        )
    if all(isinstance(v.get("values"), dict) and "type" in v for v in metrics.values()):
        return "handle_summary"
    known = {"count", "rate", "avg", "med", "min", "max", "value", "passes", "fails", "p(90)", "p(95)"}
    if all(known & set(v) for v in metrics.values()):
        return "summary_export"
    raise InvalidInput(f"{f.name}: the `metrics` object does not look like k6's; nothing was imported.")


def _number(v: Any) -> float | None:
    return float(v) if isinstance(v, int | float) and not isinstance(v, bool) else None


def _values(metric: dict[str, Any], kind: str) -> dict[str, float]:
    raw = metric.get("values", {}) if kind == "handle_summary" else metric
    out = {k: n for k, v in raw.items() if (n := _number(v)) is not None}
    if "passes" in out and "fails" in out and "rate" not in out:
        out["rate"] = out.get("value", 0.0)  # summary-export keeps a Rate metric's rate in `value`
    return out


def _checks(group: dict[str, Any], prefix: str = "") -> list[CheckResult]:
    checks = group.get("checks") or {}
    items = checks.values() if isinstance(checks, dict) else checks
    out = [
        CheckResult(prefix + str(c.get("name", "")), int(c.get("passes", 0)), int(c.get("fails", 0)))
        for c in items
        if isinstance(c, dict)
    ]
    groups = group.get("groups") or {}
    for g in groups.values() if isinstance(groups, dict) else groups:
        if isinstance(g, dict):
            out += _checks(g, f"{prefix}{g.get('name', '')}::")
    return out


def parse_summary(f: InputFile, kind: str) -> ParsedSummary:
    """Metric values, thresholds (with k6's own verdicts) and checks of a summary file."""
    doc = load_json(f)
    metrics: dict[str, dict[str, float]] = {}
    found: list[ThresholdResult] = []
    for name, metric in doc["metrics"].items():
        values = _values(metric, kind)
        metrics[name] = values
        for expression, verdict in (metric.get("thresholds") or {}).items():
            if kind == "handle_summary":
                ok = bool(verdict.get("ok")) if isinstance(verdict, dict) else None
            else:
                ok = not verdict  # summary-export stores "crossed": false means the threshold passed
            found.append(ThresholdResult(name, expression, ok, expr.observed(expression, values), "k6"))
    duration = None
    state = doc.get("state") if isinstance(doc.get("state"), dict) else {}
    if _number(state.get("testRunDurationMs")) is not None:
        duration = float(state["testRunDurationMs"]) / 1000
    else:
        for counter in ("http_reqs", "iterations"):
            v = metrics.get(counter, {})
            if v.get("rate") and v.get("count") is not None:
                duration = v["count"] / v["rate"]
                break
    root = doc.get("root_group") if isinstance(doc.get("root_group"), dict) else {}
    found.sort(key=lambda t: (t.metric, t.expression))
    return ParsedSummary(kind=kind, metrics=metrics, thresholds=found, checks=_checks(root), duration_s=duration)
