"""The KQL constructs duckdb-kql (1.1.2, its newest release) refuses, written as the KQL it runs, before it translates.

A layer over the engine, not a parser: the syntax tree is duckdb-kql's own (`duckdb_kql.parse`), and each rewrite
replaces the text of one node with KQL that means the same on Azure, following the Kusto reference:

- `makelist()`/`makeset()` are the deprecated names of `make_list()`/`make_set()`; `notempty()`/`notnull()` of
  `isnotempty()`/`isnotnull()`.
- `percentiles(x, 50, 95)` in a summarize is `percentile_x_50 = percentile(x, 50), percentile_x_95 = ...` (the
  column names Kusto gives; `(p50, p95) = percentiles(...)` names them); `percentiles_array(x, 50, 95)` (or
  `dynamic([50, 95])`) is `percentiles_x = pack_array(percentile(x, 50), percentile(x, 95))`.
- `take`/`limit` with a computed count: the count, which may not read a table, is evaluated once here.
- `repeat(v, n)` builds its array from `strrep()` of `v`'s JSON text.
- `columnifexists("c", d)` is `c` when a table the query reads or a column it assigns has that name, else `d`.
- A timespan divided by a number (`1h / 2`, a `let` of a timespan literal, `totimespan(...)`) is a product.
- `bin(t, step)` of a time column with a step from `toscalar()` or a `let` is computed in microseconds.
- `top-nested` (one or two levels; `with others` is refused) is summarize, top and a ranking join.
- `make-series` is a summarize per bin, the grid of bins from `range`, a left outer join filling `default`, and
  `make_list` in bin order; without `from`/`to` each series spans its own first to last bin with data; `in range()`
  bins by bin() up to stop inclusive.
- `range i from 0m to 1h step 5m` (timespans, which DuckDB cannot make a series of) is a range of microseconds.
- A `range` whose size can be computed now is refused past MAX_RANGE_ROWS: the engine builds it in memory.

The position of a later error is mapped back to the text the user wrote (`Rewritten.original_offset`).
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any

from services.telemetry import construct_operators as ops
from services.telemetry.kql import literal
from services.telemetry.kql_engine import duckdb_kql
from services.telemetry.kql_tree import (
    Context,
    Edit,
    Refused,
    children,
    column_name,
    direct,
    function_call,
    identifier,
    kind,
    name_of,
    span,
    src,
    src_text,
    unwrap,
)

MAX_ROUNDS = 16
MAX_RANGE_ROWS = 1 << 20
RENAMED = {"makelist": "make_list", "makeset": "make_set", "notempty": "isnotempty", "notnull": "isnotnull"}
# a text none of these match has none of the constructs, and is not parsed here (the engine parses it once)
_TS = r"\d+(?:\.\d+)?(?:days?|d|hours?|h|minutes?|min|m|seconds?|s|milliseconds?|ms|microseconds?|ticks?)\b"
_MAYBE = re.compile(
    r"\b(?:makelist|makeset|notempty|notnull|percentiles(?:_array)?|repeat|columnifexists)\s*\("
    r"|\btop-nested\b|\bmake-series\b"
    r"|\b(?:take|limit)\s+(?!\d+\s*(?:\||;|\)|$))"
    r"|\bbin\s*\([^,()]+,\s*(?!\d)|\brange\s+\w+\s+from\b"
    rf"|{_TS}\s*/|\btotimespan\s*\(|\blet\s+\w+\s*=\s*{_TS}",
    re.I,
)


@dataclass
class Rewritten:
    """The text the engine is given, with the edits of each round, to map a position back to the original."""

    original: str
    text: str
    rounds: list[list[Edit]] = field(default_factory=list)

    @property
    def changed(self) -> bool:
        return bool(self.rounds)

    def original_offset(self, offset: int) -> int:
        """Where a position of the rewritten text was in the original: inside a replaced node, that node's start."""
        for edits in reversed(self.rounds):
            shift = 0
            for e in sorted(edits, key=lambda e: e.start):
                new_start = e.start + shift
                new_end = new_start + len(e.text)
                if offset < new_start:
                    break
                if offset < new_end:
                    offset = e.start + shift  # moved below by -shift
                    break
                shift += len(e.text) - (e.end - e.start)
            offset -= shift
        return max(0, min(offset, len(self.original)))

    def original_position(self, line: int, column: int) -> tuple[int, int]:
        """(line, 0-based column) of the rewritten text, as a (line, 0-based column) of the original."""
        offset = _offset(self.text, line, column)
        before = self.original[: self.original_offset(offset)]
        return before.count("\n") + 1, len(before) - (before.rfind("\n") + 1)


