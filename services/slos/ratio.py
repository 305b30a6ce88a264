"""Ratio SLIs: any ratio of two KQL counts. The SLO's good (or bad) query and its total query each take the place of
`SloRows` in the catalogue query slo_ratio_hourly, which counts their rows (sum of ItemCount) in the hour buckets and
5- and 30-minute windows of slo_hourly; the two counts then make the same scan an availability SLO gets."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pandas as pd

from services.telemetry import catalogue
from services.telemetry.kql import KqlValue, syntax_error
from services.telemetry.source import QuerySpec

CATALOGUE = "slo_ratio_hourly"
PLACEHOLDER = "SloRows"
_SAMPLE = datetime(2026, 1, 1, tzinfo=UTC)  # any instant: only the syntax of the composed text is checked


def compose(query: str, **params: KqlValue) -> str:
    """The SLO's query followed by slo_ratio_hourly's counting, rendered with `params`."""
    rendered = catalogue.render(CATALOGUE, **params)
    if not rendered.startswith(PLACEHOLDER):
        raise AssertionError(f"{CATALOGUE}.kql must start with {PLACEHOLDER}")
    return query.rstrip().rstrip(";").rstrip() + rendered[len(PLACEHOLDER) :]


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
    return [
        QuerySpec(f"slo_ratio[{name}: {which} query]", compose(text, **params), (span[0], span[1]))
        for which, text in queries.items()
    ]


_COUNTS = {"hours_ago": "int64", "n": "float64", "n_5m": "float64", "n_30m": "float64"}


def _counts(frame: pd.DataFrame) -> pd.DataFrame:
    if not len(frame):
        return pd.DataFrame({c: pd.Series(dtype=t) for c, t in _COUNTS.items()})
    return frame[list(_COUNTS)].astype(_COUNTS)


def scan_frame(numerator: pd.DataFrame, total: pd.DataFrame, *, numerator_is_bad: bool) -> pd.DataFrame:
    """The two counts per hour bucket (frames with hours_ago) as slo_hourly's columns for kind 'ratio':
    total, good_ratio and their 5- and 30-minute parts; good = total − bad where the SLO counts bad events."""
    if not len(numerator) and not len(total):
        return pd.DataFrame()
    num, tot = _counts(numerator), _counts(total)
    both = tot.merge(num, on="hours_ago", how="outer", suffixes=("_total", "_num")).fillna(0.0)
    out = pd.DataFrame({"hours_ago": both["hours_ago"].astype(int)})
    for part in ("", "_5m", "_30m"):
        all_, counted = both[f"n{part}_total"], both[f"n{part}_num"]
        out[f"total{part}"] = all_
        out[f"good_ratio{part}"] = all_ - counted if numerator_is_bad else counted
    return out.sort_values("hours_ago", ascending=False, ignore_index=True)
