"""k6 threshold expressions (`p(95)<500`, `rate<0.01`, `count>10`): parse them and judge an observed value."""

from __future__ import annotations

import operator
import re
from collections.abc import Callable, Mapping

_EXPR = re.compile(
    r"^\s*(?P<agg>avg|min|max|med|count|rate|value|p\(\s*(?P<pct>\d+(?:\.\d+)?)\s*\))\s*"
    r"(?P<op><=|>=|===|==|!=|<|>)\s*(?P<num>-?\d+(?:\.\d+)?(?:[eE][-+]?\d+)?)\s*$"
)
_OPS: dict[str, Callable[[float, float], bool]] = {
    "<": operator.lt,
    "<=": operator.le,
    ">": operator.gt,
    ">=": operator.ge,
    "==": operator.eq,
    "===": operator.eq,
    "!=": operator.ne,
}


def aggregation(expression: str) -> str | None:
    """The aggregation an expression tests, in k6's spelling (`p(95)`, `avg`, `rate`…), or None if unparsable."""
    m = _EXPR.match(expression)
    if not m:
        return None
    return f"p({float(m['pct']):g})" if m["pct"] else m["agg"]


def percentile(expression: str) -> float | None:
    """The percentile a `p(N)` expression needs, as a fraction, else None."""
    m = _EXPR.match(expression)
    return float(m["pct"]) / 100 if m and m["pct"] else None


def observed(expression: str, values: Mapping[str, float | None]) -> float | None:
    """The value the expression looks at, from a metric's values keyed the k6 way."""
    agg = aggregation(expression)
    if agg is None:
        return None
    if agg == "rate" and values.get("rate") is None:
        return values.get("value")
    v = values.get(agg)
    return None if v is None else float(v)


def judge(expression: str, values: Mapping[str, float | None]) -> tuple[bool | None, float | None]:
    """(passed, observed) for an expression over a metric's values; (None, None) when it cannot be judged."""
    m = _EXPR.match(expression)
    value = observed(expression, values)
    if m is None or value is None:
        return None, value
    return _OPS[m["op"]](value, float(m["num"])), value