def _offset(text: str, line: int, column: int) -> int:
    lines = text.split("\n")
    return sum(len(x) + 1 for x in lines[: max(0, line - 1)]) + column


# --- the rewrites ----------------------------------------------------------------------------------------------


def _renames(ctx: Context) -> Iterator[Edit]:
    for n in ctx.nodes:
        if kind(n) == "NamedFunctionCallExpression":
            name = direct(n, "SimpleNameReference")
            if name and src_text(name[0]) in RENAMED:
                a, b = span(name[0])
                yield Edit(a, b, RENAMED[src_text(name[0])])


def _percent_args(text: str, args: list[Any]) -> list[str]:
    values = [src(text, a).strip() for a in args[1:]]
    if len(values) == 1 and values[0].startswith("dynamic"):
        inner = values[0][len("dynamic") :].strip().strip("()")
        values = [str(v) for v in json.loads(inner)]
    return values


def _percentiles(ctx: Context) -> Iterator[Edit]:
    text = ctx.text
    for n in ctx.nodes:
        if kind(n) != "NamedExpression" or kind(n.parentCtx) not in ("SummarizeOperator",):
            continue
        names, expr = name_of(text, n)
        call = function_call(expr)
        if call is None or call[0] not in ("percentiles", "percentiles_array") or len(call[1]) < 2:
            continue
        fn, args = call
        column = src(text, args[0]).strip()
        points = _percent_args(text, args)
        parts = [f"percentile({column}, {p})" for p in points]
        a, b = span(n)
        if fn == "percentiles_array":
            name = names[0] if names else f"percentiles_{column_name(column)}"
            yield Edit(a, b, f"{name} = pack_array({', '.join(parts)})")
            continue
        if names and len(names) != len(points):
            raise Refused("percentiles()", a, f"name each of the {len(points)} percentiles: `(p50, p95) = ...`")
        labels = names or [f"percentile_{column_name(column)}_{p.replace('.', '_')}" for p in points]
        yield Edit(a, b, ", ".join(f"{label} = {part}" for label, part in zip(labels, parts, strict=True)))


def _takes(ctx: Context) -> Iterator[Edit]:
    for n in ctx.nodes:
        if kind(n) not in ("TakeOperator", "LimitOperator"):
            continue
        count = direct(n, "NamedExpression")
        if not count or kind(unwrap(count[0])) == "LongLiteralExpression":
            continue
        a, b = span(count[0])
        yield Edit(a, b, str(_evaluate(ctx, src(ctx.text, count[0]), a)))


def _scalar(ctx: Context, expr: str) -> Any:
    """The value of an expression that reads no table, computed now (with the query's `let`s of scalars); None when
    it cannot be (it reads a table, or does not translate)."""
    import duckdb

    lets = "".join(f"let {k} = {v};\n" for k, v in ctx.lets.items() if not any(t in v for t in ctx.tables))
    try:
        rows = duckdb_kql.kql(duckdb.connect(), f"{lets}print __v = {expr}").fetchall()
    except Exception:
        return None
    return rows[0][0] if rows else None


def _evaluate(ctx: Context, expr: str, offset: int) -> int:
    """A take's count that reads no table, computed now."""
    value = _scalar(ctx, f"tolong({expr})")
    if value is None:
        raise Refused(
            "take/limit with a count that is not a number literal",
            offset,
            "the count must be a number or computed without reading a table",
        )
    return max(0, int(value))


def _range_sizes(ctx: Context) -> Iterator[Edit]:
    """No edit: a `range` whose rows can be counted now is refused past MAX_RANGE_ROWS. duckdb-kql builds a range as
    one list in memory (10 million rows: about 850 MB, outside DuckDB's memory limit), so a typo in a bound must not
    take the process down."""
    for n in ctx.nodes:
        if kind(n) != "RangeExpression":
            continue
        m = _RANGE.fullmatch(src(ctx.text, n).strip())
        if m is None:
            continue
        _, start, stop, step = (g.strip() for g in m.groups())
        rows = _scalar(ctx, f"(({stop}) - ({start})) / ({step})")
        if isinstance(rows, int | float) and rows + 1 > MAX_RANGE_ROWS:
            raise Refused(
                "range",
                span(n)[0],
                f"it would make {int(rows) + 1:,} rows, and the local engine builds a range in memory: at most "
                f"{MAX_RANGE_ROWS:,} (Kusto's limit for a series); use a larger step or a shorter span",
            )
    return
    yield


