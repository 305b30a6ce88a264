"""The KQL constructs the local engine (duckdb-kql 1.1.2) cannot run, each with the nearest way to write it that runs
on both sources, and where a construct sits in the query text (found in the engine's own parse tree)."""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

from services.telemetry import series_functions
from services.telemetry.kql_engine import duckdb_kql


@dataclass(frozen=True)
class Unsupported:
    """A construct as the user wrote it, and the nearest supported way to write it."""

    label: str
    instead: str


_BIN = "`summarize n = count() by bin(TimeGenerated, 1h)` (one row per bin; a chart draws the empty bins as gaps)"
_PERCENTILES_EXAMPLE = "`summarize p50 = percentile(DurationMs, 50), p95 = percentile(DurationMs, 95)`"

# duckdb-kql's name for a construct (KqlUnsupportedError.construct) -> what to say
KNOWN: dict[str, Unsupported] = {
    "MakeSeriesOperator": Unsupported("make-series", f"use {_BIN}"),
    "aggregate:percentiles": Unsupported(
        "percentiles()", f"use one percentile() per column instead of percentiles(): {_PERCENTILES_EXAMPLE}"
    ),
    "aggregate:percentiles_array": Unsupported(
        "percentiles_array()", f"use one percentile() per column instead: {_PERCENTILES_EXAMPLE}"
    ),
    "aggregate:percentilesw": Unsupported("percentilesw()", "use one percentilew() per column"),
    "aggregate:percentilesw_array": Unsupported("percentilesw_array()", "use one percentilew() per column"),
    "aggregate:makelist": Unsupported("makelist()", "use its current name, make_list()"),
    "aggregate:makeset": Unsupported("makeset()", "use its current name, make_set()"),
    "aggregate:make_list_if": Unsupported(
        "make_list_if()", "filter first: `where <condition> | summarize make_list(x)`"
    ),
    "aggregate:make_set_if": Unsupported("make_set_if()", "filter first: `where <condition> | summarize make_set(x)`"),
    "aggregate:buildschema": Unsupported(
        "buildschema()",
        "list the keys instead: `mv-expand bagexpansion=array Properties | summarize by key = tostring(Properties[0])`",
    ),
    "TopNestedOperatorPart": Unsupported(
        "top-nested", "count by both keys, then keep the largest: `summarize n = count() by a, b | top 10 by n`"
    ),
    "PartitionOperator": Unsupported(
        "partition", "take the top row per key with `summarize arg_max(DurationMs, *) by Name`"
    ),
    "function:repeat": Unsupported("repeat()", 'repeat text with strrep(): `strrep("-", 3)`'),
    "function:notempty": Unsupported("notempty()", "use isnotempty()"),
    "function:columnifexists": Unsupported(
        "columnifexists()", "name the column itself; `<table> | getschema` lists the columns the local store has"
    ),
    "function:pack_all": Unsupported(
        "pack_all()", 'name the columns: `bag_pack("Name", Name, "DurationMs", DurationMs)`'
    ),
    "take": Unsupported(
        "take/limit with a count that is not a number literal", "give the count as a number: `take 10`"
    ),
    "limit": Unsupported(
        "take/limit with a count that is not a number literal", "give the count as a number: `limit 10`"
    ),
    "evaluate narrow": Unsupported(
        "evaluate narrow()",
        'pack the columns and expand them: `extend p = bag_pack("Name", Name, "DurationMs", DurationMs) | '
        "mv-expand bagexpansion=array p | project Column = tostring(p[0]), Value = tostring(p[1])`",
    ),
    "evaluate bag_unpack": Unsupported(
        "evaluate bag_unpack()", "extend the keys you need: `extend account = tostring(Properties.account)`"
    ),
    "evaluate pivot": Unsupported("evaluate pivot()", "summarize by both keys: `summarize n = count() by a, b`"),
    "series": Unsupported(
        "series functions (series_*)",
        f"use {_BIN} instead of make-series and its series; {', '.join(f'{f}()' for f in series_functions.ARITY)}"
        f" run locally {series_functions.EXAMPLE}",
    ),
    # found in the parse error, not in a refusal: the engine's grammar takes one sort key after `top N by`
    "top by keys": Unsupported("`top N by` with several keys", "sort, then take: `sort by a desc, b desc | take 10`"),
    "count column": Unsupported(
        "a column named count used by name",
        "the engine's grammar reads `count` there as the count operator; quote the name: `| where ['count'] > 10`, "
        "or name the column otherwise: `summarize n = count()`",
    ),
    # errors DuckDB raises on what the engine translated
    "in list": Unsupported(
        "`in`/`!in` against a tabular let holding a list",
        "make it a value with toscalar(): `let names = toscalar(T | summarize make_list(Name));` or compare with "
        "a column: `where Name in ((T | distinct Name))`",
    ),
    "timespan by number": Unsupported("a timespan divided by a number", "multiply by the fraction instead: `1h * 0.5`"),
    "computed bin": Unsupported(
        "bin() with a step that is not a timespan literal",
        "write the step itself, not one from toscalar() or a let: `bin(TimeGenerated, 1h)`",
    ),
}

