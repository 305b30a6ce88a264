"""Query results as text: an aligned table, CSV, or a JSON array of row objects."""

from __future__ import annotations

import pandas as pd


def format_frame(frame: pd.DataFrame, fmt: str) -> str:
    """Rows as an aligned table, CSV or a JSON array of objects."""
    if fmt == "csv":
        return frame.to_csv(index=False).rstrip("\n")
    if fmt == "json":
        return frame.to_json(orient="records", date_format="iso", date_unit="us", force_ascii=False) or "[]"
    return "(no rows)" if frame.empty else frame.to_string(index=False)
