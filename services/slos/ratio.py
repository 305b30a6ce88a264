"""Ratio SLIs: any ratio of two KQL counts. The SLO's good (or bad) query and its total query each take the place of
`SloRows` in the catalogue query slo_ratio_hourly, which counts their rows (sum of ItemCount) in the hour buckets and
5- and 30-minute windows of slo_hourly; the two counts then make the same scan an availability SLO gets."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from services.telemetry import catalogue
from services.telemetry.kql import KqlValue, syntax_error
from services.telemetry.source import QuerySpec

CATALOGUE = "slo_ratio_hourly"
PLACEHOLDER = "SloRows"
_SAMPLE = datetime(2026, 1, 1, tzinfo=UTC)  # any instant: only the syntax of the composed text is checked


def _joined(query: str, rendered: str) -> str:
    if not rendered.startswith(PLACEHOLDER):
        raise AssertionError(f"{CATALOGUE}.kql must start with {PLACEHOLDER}")
    return query.rstrip().rstrip(";").rstrip() + rendered[len(PLACEHOLDER) :]


def compose(query: str, **params: KqlValue) -> str:
    """The SLO's query followed by slo_ratio_hourly's counting, rendered with `params` as literals."""
    return _joined(query, catalogue.render(CATALOGUE, **params))


def composed(query: str, **params: KqlValue) -> tuple[str, dict[str, KqlValue]]:
    """The same text with its instants and the bucket offset as query parameters beside it (so the text, and its
    cached translation, stay the same as time moves)."""
    text, beside = catalogue.parameterised(CATALOGUE, **params)
    return _joined(query, text), beside


def _sample_params() -> dict[str, KqlValue]:
    return {
        "start": _SAMPLE - timedelta(days=30),
        "end": _SAMPLE,
        "offset": timedelta(microseconds=1),
        "start_5m": _SAMPLE - timedelta(minutes=5),
        "start_30m": _SAMPLE - timedelta(minutes=30),
    }


def query_problem(query: str, which: str) -> str | None:
    """Why a good, bad or total query cannot be counted (its syntax, or text that does not end in rows), else None."""
    name = f"the {which} query"
    err = syntax_error(query, name)
    if err is None:
        err = syntax_error(compose(query, **_sample_params()), name)
        if err is not None:
            return (
                f'{name} must be rows of a table, such as `AppDependencies | where Target == "api.dopa.go.th"`, '
                f"since its rows are counted by appending `| where TimeGenerated … | summarize …`: {err}"
            )
    return None if err is None else str(err)


def specs(name: str, queries: dict[str, str], params: dict[str, KqlValue]) -> list[QuerySpec]:
    """One slo_ratio_hourly query per given query ({"good" or "bad": …, "total": …}), in that order."""
    span = (params["start"], params["end"])
    assert isinstance(span[0], datetime) and isinstance(span[1], datetime)
    out = []
    for which, text in queries.items():
        kql, beside = composed(text, **params)
        out.append(QuerySpec(f"slo_ratio[{name}: {which} query]", kql, (span[0], span[1]), beside, records=True))
    return out


def _counts(rows: list[dict[str, Any]]) -> dict[int, tuple[float, float, float]]:
    """(n, n_5m, n_30m) per hours_ago; a bucket's missing count is 0."""
    return {
        int(r["hours_ago"]): tuple(float(r.get(c) or 0.0) for c in ("n", "n_5m", "n_30m"))  # type: ignore[misc]
        for r in rows
    }


def scan_rows(
    numerator: list[dict[str, Any]], total: list[dict[str, Any]], *, numerator_is_bad: bool
) -> list[dict[str, Any]]:
    """The two counts per hour bucket (rows with hours_ago) as slo_hourly's columns for kind 'ratio': total,
    good_ratio and their 5- and 30-minute parts; good = total − bad where the SLO counts bad events. Oldest first."""
    num, tot = _counts(numerator), _counts(total)
    out = []
    for hours in sorted(num.keys() | tot.keys(), reverse=True):
        counted, all_ = num.get(hours, (0.0, 0.0, 0.0)), tot.get(hours, (0.0, 0.0, 0.0))
        row: dict[str, Any] = {"hours_ago": hours}
        for i, part in enumerate(("", "_5m", "_30m")):
            row[f"total{part}"] = all_[i]
            row[f"good_ratio{part}"] = all_[i] - counted[i] if numerator_is_bad else counted[i]
        out.append(row)
    return out
