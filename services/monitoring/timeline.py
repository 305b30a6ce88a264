"""One transaction's items as a tree (nested by ParentId) and as Gantt rows (start to start + duration)."""

from __future__ import annotations

import json
from typing import Any

import pandas as pd

ITEM_QUERIES = {
    "request": "transaction_requests",
    "dependency": "transaction_dependencies",
    "exception": "transaction_exceptions",
    "trace": "transaction_traces",
    "event": "transaction_events",
}
KIND_ORDER = {kind: i for i, kind in enumerate(ITEM_QUERIES)}
COLUMNS = [
    "item_type",
    "start",
    "duration_ms",
    "id",
    "parent_id",
    "role",
    "name",
    "detail",
    "result_code",
    "success",
    "failed",
    "message",
    "stack",
    "properties",
]
TRACE_ERROR_LEVEL = 3  # SeverityLevel 3 (error) and 4 (critical) mark a trace as a failure


def _text(value: Any) -> str:
    return "" if value is None or (isinstance(value, float) and pd.isna(value)) else str(value)


def properties(value: Any) -> dict[str, Any]:
    """A Properties (dynamic) value as a dict; text that is not a JSON object becomes {'value': text}."""
    if isinstance(value, dict):
        return value
    text = _text(value)
    if not text:
        return {}
    try:
        parsed = json.loads(text)
    except ValueError:
        return {"value": text}
    return parsed if isinstance(parsed, dict) else {"value": parsed}


def stack(details: Any) -> str:
    """The stack of an exception's Details (Application Insights parsedStack), one frame a line."""
    text = _text(details)
    if not text:
        return ""
    try:
        parsed = json.loads(text)
    except ValueError:
        return text
    lines: list[str] = []
    for exc in parsed if isinstance(parsed, list) else [parsed]:
        if not isinstance(exc, dict):
            continue
        lines.append(f"{exc.get('type', '')}: {exc.get('message', '')}".strip(": "))
        for frame in exc.get("parsedStack") or []:
            where = f" in {frame['fileName']}:{frame.get('line', '')}" if frame.get("fileName") else ""
            lines.append(f"   at {frame.get('method', '?')}{where}")
    return "\n".join(lines)


def _rows(kind: str, frame: pd.DataFrame) -> list[dict[str, Any]]:
    out = []
    for r in frame.to_dict("records"):
        success = r.get("Success")
        severity = r.get("SeverityLevel")
        row = {
            "item_type": kind,
            "start": r["TimeGenerated"],
            "duration_ms": float(r.get("DurationMs") or 0.0) if kind in ("request", "dependency") else 0.0,
            "id": _text(r.get("Id")),
            "parent_id": _text(r.get("ParentId")),
            "role": _text(r.get("AppRoleName")),
            "name": _text(r.get("Name") or r.get("ExceptionType")) or kind,
            "detail": _text(r.get("Url") or r.get("Data") or r.get("Target")),
            "result_code": _text(r.get("ResultCode")),
            "success": None if success is None or pd.isna(success) else bool(success),
            "failed": False,
            "message": _text(r.get("Message") or r.get("OuterMessage")),
            "stack": stack(r.get("Details")) if kind == "exception" else "",
            "properties": properties(r.get("Properties")),
        }
        if kind == "dependency":
            row["name"] = f"{_text(r.get('DependencyType'))} {_text(r.get('Target'))}: {_text(r.get('Name'))}".strip()
        if kind == "trace":
            row["name"] = f"trace (level {_text(severity)})"
        row["failed"] = (
            kind == "exception"
            or row["success"] is False
            or (
                kind == "trace"
                and severity is not None
                and not pd.isna(severity)
                and int(severity) >= TRACE_ERROR_LEVEL
            )
        )
        out.append(row)
    return out


def unify(parts: dict[str, pd.DataFrame], operation_id: str) -> pd.DataFrame:
    """The items of one OperationId from the per-table frames, in tree order with a `depth` column."""
    rows = [row for kind, frame in parts.items() if not frame.empty for row in _rows(kind, frame)]
    if not rows:
        return pd.DataFrame(columns=[*COLUMNS, "depth"])
    return nest(pd.DataFrame(rows, columns=COLUMNS), operation_id)


def nest(items: pd.DataFrame, operation_id: str = "") -> pd.DataFrame:
    """Items in depth-first order by ParentId -> Id, with `depth` (0 for roots: a parent that is no item here)."""
    items = items.reset_index(drop=True)
    ids = {i: n for n, i in enumerate(items["id"]) if i}
    children: dict[int | None, list[int]] = {}
    for n, parent in enumerate(items["parent_id"]):
        p = ids.get(parent) if parent and parent != operation_id else None
        children.setdefault(p if p != n else None, []).append(n)

    def key(n: int) -> tuple[Any, int]:
        return items.at[n, "start"], KIND_ORDER.get(str(items.at[n, "item_type"]), 9)

    order: list[tuple[int, int]] = []
    seen: set[int] = set()

    def walk(parent: int | None, depth: int) -> None:
        for n in sorted(children.get(parent, []), key=key):
            if n in seen:
                continue
            seen.add(n)
            order.append((n, depth))
            walk(n, depth + 1)

    walk(None, 0)
    for n in sorted(set(range(len(items))) - seen, key=key):  # items in a ParentId cycle: show them as roots
        if n not in seen:
            seen.add(n)
            order.append((n, 0))
            walk(n, 1)
    out = items.loc[[n for n, _ in order]].reset_index(drop=True)
    out["depth"] = [d for _, d in order]
    return out


def gantt(items: pd.DataFrame) -> pd.DataFrame:
    """One row per item: label indented by depth, offset and end in ms from the first item, and its mark."""
    if items.empty:
        return pd.DataFrame(columns=["row", "label", "item_type", "offset_ms", "end_ms", "duration_ms", "failed"])
    t0 = items["start"].min()
    offset = (items["start"] - t0).dt.total_seconds() * 1000.0
    icon = {"request": "▶", "dependency": "↳", "exception": "✖", "trace": "·", "event": "★"}
    labels = [
        f"{n:02d} " + "\u2003" * int(d) + f"{icon.get(k, '')} {name}"
        for n, (d, k, name) in enumerate(zip(items["depth"], items["item_type"], items["name"], strict=True))
    ]
    return pd.DataFrame(
        {
            "row": range(len(items)),
            "label": labels,
            "item_type": items["item_type"],
            "offset_ms": offset.round(3),
            "end_ms": (offset + items["duration_ms"]).round(3),
            "duration_ms": items["duration_ms"],
            "failed": items["failed"],
        }
    )
