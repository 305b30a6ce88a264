"""One clock for every chart: times in the display time zone, 24-hour, the zone in the axis title.

Vega-Lite draws times in the browser's zone unless the scale is UTC, and it knows no other zone. So the instants are
turned into the display zone's wall-clock time here (pandas applies the IANA rules, daylight saving included),
labelled UTC and drawn on a UTC scale (`scale.type = "utc"` makes Vega-Lite format the axis with utcFormat): the axis
reads the display zone's clock whatever zone the browser is in. A tooltip has no scale to make it UTC, so it shows
the same clock as text.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

import altair as alt
import pandas as pd

from app.ui.zone import zone_name

TEXT = "__text"  # suffix of the column holding a time as tooltip text
TOOLTIP_FORMAT = "%Y-%m-%d %H:%M:%S"
# (longest span, axis label format): seconds when ticks may fall within one minute, dates once a day is not enough
FORMATS: tuple[tuple[timedelta, str], ...] = (
    (timedelta(minutes=15), "%H:%M:%S"),
    (timedelta(days=1), "%H:%M"),
    (timedelta(days=3), "%d %b %H:%M"),
)
LONG_FORMAT = "%d %b"
ELAPSED_STEPS = (1, 2, 5, 10, 15, 30, 60, 120, 300, 600, 900, 1800, 3600, 7200, 14400)


def wall_clock(values: pd.Series, zone: str) -> pd.Series:
    """Instants as the zone's wall-clock time, labelled UTC (naive values are read as UTC, as stored times are)."""
    instants = pd.to_datetime(values, utc=True)
    return instants.dt.tz_convert(zone).dt.tz_localize(None).dt.tz_localize("UTC")


def label_format(span: timedelta | None) -> str:
    """The 24-hour axis format for times spanning `span`: HH:MM:SS, HH:MM, DD Mon HH:MM or DD Mon."""
    if span is None:  # one point or none: say the day and the time
        return "%d %b %H:%M"
    return next((fmt for longest, fmt in FORMATS if span <= longest), LONG_FORMAT)


@dataclass(frozen=True)
class ZonedTime:
    """A frame whose time column is on the display clock, with the x encoding and tooltip that go with it."""

    data: pd.DataFrame
    x: alt.X
    tooltip: alt.Tooltip
    zone: str
    format: str


def zoned_time(
    frame: pd.DataFrame, field: str, *, title: str = "time", tooltip_title: str | None = None, zone: str | None = None
) -> ZonedTime:
    """`field` of `frame` drawn on the display zone's clock (or `zone`'s); the axis format follows the data's span."""
    zone = zone or zone_name()
    shown = wall_clock(frame[field], zone)
    data = frame.assign(**{field: shown, field + TEXT: shown.dt.strftime(TOOLTIP_FORMAT).fillna("")})
    valid = shown.dropna()
    span = (valid.max() - valid.min()).to_pytimedelta() if valid.nunique() > 1 else None
    fmt = label_format(span)
    x = alt.X(
        f"{field}:T",
        title=f"{title} ({zone})",
        scale=alt.Scale(type="utc"),
        axis=alt.Axis(format=fmt, labelOverlap=True),
    )
    tooltip = alt.Tooltip(f"{field + TEXT}:N", title=f"{tooltip_title or title} ({zone})")
    return ZonedTime(data=data, x=x, tooltip=tooltip, zone=zone, format=fmt)


def elapsed_text(seconds: pd.Series) -> pd.Series:
    """Seconds since a start as MM:SS (H:MM:SS from an hour on)."""
    whole = seconds.fillna(0).astype(float).round().astype(int)
    h, rest = whole // 3600, whole % 3600
    mm_ss = (rest // 60).map("{:02d}".format) + ":" + (rest % 60).map("{:02d}".format)
    return (h.astype(str) + ":").where(h > 0, "") + mm_ss


def elapsed_x(field: str, longest_s: float, *, title: str = "elapsed since the run started") -> alt.X:
    """A quantitative seconds axis labelled MM:SS (HH:MM:SS from an hour on), ticks on whole, round steps."""
    longest = max(float(longest_s), 1.0)
    step = next((s for s in ELAPSED_STEPS if longest / s <= 6), ELAPSED_STEPS[-1])  # at most 7 ticks
    ticks = list(range(0, int(longest) + step, step))
    fmt = "%H:%M:%S" if longest >= 3600 else "%M:%S"
    return alt.X(
        f"{field}:Q",
        title=f"{title} ({'hh:mm:ss' if longest >= 3600 else 'mm:ss'})",
        scale=alt.Scale(domain=[0, ticks[-1]], nice=False),
        axis=alt.Axis(values=ticks, labelExpr=f"utcFormat(datum.value * 1000, '{fmt}')"),
    )
