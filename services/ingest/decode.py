"""The body of an Application Insights track call, as each SDK sends it (REFERENCE-next.md §1, from the SDKs' code):

- the Python exporter: a JSON array, `application/json`, not compressed;
- the .NET OpenTelemetry exporter: newline-delimited JSON under an `application/json` header;
- the classic .NET SDK (and Serilog's sink): gzipped newline-delimited JSON, `application/x-json-stream`.

So: gunzip when the header says gzip or the body starts with the gzip magic; a body that is one JSON document is an
array or one envelope; otherwise one envelope per line, indexed by line (the .NET exporter retries a 206 by splitting
its body on '\\n' and taking `errors[].index` as the line).
"""

from __future__ import annotations

import json
import zlib
from dataclasses import dataclass
from typing import Any

import orjson

GZIP_MAGIC = b"\x1f\x8b"


class Unreadable(Exception):
    """A body that holds no envelope at all: answered 400."""


class TooLarge(Exception):
    """A body that decompresses past the limit: answered 413."""


@dataclass(frozen=True)
class Item:
    """One envelope of the body at its index, or why that line is not one."""

    index: int
    envelope: dict[str, Any] | None
    problem: str = ""


def gunzip(body: bytes, max_bytes: int) -> bytes:
    """A gzip body decompressed, refused (TooLarge) past `max_bytes` without decompressing the rest."""
    d = zlib.decompressobj(16 + zlib.MAX_WBITS)
    try:
        out = d.decompress(body, max_bytes + 1)
    except zlib.error as exc:
        raise Unreadable(f"the body says it is gzip but cannot be decompressed ({exc})") from None
    if len(out) > max_bytes or d.unconsumed_tail:
        raise TooLarge(f"the body decompresses to more than {max_bytes >> 20} MB")
    if not d.eof:
        raise Unreadable("the gzip body is cut short")
    return out


def items(body: bytes, *, content_encoding: str = "", max_bytes: int) -> list[Item]:
    """The envelopes of a track body; a line that is not a JSON object is an Item with its problem."""
    if "gzip" in content_encoding.lower() or body[:2] == GZIP_MAGIC:
        body = gunzip(body, max_bytes)
    elif len(body) > max_bytes:
        raise TooLarge(f"the body is more than {max_bytes >> 20} MB")
    try:
        text = body.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise Unreadable("the body is not UTF-8 text") from None
    if not text.strip():
        raise Unreadable("the body is empty")
    try:
        whole = _loads(text)
    except (json.JSONDecodeError, RecursionError):
        whole = None
    else:
        docs = whole if isinstance(whole, list) else [whole]
        return [_item(i, d) for i, d in enumerate(docs)]
    out = []
    for i, line in enumerate(text.split("\n")):
        if not line.strip():
            continue
        try:
            out.append(_item(i, _loads(line)))
        except (json.JSONDecodeError, RecursionError) as exc:
            problem = f"not JSON: {exc.msg}" if isinstance(exc, json.JSONDecodeError) else "nested too deep"
            out.append(Item(i, None, problem))
    if all(item.envelope is None for item in out):
        raise Unreadable("no line of the body is a JSON envelope")
    return out


def _loads(text: str) -> Any:
    # orjson reads strict JSON several times faster; what it refuses (NaN, integers past 64 bits, lone surrogates,
    # deep nesting, or not JSON at all) goes to json, so what is accepted and every message stay the same
    try:
        return orjson.loads(text)
    except orjson.JSONDecodeError:
        return json.loads(text)


def _item(index: int, doc: Any) -> Item:
    if not isinstance(doc, dict):
        return Item(index, None, f"an envelope is a JSON object, not {type(doc).__name__}")
    return Item(index, doc)