MAX_PACKED_REPEAT = 64  # repeat(column, n) as pack_array(column, ...): the engine's SQL grows with each argument


def _repeats(ctx: Context) -> Iterator[Edit]:
    """repeat(v, n) as the JSON text of v repeated: v's text is computed now when v reads no column (the engine nests
    each function's argument in its SQL several times, so a text built from v in the query was 320 KB of SQL and 20 s
    to bind); a column's value n times in a pack_array when n is a number up to MAX_PACKED_REPEAT."""
    for n, args in ctx.calls("repeat", 2):
        value, count = (src(ctx.text, a) for a in args)
        a, b = span(n)
        packed = _scalar(ctx, f"tostring(pack_array({value}))")
        times = _scalar(ctx, f"tolong({count})")
        if isinstance(packed, str) and packed.startswith("[") and packed.endswith("]"):
            item = packed[1:-1]
            built = f"todynamic(strcat('[', strrep({literal(item + ',')}, ({count}) - 1), {literal(item)}, ']'))"
        elif isinstance(times, int) and times <= MAX_PACKED_REPEAT:
            yield Edit(a, b, f"pack_array({', '.join([value] * times)})" if times > 0 else "dynamic([])")
            continue
        else:
            item = f"substring(tostring(pack_array({value})), 1, strlen(tostring(pack_array({value}))) - 2)"
            built = f"todynamic(strcat('[', strrep(strcat({item}, ','), ({count}) - 1), {item}, ']'))"
        yield Edit(a, b, f"iff(({count}) <= 0, dynamic([]), {built})")


def _columnifexists(ctx: Context) -> Iterator[Edit]:
    known = {c for t in ctx.tables for c in ctx.schema[t]} | ctx.declared
    for n, args in ctx.calls("columnifexists", 2):
        column = src(ctx.text, args[0]).strip().strip("'\"")
        default = src(ctx.text, args[1])
        # a column the query assigns exists, unless that assignment is this call's own (x = columnifexists("x", 0))
        assigned = ctx.assigned_count.get(column, 0) - (_assigns(ctx, n) == column)
        a, b = span(n)
        exists = column in known or assigned > 0
        yield Edit(a, b, (column if identifier(column) else f"['{column}']") if exists else default)


def _assigns(ctx: Context, node: Any) -> str | None:
    """The name the NamedExpression holding `node` assigns, if any."""
    while node is not None and kind(node) != "NamedExpression":
        node = node.parentCtx
    names = name_of(ctx.text, node)[0] if node is not None else []
    return names[0] if names else None


def _timespan_like(ctx: Context, text: str) -> bool:
    text = text.strip()
    if re.fullmatch(_TS, text):
        return True
    if re.fullmatch(r"(totimespan|timespan|time)\s*\(.*\)", text, re.S):
        return True
    return text in ctx.lets and _timespan_like(ctx, ctx.lets[text]) if identifier(text) else False


def _divisions(ctx: Context) -> Iterator[Edit]:
    for n in ctx.nodes:
        if kind(n) != "MultiplicativeExpression" or n.getChildCount() < 2:
            continue
        kids = children(n)
        left = kids[0]
        for op in kids[1:]:
            if kind(op) != "MultiplicativeOperation" or not src(ctx.text, op).lstrip().startswith("/"):
                break
            divisor = src(ctx.text, op).lstrip()[1:]
            if not _timespan_like(ctx, src(ctx.text, left)) or _timespan_like(ctx, divisor):
                break
            a, b = span(op)
            yield Edit(a, b, f"* (1.0 / ({divisor.strip()}))")
            break


_RANGE = re.compile(r"range\s+(\w+)\s+from\s+(.+?)\s+to\s+(.+?)\s+step\s+(.+)", re.S)


