"""inert(): user text shown exactly as typed, with no image, link, HTML, icon, directive or formula in it."""

from __future__ import annotations

import pytest

from app.ui.safe import inert, inert_link
from tests.markdown_text import WORD_JOINER, elements, shown

PAYLOADS = {
    "image": "![x](http://127.0.0.1:9/x.png)",
    "link": "[click me](http://127.0.0.1:9/l)",
    "reference link": "[x][1]\n\n[1]: http://127.0.0.1:9/r.png",
    "html img": "<img src='http://127.0.0.1:9/h.png'>",
    "html block": "<div><img src=x onerror=alert(1)></div>",
    "autolink": "<http://127.0.0.1:9/a>",
    "nested brackets": "[a [b](http://127.0.0.1:9/n)](http://127.0.0.1:9/m) ![![i](http://127.0.0.1:9/i)](u)",
    "backslashes": "\\![x](http://127.0.0.1:9/x.png) \\\\[y](http://127.0.0.1:9/y) ends with \\",
    "code span": "`![x](http://127.0.0.1:9/x.png)` and ``a ` b``",
    "emphasis": "*em* **strong** _under_ ~~gone~~ a*b*c",
    "entities": "&lt;img src=x&gt; &#x5b;x&#x5d;(u) &amp;",
    "headings and lists": "# h1\n## h2\n- item\n+ item\n* item\n1. one\n2) two\n> quote\n---\n===",
    "table": "| a | b |\n|---|---|\n| ![x](http://127.0.0.1:9/t.png) | 2 |",
    "math": "$x^2$ and $$\\int_0^1$$",
    "directives": ":red[red] :blue-background[b] :help[tip] :small[s] ::leaf :::box",
}


@pytest.mark.parametrize("text", PAYLOADS.values(), ids=PAYLOADS.keys())
def test_markup_shows_as_typed_and_makes_no_element(text: str) -> None:
    md = inert(text)
    assert elements(md) <= {"paragraph_open", "paragraph_close", "inline"}, md
    assert shown(md) == text


@pytest.mark.parametrize(
    ("text", "broken"),
    [
        # Streamlit links these after parsing, from the text itself, so escapes alone would not stop it
        ("see http://127.0.0.1:9/b now", "http:" + WORD_JOINER + "//"),
        ("HTTPS://127.0.0.1:9/b", "HTTPS:" + WORD_JOINER + "//"),
        ("www.example.com", "www" + WORD_JOINER + "."),
        ("WWW.example.com", "WWW" + WORD_JOINER + "."),
        ("mail ola@contoso.com", "ola@" + WORD_JOINER + "contoso"),
        # and turns these into emoji, icons or arrows
        (":smile:", ":" + WORD_JOINER + "smile:"),
        (":+1:", ":" + WORD_JOINER + "+1:"),
        (":100:", ":" + WORD_JOINER + "100:"),
        (":material/home:", ":" + WORD_JOINER + "material/home:"),
        (":material_home:", ":" + WORD_JOINER + "material_home:"),
        (":streamlit:", ":" + WORD_JOINER + "streamlit:"),
        ("a -> b", "-" + WORD_JOINER + ">"),
        ("a <-> b", "<" + WORD_JOINER + "->"),
        ("x >= 1", ">" + WORD_JOINER + "="),
    ],
)
def test_text_streamlit_would_rewrite_is_broken_by_an_invisible_word_joiner(text: str, broken: str) -> None:
    md = inert(text)
    assert broken in md.replace("\\", "")  # the backslash escapes aside
    assert shown(md) == text


@pytest.mark.parametrize(
    "text",
    ["12:00:00 UTC", "SRE_DATABASE_URL is not set", "POST /api/orders", "v2026.11.4", "Saved 'my count'; ok."],
)
def test_ordinary_text_is_left_as_it_is(text: str) -> None:
    assert inert(text) == text


def test_line_breaks_are_kept_and_indentation_makes_no_code_block() -> None:
    md = inert("first\n    indented ![x](http://127.0.0.1:9/x.png)\r\nthird\n")
    assert "code_block" not in elements(md)
    assert shown(md) == "first\nindented ![x](http://127.0.0.1:9/x.png)\nthird"


def test_anything_is_turned_into_text_first() -> None:
    assert shown(inert(ValueError("no [x](y)"))) == "no [x](y)"
    assert inert(None) == "None"


def test_very_long_hostile_input_stays_text() -> None:
    text = "[" * 50_000 + "![x](http://127.0.0.1:9/x.png)" + "]" * 50_000 + ":a:" * 20_000 + "\\" * 10_001
    md = inert(text)
    assert elements(md) <= {"paragraph_open", "paragraph_close", "inline"}
    assert shown(md) == text


def test_a_link_to_an_http_url_keeps_its_url_and_cannot_be_closed_early() -> None:
    url = "https://github.com/contoso/mana/issues/1?q=(a b)> ![i](http://127.0.0.1:9/i.png)"
    md = inert_link("github #1 ![x](http://127.0.0.1:9/x.png)", url)
    tokens = [t for t in elements(md) if t not in ("paragraph_open", "paragraph_close", "inline")]
    assert sorted(tokens) == ["link_close", "link_open"]
    assert shown(md) == "github #1 ![x](http://127.0.0.1:9/x.png)"
    encoded = "https://github.com/contoso/mana/issues/1?q=%28a%20b%29%3E%20!%5Bi%5D%28http://127.0.0.1:9/i.png%29"
    assert f"(<{encoded}>)" in md


@pytest.mark.parametrize("url", ["javascript:alert(1)", "data:image/png;base64,AAAA", "//127.0.0.1:9/x"])
def test_a_url_that_is_not_http_is_shown_not_linked(url: str) -> None:
    md = inert_link("board issue", url)
    assert elements(md) <= {"paragraph_open", "paragraph_close", "inline"}
    assert shown(md) == f"board issue ({url})"
