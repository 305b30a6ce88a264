"""duckdb-kql's own syntax tree (`duckdb_kql.parse`, ANTLR contexts), read for the rewrites of constructs.py: spans in
the text, a node's source, function calls and names, and what a query declares."""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

TIME_COLUMNS = frozenset({"TimeGenerated", "timestamp"})
_DATATABLE = re.compile(r"datatable\s*\(([^)]*)\)", re.I)
_DECLARED = re.compile(r"\b([A-Za-z_]\w*)\s*:\s*([a-z]+)")


class Refused(Exception):
    """A construct this layer recognises but cannot write in the engine's KQL; `construct` names it (as the engine
    would) and `offset` is where it starts in the text the user wrote."""

    def __init__(self, construct: str, offset: int, hint: str) -> None:
        super().__init__(hint)
        self.construct = construct
        self.offset = offset
        self.hint = hint


@dataclass(frozen=True)
class Edit:
    """Replace text[start:end] with `text`."""

    start: int
    end: int
    text: str


def kind(node: Any) -> str:
    return type(node).__name__.removesuffix("Context")


def children(node: Any) -> list[Any]:
    return [c for c in (node.getChildren() if hasattr(node, "getChildren") else []) if hasattr(c, "start")]


def walk(node: Any) -> Iterator[Any]:
    yield node
    for c in children(node):
        yield from walk(c)


def span(node: Any) -> tuple[int, int]:
    return node.start.start, node.stop.stop + 1


def src(text: str, node: Any) -> str:
    a, b = span(node)
    return text[a:b]


def direct(node: Any, name: str) -> list[Any]:
    return [c for c in children(node) if kind(c) == name]


def unwrap(node: Any) -> Any:
    """The innermost node spanning the same text (past the grammar's chain of one-child precedence levels)."""
    while True:
        kids = children(node)
        if len(kids) != 1 or span(kids[0]) != span(node) or node.getChildCount() != 1:
            return node
        node = kids[0]


def function_call(node: Any) -> tuple[str, list[Any]] | None:
    """(function name, argument nodes) when the node is a function call."""
    node = unwrap(node)
    if kind(node) != "NamedFunctionCallExpression":
        return None
    name = direct(node, "SimpleNameReference")
    return (src_text(name[0]) if name else "", direct(node, "ArgumentExpression"))


def src_text(node: Any) -> str:
    return str(node.getText())


def name_of(text: str, named: Any) -> tuple[list[str], Any]:
    """A NamedExpression's given names (one, a list, or none) and its expression node."""
    clause = direct(named, "NamedExpressionNameClause")
    kids = [c for c in children(named) if kind(c) != "NamedExpressionNameClause"]
    if not clause:
        return [], kids[0] if kids else named
    names = [src(text, n) for n in walk(clause[0]) if kind(n) == "IdentifierOrExtendedKeywordOrEscapedName"]
    return names, kids[0] if kids else named


def identifier(text: str) -> bool:
    return re.fullmatch(r"[A-Za-z_][A-Za-z0-9_]*", text) is not None


def column_name(expr: str) -> str:
    """The part of a column name Kusto derives from an expression: `DurationMs` -> DurationMs, `a.b` -> a_b."""
    return re.sub(r"\W+", "_", expr).strip("_")


def agg_name(text: str, expr: Any) -> str | None:
    """The column name Kusto gives an unnamed aggregation: count() -> count_, avg(x) -> avg_x."""
    if kind(unwrap(expr)) == "CountExpression":
        return "count_"
    call = function_call(expr)
    if call is None:
        return None
    fn, args = call
    return f"{fn}_{column_name(src(text, args[0]))}" if args else f"{fn}_"


class Context:
    def __init__(self, text: str, tree: Any, schema: dict[str, list[str]]) -> None:
        self.text = text
        self.tree = tree
        self.schema = schema
        self.nodes = list(walk(tree))  # every node once: each rewrite looks through them
        self.tables = {src_text(n) for n in self.nodes if kind(n) == "SimpleNameReference" and src_text(n) in schema}
        names = [
            src(text, n)
            for n in self.nodes
            if kind(n) == "NamedExpressionNameClause"
            for n in walk(n)
            if kind(n) == "IdentifierOrExtendedKeywordOrEscapedName"
        ]
        self.assigned = set(names)
        self.assigned_count = Counter(names)
        self.lets = self._lets()
        # the columns of the query's datatables, and which of them are datetimes
        declared = dict(_DECLARED.findall(" ".join(m for m in _DATATABLE.findall(text))))
        self.declared = set(declared)
        self.times = TIME_COLUMNS | {c for c, t in declared.items() if t == "datetime"}

    def _lets(self) -> dict[str, str]:
        out = {}
        for n in self.nodes:
            if kind(n) == "LetVariableDeclaration" or kind(n) == "LetStatement":
                body = src(self.text, n)
                m = re.match(r"(?:let\s+)?([A-Za-z_]\w*)\s*=\s*(.+?)\s*;?\s*$", body, re.S)
                if m:
                    out[m.group(1)] = m.group(2)
        return out

    def calls(self, name: str, arity: int) -> Iterator[tuple[Any, list[Any]]]:
        """Each call of the function `name` with `arity` arguments: (its node, its argument nodes)."""
        for n in self.nodes:
            found = function_call(n) if kind(n) == "NamedFunctionCallExpression" else None
            if found is not None and found[0] == name and len(found[1]) == arity:
                yield n, found[1]

    def statement_start(self, node: Any) -> int:
        while node is not None and kind(node) != "Statement":
            node = node.parentCtx
        return span(node)[0] if node is not None else 0

    def pipe_upstream(self, operator: Any) -> tuple[int, str]:
        """The start and text of what flows into a piped operator (the pipe expression up to its `|`)."""
        piped = operator
        while piped is not None and kind(piped) != "PipedOperator":
            piped = piped.parentCtx
        pipe = piped.parentCtx
        start = span(pipe)[0]
        return start, self.text[start : span(piped)[0]].rstrip()
