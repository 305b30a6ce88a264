"""The series functions a chart needs, for series made by a make-series of the same query (see
construct_operators.make_series): the `extend`s right after the make-series are applied to its long form (one row per
key and bin, before the `make_list`), following the Kusto reference:

- series_fill_const(s, c[, missing]): missing values are c.
- series_fill_forward(s[, missing]) / series_fill_backward(s[, missing]): the nearest value on the left / right (a
  self-join on the keys, arg_max / arg_min of the earlier / later bins); leading / trailing missing values stay.
- series_fill_linear(s[, missing[, fill_edges[, constant]]]): interpolated between the nearest values on either side
  (an int/long series truncated, as documented), the edges the nearest value unless fill_edges is false, a series of
  only missing values `constant` (0 unless given).
- series_stats(s[, ignore_nonfinite]) / series_stats_dynamic(s[, ignore_nonfinite]): a summarize over the long form
  joined back on the keys; sample variance and stdev, min_idx / max_idx the first position; with ignore_nonfinite
  false (the default) a series with a null, NaN or inf has null statistics.

Any other series function, or one of these in another form, is refused with the form that runs.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

from services.telemetry.kql_tree import (
    Context,
    Refused,
    children,
    column_name,
    direct,
    function_call,
    kind,
    name_of,
    span,
    src,
    walk,
)

ARITY = {
    "series_fill_const": (2, 3),
    "series_fill_forward": (1, 2),
    "series_fill_backward": (1, 2),
    "series_fill_linear": (1, 4),
    "series_stats": (1, 2),
    "series_stats_dynamic": (1, 2),
}
STATS = ("min", "min_idx", "max", "max_idx", "avg", "stdev", "variance")
_NULL = re.compile(r"(?:(?:double|real|long|int|decimal|dynamic)\s*\(\s*null\s*\)|null)", re.I)
FORM = (
    "on a series of a make-series, in an `extend` (or `project`) right after it in the same query: `| make-series"
    " n = count() default = double(null) on TimeGenerated step 1h"
)
EXAMPLE = FORM + " | extend n = series_fill_linear(n)`"


def is_null(text: str | None) -> bool:
    return text is None or _NULL.fullmatch(text.strip()) is not None


@dataclass
class Plan:
    """The long form of a make-series and the extends applied to it: `source` (a let's name, or `long` itself)
    flows into the make_list, `lets` define it; `series` are the columns to list (name -> may hold nulls),
    `scalars` the columns with one value per series, `columns` all of them in Kusto's order."""

    var: str
    keys: list[str]
    axis: str
    step: str
    series: dict[str, bool]
    source: str
    end: int
    columns: list[str] = field(default_factory=list)
    scalars: list[str] = field(default_factory=list)
    lets: str = ""
    count: int = 0

    @property
    def on(self) -> str:
        return ", ".join(self.keys or ["__ms_one"])

    @property
    def dups(self) -> str:
        """The right-hand key columns a join on the keys adds (the engine suffixes them with 1)."""
        return ", ".join(f"{k}1" for k in self.keys or ["__ms_one"])

    def stage(self, body: str) -> str:
        self.count += 1
        name = f"{self.var}_s{self.count}"
        self.lets += f"let {name} = {body};\n"
        self.source = name
        return name


def following(ctx: Context, op: Any, plan: Plan) -> Plan:
    """`plan` with the extends (or a project) of series functions that follow the make-series `op` applied; they
    end at `plan.end`."""
    piped = op
    while kind(piped) != "PipedOperator":
        piped = piped.parentCtx
    for p in [c for c in direct(piped.parentCtx, "PipedOperator") if span(c)[0] > span(piped)[0]]:
        after = direct(p, "AfterPipeOperator")
        found = [c for c in children(after[0]) if kind(c) in ("ExtendOperator", "ProjectOperator")] if after else []
        items = direct(found[0], "NamedExpression") if found else []
        calls = [_series_call(ctx, n) for n in items]
        if not any(c is not None for c in calls):
            break
        project = kind(found[0]) == "ProjectOperator"
        kept: list[str] = []
        assigned: set[str] = set()
        for item, call in zip(items, calls, strict=True):
            plain = src(ctx.text, item).strip()
            if call is None and project and plain in plan.columns:
                kept.append(plain)
                continue
            if call is None:
                raise Refused(
                    "series functions (series_*)",
                    span(item)[0],
                    f"put the series functions in an `{'project' if project else 'extend'}` of their own, with "
                    "nothing else but the columns it keeps: `| extend n = series_fill_const(n, 0) | extend ...`",
                )
            if not plan.count:  # the long form, as a let the stages read
                plan.stage(plan.source + ("" if plan.keys else " | extend __ms_one = 1"))
            if project and call[1][:1] and call[1][0] in assigned:  # a project reads its input, not its items
                raise Refused(f"{call[0]}()", span(item)[0], f"project `{call[1][0]}` in an extend before it")
            targets = _apply(ctx, plan, item, *call)
            kept.extend(targets)
            assigned.update(targets)
        if project:
            plan.columns = kept
            plan.series = {k: v for k, v in plan.series.items() if k in kept}
            plan.scalars = [c for c in plan.scalars if c in kept]
        plan.end = span(p)[1]
    return plan


def _series_call(ctx: Context, item: Any) -> tuple[str, list[str], Any] | None:
    """(function, argument texts, node) when an extend item is a series function call; Refused when one is inside
    another expression; None when the item has none."""
    expr = name_of(ctx.text, item)[1]
    call = function_call(expr)
    if call is not None and call[0].startswith("series_"):
        return call[0], [src(ctx.text, a).strip() for a in call[1]], expr
    for n in walk(expr):
        inner = function_call(n) if kind(n) == "NamedFunctionCallExpression" else None
        if inner is not None and inner[0].startswith("series_"):
            raise Refused(
                f"{inner[0]}()",
                span(n)[0],
                f"use it alone as an extend item (not inside another expression), {FORM} | extend s = {inner[0]}(n)`",
            )
    return None


def _apply(ctx: Context, plan: Plan, item: Any, fn: str, args: list[str], node: Any) -> list[str]:
    """Applies one series function call to the long form; the names of the columns it assigns."""
    at = span(node)[0]
    if fn not in ARITY:
        raise Refused(
            f"{fn}()",
            at,
            "the local engine runs series_fill_const/_forward/_backward/_linear(), series_stats() and "
            "series_stats_dynamic() only; for the others run the query on the azure source",
        )
    low, high = ARITY[fn]
    if not low <= len(args) <= high:
        raise Refused(f"{fn}()", at, f"give it {low} to {high} arguments")
    col = args[0]
    if re.match(r"series_\w+\s*\(", col):
        inner = col.split("(", 1)[0].strip()
        raise Refused(f"{fn}()", at, f"apply {inner}() in an extend of its own first (not inside another "
                      f"expression): `| extend n = {inner}(n, ...) | extend s = {fn}(n)`")  # fmt: skip
    if col not in plan.series:
        known = ", ".join(plan.series) or "none"
        raise Refused(f"{fn}()", at, f"apply it to a series of the make-series (here {known}), {EXAMPLE}")
    names, _ = name_of(ctx.text, item)
    if fn == "series_stats":
        return _stats(ctx, plan, item, col, args, at)
    target = names[0] if names else f"{fn}_{column_name(col)}"
    if target in plan.keys or target == plan.axis:
        raise Refused(f"{fn}()", at, f"give the result another name than the make-series' `{target}`")
    if fn == "series_stats_dynamic":
        ignore = args[1] if len(args) > 1 else "false"
        base = _without(plan, [target])
        stats = _stat_table(plan, col, ignore)
        bag = ", ".join(f'"{s}", __o_{s}' for s in [*STATS, "sum", "len"])
        plan.stage(f"{base} | join kind=inner ({stats} | project {plan.on}, {target} ="
                   f" bag_pack({bag})) on {plan.on} | project-away {plan.dups}")  # fmt: skip
        _assign(plan, target, scalar=True)
        return [target]
    nullable = plan.series[col]
    if fn == "series_fill_const":
        constant, missing = args[1], args[2] if len(args) > 2 else None
        plan.stage(f"{plan.source} | extend {target} = iff({_missing(col, missing)}, {constant}, {col})")
        nullable = is_null(constant) or (nullable and not is_null(missing))
    elif fn in ("series_fill_forward", "series_fill_backward"):
        missing = args[1] if len(args) > 1 else None
        _near(plan, col, missing, before=fn == "series_fill_forward")
        plan.stage(f"{plan.source} | extend {target} = iff({_missing(col, missing)} and isnotnull(__t), __v, {col})"
                   " | project-away __t, __v")  # fmt: skip
    else:
        rest = [*args[1:], "", "", ""]
        missing, edges, constant = rest[0] or None, rest[1] or "true", rest[2] or "0"
        _near(plan, col, missing, before=True)
        plan.stage(f"{plan.source} | project-rename __pt = __t, __pv = __v")
        _near(plan, col, missing, before=False)
        k = f"tolong(round(({plan.axis} - __pt) / ({plan.step})))"
        d = f"tolong(round((__t - __pt) / ({plan.step})))"
        value = (
            f"case(not({_missing(col, missing)}), {col},"
            f" isnotnull(__pv) and isnotnull(__v), (__pv * {d} + (__v - __pv) * {k}) / {d},"  # exact for a long
            f" isnotnull(__pv) or isnotnull(__v), iff({edges}, coalesce(__pv, __v), {col}),"
            f" {constant})"
        )
        plan.stage(f"{plan.source} | extend {target} = {value} | project-away __t, __v, __pt, __pv")
        nullable = is_null(constant) or edges.strip().lower() != "true" or (nullable and not is_null(missing))
    _assign(plan, target, scalar=False, nullable=nullable)
    return [target]


def _missing(col: str, placeholder: str | None) -> str:
    return f"isnull({col})" if is_null(placeholder) else f"({col} == ({placeholder}))"


def _near(plan: Plan, col: str, missing: str | None, before: bool) -> None:
    """Adds __t, __v: the bin and value of the nearest value on the left (before) or right of each missing value."""
    present = f"isnotnull({col})" + ("" if is_null(missing) else f" and not({_missing(col, missing)})")
    near = (
        f"{plan.source} | where {_missing(col, missing)} | project {plan.on}, {plan.axis}"
        f" | join kind=inner ({plan.source} | where {present} | project {plan.on}, __t = {plan.axis}, __v = {col})"
        f" on {plan.on} | where __t {'<' if before else '>'} {plan.axis}"
        f" | summarize {'arg_max' if before else 'arg_min'}(__t, __v) by {plan.on}, {plan.axis}"
    )
    plan.stage(
        f"{plan.source} | join kind=leftouter ({near}) on {plan.on}, {plan.axis}"
        f" | project-away {plan.dups}, {plan.axis}1"
    )


def _stat_table(plan: Plan, col: str, ignore: str) -> str:
    """A let of one row per series: its keys and the statistics of `col`, named as in STATS plus sum and len."""
    v = plan.stage(f"{plan.source} | extend __x = iff(isfinite(todouble({col})), todouble({col}), real(null))")
    agg = plan.stage(
        f"{v} | summarize __len = count(), __n = countif(isnotnull(__x)), __first = min({plan.axis}),"
        f" __mn = min(__x), __mx = max(__x), __avg = avg(__x), __sd = stdev(__x), __var = variance(__x),"
        f" __sum = sum(__x) by {plan.on}"
    )
    firsts = []
    for stat in ("__mn", "__mx"):
        firsts.append(plan.stage(
            f"{v} | join kind=inner ({agg}) on {plan.on} | where __x == {stat}"
            f" | summarize {stat}t = min({plan.axis}) by {plan.on}"
        ))  # fmt: skip
    ok = f"__n > 0 and (({ignore}) or __n == __len)"
    idx = f"tolong(round((__{{0}}t - __first) / ({plan.step})))"
    out = dict(zip([*STATS, "sum"], ["__mn", idx.format("mn"), "__mx", idx.format("mx"), "__avg", "__sd", "__var",
                                      "__sum"], strict=True))  # fmt: skip
    nulls = {k: "long(null)" if k.endswith("idx") else "real(null)" for k in out}
    values = ", ".join(f"__o_{k} = iff({ok}, {e}, {nulls[k]})" for k, e in out.items())
    joined = " ".join(f"| join kind=leftouter ({f}) on {plan.on} | project-away {plan.dups}" for f in firsts)
    return plan.stage(f"{agg} {joined} | extend {values}, __o_len = __len")


def _stats(ctx: Context, plan: Plan, item: Any, col: str, args: list[str], at: int) -> list[str]:
    names, _ = name_of(ctx.text, item)
    clause = direct(item, "NamedExpressionNameClause")
    if names and not src(ctx.text, clause[0]).lstrip().startswith("("):
        raise Refused("series_stats()", at, f"name its columns in parentheses: `({', '.join(STATS)}) = ...`")
    if len(names) > len(STATS):
        raise Refused("series_stats()", at, f"give it at most {len(STATS)} names: `({', '.join(STATS)}) = ...`")
    labels = names or [f"series_stats_{column_name(col)}_{s}" for s in STATS]
    for label in labels:
        if label in plan.keys or label == plan.axis:
            raise Refused("series_stats()", at, f"give the result another name than the make-series' `{label}`")
    base = _without(plan, labels)
    stats = _stat_table(plan, col, args[1] if len(args) > 1 else "false")
    picked = ", ".join(f"{label} = __o_{s}" for label, s in zip(labels, STATS, strict=False))
    plan.stage(f"{base} | join kind=inner ({stats} | project {plan.on}, {picked}) on {plan.on}"
               f" | project-away {plan.dups}")  # fmt: skip
    for label in labels:
        _assign(plan, label, scalar=True)
    return labels


def _without(plan: Plan, names: list[str]) -> str:
    """The long form without the columns of `names` it has (a statistic replacing a column is joined in)."""
    gone = [n for n in names if n in plan.columns]
    return f"{plan.source} | project-away {', '.join(gone)}" if gone else plan.source


def _assign(plan: Plan, name: str, scalar: bool, nullable: bool = True) -> None:
    plan.series.pop(name, None)
    if name in plan.scalars:
        plan.scalars.remove(name)
    if scalar:
        plan.scalars.append(name)
    else:
        plan.series[name] = nullable
    if name not in plan.columns:
        plan.columns.append(name)
