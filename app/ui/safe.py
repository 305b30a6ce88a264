"""User text into Streamlit Markdown that renders as typed: no image, link, HTML, icon, colour or formula."""

from __future__ import annotations

import re
from urllib.parse import quote, urlsplit

# Backslash escapes (CommonMark) for every character that starts inline syntax anywhere in a line: images and
# links need [ ], HTML and autolinks <, entities &, emphasis * _ ~, code `, tables |, headings #, KaTeX $.
_ESCAPES = str.maketrans({c: "\\" + c for c in "\\`*[]<>&#|~$"})
# an underscore between letters or digits (SRE_DATABASE_URL) cannot start emphasis, so it stays as typed
_UNDERSCORE = re.compile(r"(?<![^\W_])_|_(?![^\W_])")
# and those that only count at the start of a line: list items, setext underlines, ordered lists ("1." "1)")
_LINE_START = re.compile(r"^([-+=](?=[-=\s]|$)|\d{1,9}(?=[.)](?:\s|$)))")
# Streamlit's remark plugins also rewrite the *text* after parsing, where escapes are gone: bare URLs and www.
# become links, e-mail addresses mailto: links, :name: emoji, :material/x: and :streamlit: icons, :red[...]
# directives colours, " -> " an arrow. A word joiner (U+2060, zero-width, invisible) between the characters
# each pattern needs breaks it. Times such as 12:00:00 stay as they are (digits only between the colons).
_JOIN = "\u2060"
_TEXT_REWRITES = re.compile(
    r"(?<=:)(?=/|[A-Za-z]|[\w+-]*[A-Za-z_+-][\w+-]*:|100:|1234:)"  # http://, :red[...], :material/x:, :smile:, :100:
    r"|(?i:(?<=www))(?=\.)"  # www.example.com
    r"|(?<=@)(?=[-\w])"  # user@example.com
    r"|(?<=(?<!\S)[<>~-])(?=[->=]+(?!\S))"  # <-> -> <- -- >= <= ~= between spaces
)


def _line(text: str) -> str:
    # leading blanks would start a code block; a paragraph drops them anyway
    text = text.lstrip(" \t")
    escaped = _UNDERSCORE.sub(r"\\_", _TEXT_REWRITES.sub(_JOIN, text).translate(_ESCAPES))
    return _LINE_START.sub(lambda m: m[1] + "\\" if m[1].isdigit() else "\\" + m[1], escaped)


def inert(text: object) -> str:
    """Markdown that shows `text` literally (line breaks kept) and makes the browser fetch nothing."""
    lines = str(text).replace("\r\n", "\n").replace("\r", "\n").rstrip("\n").split("\n")
    return "  \n".join(_line(line) for line in lines)


def inert_link(label: object, url: str) -> str:
    """A Markdown link to an http(s) URL with an inert label; any other URL is shown as inert text, not linked."""
    if urlsplit(url).scheme.lower() not in ("http", "https"):
        return inert(f"{label} ({url})")
    # percent-encoding brackets, parentheses and spaces keeps the URL from closing the link early
    return f"[{inert(label)}](<{quote(url, safe=':/?#@!$&*+,;=%~-._')}>)"
