"""make-series and top-nested as the KQL duckdb-kql runs (see constructs.py): each returns the edits that put the
`let`s it needs before its statement and replace the pipe expression that ends in the operator."""

from __future__ import annotations

from typing import Any

from services.telemetry import series_functions
from services.telemetry.kql_tree import (
    Context,
    Edit,
    Refused,
    agg_name,
    children,
    direct,
    identifier,
    kind,
    name_of,
    span,
    src,
    unwrap,
)


def _named(ctx: Context, node: Any, what: str, offset: int) -> tuple[str, str]:
    """(column name, expression text) of a `by`/`of` item: `Name` or `Name = expr`."""
    names, expr = name_of(ctx.text, node)
    text = src(ctx.text, expr).strip()
    if names:
        return names[0], text
    if identifier(text):
        return text, text
    raise Refused(what, offset, f"name the expression: `Name = {text}`")


def _clauses(ctx: Context, node: Any) -> dict[str, Any]:
    """The expressions after the keywords of a clause (`from`, `to`, `step`), by keyword."""
    out: dict[str, Any] = {}
    keyword = None
    for i in range(node.getChildCount()):
        child = node.getChild(i)
        if hasattr(child, "start"):
            if keyword:
                out[keyword] = child
            keyword = None
        else:
            keyword = child.getText().lower()
    return out


def make_series(ctx: Context, op: Any) -> list[Edit]:
    text = ctx.text
    at = span(op)[0]
    label = "make-series"
    kids = children(op)
    for c, follows in zip(kids, [*kids[1:], None], strict=True):
        glued = follows is not None and span(c)[1] == span(follows)[0]  # `n = countif` + `(x)`: an aggregation
        if kind(c) in ("MakeSeriesOperatorParameter", "RelaxedQueryOperatorParameter") and not glued:
            raise Refused(label, at, "leave out its parameters (kind=nonempty)")
    aggs: list[tuple[str, str, str]] = []  # (name, aggregation, default)
    for i, part in enumerate(kids):
        if kind(part) != "MakeSeriesOperatorAggregation":
            continue
        named = direct(part, "NamedExpression")[0]
        names, expr = name_of(text, named)
        name, aggregation = (names[0] if names else agg_name(text, expr)), src(text, expr)
        before = kids[i - 1] if i else None
        if before is not None and kind(before) == "RelaxedQueryOperatorParameter" and span(before)[1] == span(part)[0]:
            # the engine's grammar reads `n = countif(x)` as the parameter `n = countif` and the aggregation `(x)`
            name, _, function = src(text, before).partition("=")
            name, aggregation = name.strip(), function.strip() + src(text, named)
        if name is None:
            raise Refused(label, span(part)[0], f"name the aggregation: `n = {aggregation}`")
        default = direct(part, "MakeSeriesOperatorExpressionDefaultClause")
        value = src(text, direct(default[0], "NamedExpression")[0]) if default else "0"
        aggs.append((name, aggregation, value))
    on = direct(op, "MakeSeriesOperatorOnClause")
    axis = src(text, direct(on[0], "NamedExpression")[0]).strip() if on else ""
    if not identifier(axis):
        raise Refused(label, at, "make the series on a column: `extend t = ... | make-series ... on t`")
    rng = direct(op, "MakeSeriesOperatorFromToStepClause")
    parts = {k: src(text, v).strip() for k, v in _clauses(ctx, rng[0]).items()} if rng else {}
    # the alternative syntax `in range(start, stop, step)`: bins by bin() (so the first may begin before start) up
    # to stop inclusive, the same grid for every series
    in_range = direct(op, "MakeSeriesOperatorInRangeClause")
    if in_range:
        values = [src(text, n).strip() for n in direct(in_range[0], "NamedExpression")]
        if len(values) != 3:
            raise Refused(label, at, "give `in range(start, stop, step)` its three values")
        parts = dict(zip(("from", "to", "step"), values, strict=True))
    if "step" not in parts:
        raise Refused(label, at, "give the bin size: `step 1h`")
    start, end, step = parts.get("from"), parts.get("to"), parts["step"]
    by = direct(op, "MakeSeriesOperatorByClause")
    groups = [_named(ctx, n, label, span(n)[0]) for n in (direct(by[0], "NamedExpression") if by else [])]
    keys = [g for g, _ in groups]

    pipe_start, upstream = ctx.pipe_upstream(op)
    v = f"__ms{pipe_start}"
    bin_expr = f"({start}) + ({step}) * floor(({axis} - ({start})) / ({step}), 1)" if start else f"bin({axis}, {step})"
    where = [f"{axis} >= ({start})"] * bool(start) + [f"{axis} < ({end})"] * bool(end)
    if in_range:
        bin_expr = f"bin({axis}, {step})"
        where = [f"bin({axis}, {step}) >= bin({start}, {step})", f"bin({axis}, {step}) <= ({end})"]
    by_items = ", ".join([g if g == e else f"{g} = {e}" for g, e in groups] + [f"{axis} = {bin_expr}"])
    agg = (
        f"{upstream}{' | where ' + ' and '.join(where) if where else ''}"
        f" | summarize {', '.join(f'{n} = {a}' for n, a, _ in aggs)} by {by_items}"
    )
    lo = start or f"toscalar({v}_agg | summarize min({axis}))"
    hi = end or f"toscalar({v}_agg | summarize max({axis}))"
    grid = f"range {axis} from {lo} to {hi} step {step}" + (f" | where {axis} < ({end})" if end else "")
    if in_range:
        grid = f"range {axis} from bin({start}, {step}) to {end} step {step}"
    bounds = (
        f"{v}_agg | summarize __ms_lo = min({axis}), __ms_hi = max({axis}){' by ' + ', '.join(keys) if keys else ''}"
    )
    spans = [f"{axis} >= __ms_lo"] * (not start) + [f"{axis} <= __ms_hi"] * (not end) + ["isnotnull(__ms_lo)"]
    cells = (
        f"{grid} | extend __ms_k = 1 | join kind=inner ({bounds} | extend __ms_k = 1) on __ms_k"
        f" | where {' and '.join(spans)} | project-away __ms_k, __ms_k1, __ms_lo, __ms_hi"
    )
    renamed = [f"{k}1" for k in keys] + [f"{axis}1"]
    long = (
        f"{v}_cells | join kind=leftouter ({v}_agg) on {', '.join([*keys, axis])}"
        f" | project-away {', '.join(renamed)}"
        f" | extend {', '.join(f'{n} = coalesce({n}, {d})' for n, _, d in aggs)}"
    )
    # the series functions in the extends right after it, applied to the long form (series_functions.py)
    series = {n: series_functions.is_null(d) for n, _, d in aggs}
    plan = series_functions.Plan(v, keys, axis, step, series, long, span(op)[1], [*keys, *series, axis])
    plan = series_functions.following(ctx, op, plan)
    # make_list skips nulls: a series that may hold them is listed as one-item arrays, joined into one
    lists = [f"{n} = make_list({n})" if not null else f"__ms_l_{n} = make_list(pack_array({n}))" for n, null in
             plan.series.items()]  # fmt: skip
    joined = [f"{n} = todynamic(replace_string(replace_string(replace_string(tostring(__ms_l_{n}), '], [', ', '),"
              f" '[[', '['), ']]', ']'))" for n, null in plan.series.items() if null]  # fmt: skip
    lists += [f"{axis} = make_list({axis})", *(f"{c} = take_any({c})" for c in plan.scalars)]
    body = (
        f"{plan.source} | sort by {axis} asc | summarize {', '.join(lists)}{' by ' + ', '.join(keys) if keys else ''}"
    )
    if joined or plan.count:
        body += (" | extend " + ", ".join(joined) if joined else "") + f" | project {', '.join(plan.columns)}"
    lets = f"let {v}_agg = {agg};\nlet {v}_cells = {cells};\n"
    lets += plan.lets
    return [Edit(ctx.statement_start(op), ctx.statement_start(op), lets), Edit(pipe_start, plan.end, body)]