GENERIC = (
    "write it with the operators and functions the local engine supports (docs/kql.md lists what is known not to "
    "run), or run the query on the azure source"
)


def for_construct(construct: str, kql: str, line: int | None, column: int | None) -> Unsupported:
    """What to say about one of the engine's refusals, by its construct name (and the text at its position)."""
    if construct == "EvaluateOperator":
        plugin = _word_after(kql, line, column, "evaluate")
        return KNOWN.get(f"evaluate {plugin}", Unsupported(f"evaluate {plugin}()" if plugin else "evaluate", GENERIC))
    if construct.startswith("function:series_"):
        fn = construct.split(":", 1)[1]
        if fn in series_functions.ARITY:  # runs when applied to the series of a make-series, right after it
            return Unsupported(f"{fn}()", f"it runs locally {series_functions.EXAMPLE}; or use {_BIN}")
        return Unsupported(f"{fn}()", KNOWN["series"].instead)
    if construct in KNOWN:
        return KNOWN[construct]
    kind, _, fn = construct.partition(":")
    if kind == "function" and fn:
        return Unsupported(f"the function {fn}()", GENERIC)
    if kind == "aggregate" and fn:
        return Unsupported(f"the aggregation {fn}()", GENERIC)
    if construct.endswith(("Operator", "OperatorPart")):
        word = _word_after(kql, line, column, "")
        return Unsupported(f"the operator {word}" if word else construct, GENERIC)
    return Unsupported(construct, GENERIC)


def _offset(kql: str, line: int, column: int) -> int:
    lines = kql.split("\n")
    return sum(len(text) + 1 for text in lines[: line - 1]) + column - 1


def _word_after(kql: str, line: int | None, column: int | None, keyword: str) -> str:
    """The word at a 1-based line and column (after `keyword` when one is given)."""
    if line is None or column is None:
        return ""
    m = re.compile(rf"(?:{keyword}\s+)?([A-Za-z_][\w-]*)").match(kql, _offset(kql, line, column))
    return m.group(1) if m else ""


def top_with_keys(kql: str, line: int, column: int) -> bool:
    """Whether a parse error at (line, column) is the comma of a `top N by a, b` (several sort keys)."""
    at = _offset(kql, line, column)
    stage = kql[:at].rsplit("|", 1)[-1]
    return kql[at : at + 1] == "," and re.match(r"\s*top\s+\S+\s+by\s", stage) is not None


_COUNT_NAME = re.compile(r"(?<![\w.'\"\[])count\b(?!\s*\()")


def count_column(kql: str, line: int, column: int) -> bool:
    """Whether a parse error at (line, column) is the pipe of a stage that uses a column named count by name
    (`| where count > 10`): the engine's grammar takes `count` there for the operator."""
    at = _offset(kql, line, column)
    if kql[at : at + 1] != "|":
        return False
    stage = kql[at + 1 :].split("|", 1)[0]
    first = re.match(r"\s*[\w-]+", stage)
    return first is not None and _COUNT_NAME.search(stage, first.end()) is not None


# --- where a construct is, from the engine's parse tree -------------------------------------------------------


@lru_cache(maxsize=16)  # errors repeat (a broken alert rule every cycle): parse a failing text once
def _tree(kql: str) -> Any:
    try:
        return duckdb_kql.parse(kql).tree
    except duckdb_kql.KqlError:
        return None


def _walk(node: Any) -> Iterator[Any]:
    stack = [node]
    while stack:
        n = stack.pop()
        yield n
        stack.extend(reversed(getattr(n, "children", None) or []))


def _first(kql: str, match: Callable[[Any], bool]) -> tuple[int, int] | None:
    tree = _tree(kql)
    for node in _walk(tree) if tree is not None else ():
        if match(node):
            tok = getattr(node, "start", None) or getattr(node, "symbol", None)
            if tok is not None:
                return tok.line, tok.column + 1
    return None


_NAME_RULES = ("SimpleNameReference", "EntityNameReference")  # a column or table; a table after union/join


def _rule(node: Any) -> str:
    return type(node).__name__.removesuffix("Context")


def call_position(kql: str, function: str) -> tuple[int, int] | None:
    """Line and column (1-based) of the first call of `function`."""
    fn = function.lower()
    return _first(
        kql,
        lambda n: (
            _rule(n) == "NamedFunctionCallExpression" and bool(n.children) and n.children[0].getText().lower() == fn
        ),
    )


def name_position(kql: str, name: str) -> tuple[int, int] | None:
    """Line and column of the first reference to the column or table `name`."""
    return _first(kql, lambda n: _rule(n) in _NAME_RULES and n.getText() in (name, f"['{name}']"))


def token_position(kql: str, *texts: str) -> tuple[int, int] | None:
    """Line and column of the first token spelled as one of `texts`."""
    return _first(kql, lambda n: getattr(getattr(n, "symbol", None), "text", None) in texts)


def names_used(kql: str, candidates: set[str]) -> list[str]:
    """The names of `candidates` the query refers to, in order of first appearance."""
    tree = _tree(kql)
    out: list[str] = []
    for node in _walk(tree) if tree is not None else ():
        if _rule(node) in _NAME_RULES and node.getText() in candidates and node.getText() not in out:
            out.append(node.getText())
    return out
