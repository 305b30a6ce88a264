"""Small, hand-made telemetry tables for exact assertions."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from services.telemetry.writer import to_table, write_table

AT = datetime(2026, 11, 1, 12, 0, tzinfo=UTC)


def req(
    minutes_ago: float,
    *,
    name: str = "GET /api/shops",
    ok: bool = True,
    ms: float = 100.0,
    role: str = "mana",
    code: str | None = None,
    version: str = "1.0",
    count: int = 1,
    op: str | None = None,
    **extra: Any,
) -> dict[str, Any]:
    """One AppRequests row, `minutes_ago` before AT."""
    return {
        "TimeGenerated": AT - timedelta(minutes=minutes_ago),
        "AppRoleName": role,
        "Name": name,
        "OperationName": name,
        "Success": ok,
        "ResultCode": code or ("200" if ok else "500"),
        "DurationMs": ms,
        "AppVersion": version,
        "ItemCount": count,
        "OperationId": op,
        **extra,
    }


def write(root: Path, table: str, rows: list[dict[str, Any]], name: str | None = None) -> Path | None:
    """Write rows as one file of the local store."""
    return write_table(root, table, to_table(table, rows), name=name)
