"""Fixtures of the telemetry tests."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from services.telemetry.local import LocalTelemetrySource


@pytest.fixture
def run(tmp_path: Path) -> Any:
    """Run a KQL text (over a datatable, or an empty store) on the local engine: its rows as dicts."""
    source = LocalTelemetrySource(tmp_path)

    def query(kql: str) -> list[dict[str, Any]]:
        return [
            {str(k): v for k, v in row.items()}
            for row in source.query(kql, timespan=None, name="q").frame.to_dict("records")
        ]

    return query
