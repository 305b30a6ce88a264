"""A make-series result (one row per series, its values and its bins as arrays) as one row per bin, so it charts as
a line over time the way the portal's `render timechart` draws it."""

from __future__ import annotations

from typing import Any

import numpy as np
import orjson
import pandas as pd


def _array(value: Any) -> list[Any] | None:
    if isinstance(value, list | tuple | np.ndarray):
        return list(value)
    if isinstance(value, str) and value.startswith("["):
        try:
            parsed = orjson.loads(value)
        except orjson.JSONDecodeError:
            return None
        return parsed if isinstance(parsed, list) else None
    return None


def long_form(frame: pd.DataFrame) -> pd.DataFrame | None:
    """One row per (series, bin) when `frame` is a make-series result: columns whose every value is an array, the
    arrays of a row of one length, one of them times; with the text columns that name each series. None for any
    other result."""
    if frame.empty:
        return None
    arrays: dict[str, list[list[Any]]] = {}
    for c in frame.columns:
        values = [_array(v) for v in frame[c]]
        if all(v is not None for v in values):
            arrays[c] = values  # type: ignore[assignment]
    if len(arrays) < 2:
        return None
    lengths = {c: [len(v) for v in vs] for c, vs in arrays.items()}
    if len({tuple(n) for n in lengths.values()}) != 1:
        return None
    axis = next((c for c, vs in arrays.items() if _times(vs)), None)
    if axis is None:
        return None
    # the series' keys are the text columns; figures of a whole series (series_stats' min, avg, ...) and bags stay in
    # the table: drawn per bin they would be flat lines beside the series
    keys = [c for c in frame.columns if c not in arrays and all(_key(v) for v in frame[c])]
    series = frame[keys].assign(**{c: pd.Series(vs, index=frame.index) for c, vs in arrays.items()})
    long = series.explode(list(arrays))
    long[axis] = pd.to_datetime(long[axis], utc=True)
    for c in arrays:
        if c != axis:
            long[c] = pd.to_numeric(long[c], errors="coerce")
    return long.reset_index(drop=True)


def _key(value: Any) -> bool:
    """Whether a value can name a series: text, and not a bag (a dynamic object comes as JSON text)."""
    return value is None or (isinstance(value, str) and not value.lstrip().startswith("{"))


def _times(values: list[list[Any]]) -> bool:
    first = next((v[0] for v in values if v), None)
    if isinstance(first, np.datetime64 | pd.Timestamp):
        return True
    if not isinstance(first, str):
        return False
    try:
        pd.Timestamp(first)
    except ValueError:
        return False
    return True


def readable_arrays(frame: pd.DataFrame) -> pd.DataFrame:
    """The frame to show: arrays of times (a make-series axis) as ISO 8601 UTC text, as the portal shows them, instead
    of the raw numbers a table draws for them; everything else as it is."""
    out = frame
    for c in frame.columns:
        if frame[c].dtype != object:
            continue
        present = [v for v in frame[c] if v is not None]
        if not present or not all(isinstance(v, np.ndarray) and v.dtype.kind == "M" for v in present):
            continue
        if out is frame:
            out = frame.copy()
        texts = [
            None if v is None else [np.datetime_as_string(t, unit="s") + "Z" for t in v.astype("datetime64[s]")]
            for v in frame[c]
        ]
        out[c] = pd.Series(texts, index=frame.index, dtype=object)
    return out
