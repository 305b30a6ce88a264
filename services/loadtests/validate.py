"""Find the first line of a k6 NDJSON or CSV file that is broken, to name it in the message (the failure path only)."""

from __future__ import annotations

import csv
import gzip
import json
import re
import zlib
from collections.abc import Iterator
from datetime import datetime
from typing import Any

from services import uploads
from services.errors import InvalidInput
from services.loadtests.formats import CSV_HEADER
from services.loadtests.schemas import InputFile

CSV_COLUMNS = 19


def _lines(f: InputFile) -> Iterator[tuple[int, bytes]]:
    """The numbered lines of a file, each read within the limits (InvalidInput naming a line that is too long)."""
    limits = uploads.UploadLimits.from_settings()
    with uploads.open_bytes(f.path, name=f.name, limits=limits) as fh:
        for n, line in enumerate(uploads.lines(fh, max_line=limits.max_line), start=1):
            if line is None:
                raise limits.too_long(f.name, n)
            yield n, line


def _point_problem(obj: Any) -> str | None:
    if not isinstance(obj, dict):
        return "not a JSON object"
    kind = obj.get("type")
    data = obj.get("data")
    if kind not in ("Point", "Metric") or not isinstance(data, dict):
        return 'not a k6 line (needs "type": "Point" or "Metric" and a "data" object)'
    if kind == "Metric":
        return None if isinstance(data.get("name"), str) else "a Metric line without data.name"
    if not isinstance(obj.get("metric"), str):
        return "a Point without a metric name"
    value = data.get("value")
    if not isinstance(value, int | float) or isinstance(value, bool):
        return f"data.value is {value!r}, not a number"
    try:
        datetime.fromisoformat(str(data.get("time")).replace("Z", "+00:00"))
    except ValueError:
        return f"data.time {data.get('time')!r} is not an RFC 3339 time"
    return None


_K6_PREFIXES = (b'{"metric":"', b'{"type":"Metric"')


def first_ndjson_problem(f: InputFile, near: int | None = None, *, quick: bool = False) -> tuple[int, str] | None:
    """(line number, what is wrong) for the first broken NDJSON line, or None when every line is fine."""
    # near: the line DuckDB named; only the lines around it are parsed, the others just counted.
    # quick: complete lines that start the way k6 writes them are not parsed (a fast first look for foreign lines).
    n = 0
    try:
        for n, raw in _lines(f):
            if near is not None and not near - 3 <= n <= near + 1:
                if n > near + 1:
                    break
                continue
            if quick and raw.startswith(_K6_PREFIXES) and raw.endswith(b"}\n"):
                continue
            if not raw.strip():
                continue
            try:
                obj = json.loads(raw)
            except (json.JSONDecodeError, UnicodeDecodeError) as exc:
                cut = not raw.endswith(b"\n")
                return n, ("the line is cut short (truncated file)" if cut else f"invalid JSON ({exc})")
            problem = _point_problem(obj)
            if problem:
                return n, problem
    except (EOFError, OSError, zlib.error, gzip.BadGzipFile) as exc:
        return n + 1, f"the gzip data is corrupt or ends early ({exc})"
    return None


def first_csv_problem(f: InputFile) -> tuple[int, str] | None:
    """(line number, what is wrong) for the first broken CSV row, or None."""
    try:
        reader = csv.reader(raw.decode("utf-8") for _, raw in _lines(f))
        for row in reader:
            n = reader.line_num
            if n == 1:
                if not ",".join(row).startswith(CSV_HEADER):
                    return 1, "the header is not k6's (metric_name,timestamp,metric_value,…)"
                continue
            if len(row) != CSV_COLUMNS:
                return n, f"{len(row)} fields instead of {CSV_COLUMNS} (a cut-short or edited row)"
            try:
                float(row[2])
            except ValueError:
                return n, f"metric_value {row[2]!r} is not a number"
            if not row[1].strip().isdigit():
                try:
                    datetime.fromisoformat(row[1].replace("Z", "+00:00"))
                except ValueError:
                    return n, f"timestamp {row[1]!r} is neither unix seconds nor RFC 3339"
    except (EOFError, OSError, zlib.error, gzip.BadGzipFile, UnicodeDecodeError) as exc:
        return -1, f"the data is corrupt or ends early ({exc})"
    return None


def explain(f: InputFile, kind: str, exc: Exception | None) -> InvalidInput:
    """An InvalidInput naming the first broken line (DuckDB's own message when no line is found)."""
    found = None
    hint = re.search(r"\bline (\d+)", str(exc or ""))
    if kind == "ndjson" and hint:
        found = first_ndjson_problem(f, near=int(hint.group(1)))
    if found is None and kind == "ndjson":
        found = first_ndjson_problem(f, quick=True) or first_ndjson_problem(f)
    elif found is None:
        found = first_csv_problem(f)
    what = "k6 NDJSON (--out json)" if kind == "ndjson" else "k6 CSV (--out csv)"
    if found is not None:
        line, problem = found
        where = f"line {line}" if line > 0 else "somewhere"
        return InvalidInput(f"{f.name}: {what} broken at {where}: {problem}. Nothing was imported.")
    detail = str(exc).strip().splitlines()[0] if exc is not None and str(exc).strip() else "unreadable content"
    return InvalidInput(f"{f.name}: cannot read it as {what}: {detail}. Nothing was imported.")