def _timespan_ranges(ctx: Context) -> Iterator[Edit]:
    """`range i from 0m to 1h step 5m`: DuckDB has no series of intervals, so it is a series of microseconds."""
    for n in ctx.nodes:
        if kind(n) != "RangeExpression":
            continue
        m = _RANGE.fullmatch(src(ctx.text, n).strip())
        if m is None or not _timespan_like(ctx, m.group(2)):  # from a timespan (a datetime range steps by one too)
            continue
        name, *bounds = m.groups()
        micros = [f"tolong(({b.strip()}) / 1microsecond)" for b in bounds]
        a, b = span(n)
        text = f"range {name} from {micros[0]} to {micros[1]} step {micros[2]}"
        text += f" | extend {name} = 1microsecond * toreal({name})"  # a real: an interval times a long is 32-bit
        yield Edit(a, b, f"({text})" if kind(n.parentCtx) != "BeforePipeExpression" else text)


def _bins(ctx: Context) -> Iterator[Edit]:
    for n, args in ctx.calls("bin", 2):
        value, step = (src(ctx.text, a).strip() for a in args)
        if value not in ctx.times and not re.match(r"(todatetime|now|ago|datetime)\s*\(", value):
            continue
        if kind(unwrap(args[1])) == "TimeSpanLiteralExpression" or re.fullmatch(_TS, step):
            continue  # a literal step: the engine bins by it
        a, b = span(n)
        micros = f"bin(datetime_diff('microsecond', {value}, datetime(1970-01-01)), ({step}) / 1microsecond)"
        named = _by_item(n)
        label = f"{value} = " if named is not None and identifier(value) else ""  # the name Kusto gives bin(x, s)
        yield Edit(a, b, f"{label}(datetime(1970-01-01) + 1microsecond * {micros})")


def _by_item(call: Any) -> Any | None:
    """The unnamed by-clause item of a summarize that is exactly this call, or None."""
    node = call.parentCtx
    while node is not None and kind(node) != "NamedExpression":
        if span(node) != span(call):
            return None
        node = node.parentCtx
    if node is None or direct(node, "NamedExpressionNameClause") or span(node) != span(call):
        return None
    return node if kind(node.parentCtx) == "SummarizeOperatorByClause" else None


_REWRITES: list[Callable[[Context], Iterator[Edit]]] = [
    _range_sizes,  # first: a take's count and the others are evaluated after the ranges are known to be small
    _renames,
    _percentiles,
    _takes,
    _repeats,
    _columnifexists,
    _divisions,
    _bins,
    _timespan_ranges,
]


def _operators(ctx: Context) -> Iterator[list[Edit]]:
    for n in ctx.nodes:
        if kind(n) == "MakeSeriesOperator":
            yield ops.make_series(ctx, n)
        elif kind(n) == "TopNestedOperator":
            yield ops.top_nested(ctx, n)


def _round(text: str, schema: dict[str, list[str]]) -> list[Edit]:
    try:
        tree = duckdb_kql.parse(text).tree
    except duckdb_kql.KqlSyntaxError:
        return []  # the engine reports the syntax error itself
    ctx = Context(text, tree, schema)
    chosen: list[Edit] = []

    def free(e: Edit) -> bool:
        return all(e.end <= c.start or e.start >= c.end or (e.start == e.end == c.start) for c in chosen)

    for rewrite in _REWRITES:
        for e in rewrite(ctx):
            if free(e):
                chosen.append(e)
    if chosen:
        return chosen
    for group in _operators(ctx):  # a whole operator (with a `let` before its statement): one per round
        return group
    return []


def _apply(text: str, edits: list[Edit]) -> str:
    out, at = [], 0
    for e in sorted(edits, key=lambda e: (e.start, e.end)):
        out.append(text[at : e.start])
        out.append(e.text)
        at = e.end
    out.append(text[at:])
    return "".join(out)


def rewrite(kql: str, schema: dict[str, list[str]]) -> Rewritten:
    """`kql` (over the tables of `schema`: name -> columns) with every construct above written in the engine's KQL
    (unchanged when there is none). Raises Refused
    (with the position in `kql`) for a form of them that cannot be."""
    result = Rewritten(kql, kql)
    if not _MAYBE.search(kql):
        return result
    for _ in range(MAX_ROUNDS):
        try:
            edits = _round(result.text, schema)
        except Refused as exc:
            raise Refused(exc.construct, result.original_offset(exc.offset), exc.hint) from None
        if not edits:
            return result
        result.rounds.append(edits)
        result.text = _apply(result.text, edits)
    return result