def _level(ctx: Context, part: Any) -> tuple[str, str, str, str, str, str]:
    """(count or "", key, key expression, aggregate name, aggregation, asc|desc) of one top-nested level."""
    text = ctx.text
    at = span(part)[0]
    if direct(part, "TopNestedOperatorWithOthersClause"):
        raise Refused("top-nested", at, "leave out `with others`; count the rest with a separate summarize")
    named = direct(part, "NamedExpression")
    count = ""
    if len(named) == 2:
        if kind(unwrap(named[0])) != "LongLiteralExpression":
            raise Refused("top-nested", at, "give the count as a number: `top-nested 3 of ...`")
        count = src(text, named[0]).strip()
    key, key_expr = _named(ctx, named[-1], "top-nested", at)
    ordered = direct(part, "OrderedExpression")[0]
    names, expr = name_of(text, direct(ordered, "NamedExpression")[0])
    order = "asc" if src(text, ordered).rstrip().lower().endswith(" asc") else "desc"
    return count, key, key_expr, names[0] if names else f"aggregated_{key}", src(text, expr), order


def top_nested(ctx: Context, op: Any) -> list[Edit]:
    levels = [_level(ctx, p) for p in direct(op, "TopNestedOperatorPart")]
    at = span(op)[0]
    if len(levels) > 2:
        raise Refused("top-nested", at, "use at most two levels")
    pipe_start, upstream = ctx.pipe_upstream(op)
    n1, k1, e1, a1, g1, o1 = levels[0]
    key1 = k1 if k1 == e1 else f"{k1} = {e1}"
    first = f"{upstream} | summarize {a1} = {g1} by {key1} | " + (
        f"top {n1} by {a1} {o1}" if n1 else f"sort by {a1} {o1}"
    )
    if len(levels) == 1:
        return [Edit(pipe_start, span(op)[1], first)]
    n2, k2, e2, a2, g2, o2 = levels[1]
    key2 = k2 if k2 == e2 else f"{k2} = {e2}"
    v = f"__tn{pipe_start}"
    beats = ">" if o2 == "desc" else "<"
    ranked = (
        f"{v}_2 | join kind=inner ({v}_2 | project __tn_k1 = {k1}, __tn_k2 = {k2}, __tn_a = {a2})"
        f" on $left.{k1} == $right.__tn_k1"
        f" | summarize __tn_rank = countif(__tn_a {beats} {a2} or (__tn_a == {a2} and __tn_k2 < {k2}))"
        f" by {k1}, {k2}, {a2}"
    )
    if n2:
        ranked += f" | where __tn_rank < {n2}"
    body = f"{ranked} | join kind=inner ({v}_1) on {k1} | project {k1}, {a1}, {k2}, {a2} | sort by {a1} {o1}, {a2} {o2}"
    lets = f"let {v}_1 = {first};\nlet {v}_2 = {upstream} | summarize {a2} = {g2} by {key1}, {key2};\n"
    return [Edit(ctx.statement_start(op), ctx.statement_start(op), lets), Edit(pipe_start, span(op)[1], body)]
