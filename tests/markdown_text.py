"""What a reader sees of a Streamlit Markdown string, worked out by a CommonMark parser (markdown-it-py)."""

from __future__ import annotations

from markdown_it import MarkdownIt
from markdown_it.token import Token

# CommonMark plus the GFM parts Streamlit renders (tables, strikethrough); linkify needs linkify-it, left out:
# the browser test covers Streamlit's bare-URL links
MD = MarkdownIt("commonmark").enable(["table", "strikethrough"])
WORD_JOINER = "\u2060"


def _inline(tokens: list[Token]) -> list[Token]:
    out: list[Token] = []
    for t in tokens:
        out.extend(_inline(t.children or []) if t.type == "inline" else [t])
    return out


def shown(markdown: str) -> str:
    """The text a reader sees: markup gone, line breaks as newlines, word joiners (invisible) dropped."""
    parts = []
    for t in _inline(MD.parse(markdown)):
        if t.type in ("text", "code_inline", "html_inline"):
            parts.append(t.content)
        elif t.type in ("softbreak", "hardbreak"):
            parts.append("\n")
        elif t.type == "paragraph_close":
            parts.append("\n\n")
    return "".join(parts).replace(WORD_JOINER, "").strip("\n")


def elements(markdown: str) -> set[str]:
    """The kinds of markup a Markdown string makes (image, link_open, html_inline, strong_open, ...)."""
    return {t.type for t in _inline(MD.parse(markdown)) if t.type not in ("text", "softbreak", "hardbreak")}
