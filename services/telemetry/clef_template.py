"""Serilog message templates rendered as Serilog renders them: `{Name}`, `{@Name}`, `{$Name}`, `:format`, `,align`.

Strings are quoted (`"value"`) unless the token has the `:l` (literal) format, structures render as
`Type { A: 1, B: "x" }`, sequences as `[1, 2]`, booleans as True/False, a missing property as the token's own
text. `{{` and `}}` are a literal brace. Formats are .NET format strings Python cannot apply; CLEF writes the
formatted text of every token that has a format into `@r`, in token order, and those renderings are used as-is.
"""

from __future__ import annotations

import re
from functools import lru_cache
from typing import Any

_TOKEN = re.compile(r"\{(?P<hint>[@$])?(?P<name>[0-9A-Za-z_]+)(?:,(?P<align>-?[0-9]+))?(?::(?P<fmt>[^{}]*))?\}")
_PIECES = re.compile(r"\{\{|\}\}|\{[^{}]*\}|[^{}]+|[{}]")


class Token:
    """A property token: its name, alignment, format and original text."""

    __slots__ = ("align", "fmt", "name", "raw")

    def __init__(self, name: str, align: int | None, fmt: str | None, raw: str) -> None:
        self.name = name
        self.align = align
        self.fmt = fmt
        self.raw = raw


Part = str | Token


@lru_cache(maxsize=8192)
def parse(template: str) -> tuple[Part, ...]:
    """The template as literal text and property tokens (adjacent text merged)."""
    parts: list[Part] = []
    text: list[str] = []
    for piece in _PIECES.findall(template):
        if piece == "{{":
            text.append("{")
        elif piece == "}}":
            text.append("}")
        elif piece[0] == "{" and len(piece) > 1:
            m = _TOKEN.fullmatch(piece)
            if m is None:
                text.append(piece)  # not a valid token: Serilog prints it as it is
                continue
            if text:
                parts.append("".join(text))
                text = []
            align = m.group("align")
            parts.append(Token(m.group("name"), int(align) if align else None, m.group("fmt"), piece))
        else:
            text.append(piece)
    if text:
        parts.append("".join(text))
    return tuple(parts)


def _string(value: str, fmt: str | None = None) -> str:
    return value if fmt == "l" else '"' + value.replace('"', '\\"') + '"'


def _float(value: float, fmt: str | None = None) -> str:
    return str(int(value)) if value.is_integer() and abs(value) < 1e15 else repr(value)


def _sequence(value: list[Any], fmt: str | None = None) -> str:
    return "[" + ", ".join(render_value(v) for v in value) + "]"


def _structure(value: dict[str, Any], fmt: str | None = None) -> str:
    tag = value.get("$type")
    inner = "{ " + ", ".join(f"{k}: {render_value(v)}" for k, v in value.items() if k != "$type") + " }"
    return f"{tag} {inner}" if isinstance(tag, str) else inner


_BY_TYPE: dict[type, Any] = {
    str: _string,
    int: lambda v, fmt=None: str(v),
    float: _float,
    bool: lambda v, fmt=None: "True" if v else "False",
    type(None): lambda v, fmt=None: "null",
    list: _sequence,
    dict: _structure,
}


def render_value(value: Any, fmt: str | None = None) -> str:
    """One property value as Serilog writes it into a message."""
    return _BY_TYPE.get(type(value), _other)(value, fmt)


def _aligned(text: str, align: int | None) -> str:
    if align is None:
        return text
    return text.rjust(align) if align >= 0 else text.ljust(-align)


def render(template: str, properties: dict[str, Any], renderings: list[Any] | None = None) -> str:
    """The message: each token replaced by its property (or its `@r` rendering when it has a format)."""
    parts = parse(template)
    out: list[str] = []
    r = 0
    for part in parts:
        if type(part) is str:
            out.append(part)
            continue
        assert isinstance(part, Token)
        fmt = part.fmt
        if fmt is not None:
            if renderings is not None and r < len(renderings):
                out.append(str(renderings[r]))  # already formatted and aligned by Serilog
                r += 1
                continue
            r += 1
        value = properties.get(part.name, _MISSING)
        if value is _MISSING:
            out.append(part.raw)
            continue
        text = _BY_TYPE.get(type(value), _other)(value, fmt)
        out.append(text if part.align is None else _aligned(text, part.align))
    return "".join(out)


_MISSING = object()


def _other(value: Any, fmt: str | None = None) -> str:
    return str(value)
