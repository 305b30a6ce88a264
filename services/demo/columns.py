"""Vectorised column builders: hex ids, string joins, per-minute aggregates and whole tables in the store's schema."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, datetime, timedelta
from typing import TypeAlias

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from services.telemetry.schema import TS, arrow_type, table_schema

MIN_US = 60_000_000
EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
_HEX = np.frombuffer(b"0123456789abcdef", dtype=np.uint8)
_M1, _M2, _GOLDEN = np.uint64(0xBF58476D1CE4E5B9), np.uint64(0x94D049BB133111EB), np.uint64(0x9E3779B97F4A7C15)

Part: TypeAlias = str | pa.Array | pa.ChunkedArray


def utc(value: datetime) -> datetime:
    """An aware UTC datetime (a naive one is taken as UTC)."""
    return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


def to_us(value: datetime) -> int:
    """Microseconds since the epoch."""
    return (utc(value) - EPOCH) // timedelta(microseconds=1)


def hex_strings(raw: np.ndarray) -> pa.Array:
    """Each row of a (n, k) uint8 array as 2k lowercase hex characters."""
    n, k = raw.shape
    chars = np.empty((n, 2 * k), dtype=np.uint8)
    chars[:, 0::2] = _HEX[raw >> 4]
    chars[:, 1::2] = _HEX[raw & 15]
    offsets = np.arange(n + 1, dtype=np.int32) * np.int32(2 * k)
    return pa.StringArray.from_buffers(n, pa.py_buffer(offsets), pa.py_buffer(np.ascontiguousarray(chars)))


def random_hex(rng: np.random.Generator, n: int, nbytes: int) -> pa.Array:
    """n random ids of 2*nbytes hex characters (W3C: 16 bytes for a trace id, 8 for a span id)."""
    return hex_strings(np.frombuffer(rng.bytes(n * nbytes), dtype=np.uint8).reshape(n, nbytes))


def mix64(x: np.ndarray) -> np.ndarray:
    """splitmix64's finaliser: a stateless hash of uint64 values (for ids derived from other columns)."""
    z = x.astype(np.uint64) + _GOLDEN
    z = (z ^ (z >> np.uint64(30))) * _M1
    z = (z ^ (z >> np.uint64(27))) * _M2
    return z ^ (z >> np.uint64(31))


def hashed_hex(x: np.ndarray) -> pa.Array:
    """16 hex characters derived from each uint64 value."""
    words = mix64(x).astype(">u8")
    return hex_strings(words.view(np.uint8).reshape(len(x), 8))


def join(*parts: Part) -> pa.Array:
    """Element-wise concatenation of string arrays and literals (null if any part is null)."""
    out = pc.binary_join_element_wise(*parts, "")
    return out.combine_chunks() if isinstance(out, pa.ChunkedArray) else out


def text(values: np.ndarray) -> pa.Array:
    """Numbers as their shortest decimal text."""
    return pc.cast(pa.array(values), pa.string())


def pick_text(table: tuple[str, ...] | list[str], idx: np.ndarray) -> pa.Array:
    """table[idx] for every index, as a string array."""
    return pa.array(table, pa.string()).take(pa.array(idx, pa.int64()))


def timestamps(us: np.ndarray) -> pa.Array:
    return pa.array(us.astype(np.int64), arrow_type(TS))


def per_minute(
    time_us: np.ndarray, group: np.ndarray, values: np.ndarray
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Sum, min, max and count of `values` per (minute, group): (row, minute_us, sum, min, max, count).

    `row` is the position of one member of each group, to copy its context from.
    """
    if len(values) == 0:
        e = np.zeros(0, dtype=np.int64)
        f = np.zeros(0, dtype=np.float64)
        return e, e, f, f, f, e
    key = (time_us // MIN_US) * 64 + group
    order = np.argsort(key, kind="stable")
    k, v = key[order], values[order]
    starts = np.flatnonzero(np.r_[True, k[1:] != k[:-1]])
    counts = np.diff(np.r_[starts, len(k)])
    return (
        order[starts],
        (k[starts] // 64) * MIN_US,
        np.add.reduceat(v, starts),
        np.minimum.reduceat(v, starts),
        np.maximum.reduceat(v, starts),
        counts.astype(np.int64),
    )


def build(table: str, n: int, columns: Mapping[str, pa.Array | None], constants: Mapping[str, object]) -> pa.Table:
    """A table in the store's schema: given arrays, constants repeated, ItemCount 1, Type, the rest null."""
    arrays = []
    for f in table_schema(table):
        value = columns.get(f.name)
        if value is not None:
            arr = value if value.type == f.type else value.cast(f.type)
        elif f.name == "Type":
            arr = pa.repeat(pa.scalar(table, f.type), n)
        elif f.name in constants:
            arr = pa.repeat(pa.scalar(constants[f.name], f.type), n)
        elif f.name == "ItemCount":
            arr = pa.repeat(pa.scalar(1, f.type), n)
        else:
            arr = pa.nulls(n, f.type)
        if len(arr) != n:
            raise ValueError(f"{table}.{f.name}: {len(arr)} values for {n} rows")
        arrays.append(arr)
    return pa.Table.from_arrays(arrays, schema=table_schema(table))
