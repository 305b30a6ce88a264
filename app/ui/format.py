"""Formatting numbers and times the same way on every page."""

from __future__ import annotations

import math
from datetime import datetime, timedelta

from app.ui.zone import zone


def pct(value: float | None, digits: int = 3) -> str:
    """A fraction as a percent, or an em dash."""
    return "—" if value is None else f"{value * 100:.{digits}f} %"


def num(value: float | None, digits: int = 0) -> str:
    """A number with thousands separators, or an em dash."""
    return "—" if value is None else f"{value:,.{digits}f}"


def rate(value: float | None) -> str:
    """A burn rate like 2.35×."""
    return "—" if value is None else f"{value:.2f}×"


def when(value: datetime | None) -> str:
    """A time in the display time zone (the user's pick, else SRE_DISPLAY_TIMEZONE), 24-hour."""
    if value is None:
        return "—"
    return value.astimezone(zone()).strftime("%Y-%m-%d %H:%M:%S %Z")


def span(value: timedelta) -> str:
    """The length of a time span like 3d 4h, 2h 5min or 25 min (its sign is for the caller to word)."""
    d, rem = divmod(int(abs(value.total_seconds())), 86400)
    h, rem = divmod(rem, 3600)
    m = rem // 60
    if d:
        return f"{d}d {h}h"
    if h:
        return f"{h}h {m}min"
    return f"{m} min"


def duration(value: timedelta | None) -> str:
    """How long an error budget lasts, like 3d 4h or 25 min; "not burning" / "exhausted" at the ends."""
    if value is None:
        return "not burning"
    if int(value.total_seconds()) <= 0:
        return "exhausted"
    return span(value)


def elapsed(*, minutes: float | None = None, seconds: float | None = None) -> str:
    """A length of time given in minutes or seconds, in its two largest units: 3310 min → 2 d 7 h, 185 min →
    3 h 5 min, 25 min, 40 s; an em dash when there is none (None or NaN)."""
    value = minutes * 60 if minutes is not None else seconds
    if value is None or math.isnan(value):
        return "—"
    total = int(abs(value))  # cut, not rounded, as a clock reads: 2 d 7 h 50 min is 2 d 7 h
    d, rem = divmod(total, 86400)
    h, rem = divmod(rem, 3600)
    m, s = divmod(rem, 60)
    if d:
        return f"{d} d {h} h" if h else f"{d} d"
    if h:
        return f"{h} h {m} min" if m else f"{h} h"
    if m or (minutes is not None and not s):  # "0 min" for minutes, "0 s" for seconds
        return f"{m} min"
    return f"{s} s"
