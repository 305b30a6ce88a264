"""A shared time-range picker: presets like the Azure portal's (last 30 min … 30 days) or a custom range."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import streamlit as st

from app.data import now_floor
from app.ui import format as fmt
from app.ui.linked import linked_range_or_warn
from app.ui.zone import zone_name

PRESETS: dict[str, timedelta] = {
    "Last 30 minutes": timedelta(minutes=30),
    "Last hour": timedelta(hours=1),
    "Last 4 hours": timedelta(hours=4),
    "Last 12 hours": timedelta(hours=12),
    "Last 24 hours": timedelta(hours=24),
    "Last 3 days": timedelta(days=3),
    "Last 7 days": timedelta(days=7),
    "Last 30 days": timedelta(days=30),
}
CUSTOM = "Custom"
LINKED = "As linked"


def preset_range(label: str, now: datetime) -> tuple[datetime, datetime]:
    """(start, end) of a preset ending at `now` (aware UTC)."""
    end = now.astimezone(UTC)
    return end - PRESETS[label], end


def custom_range(
    start_day: date, start_time: time, end_day: date, end_time: time, tz: str
) -> tuple[datetime, datetime]:
    """A custom range entered in the display time zone, as aware UTC datetimes."""
    zone = ZoneInfo(tz)
    start = datetime.combine(start_day, start_time, tzinfo=zone).astimezone(UTC)
    end = datetime.combine(end_day, end_time, tzinfo=zone).astimezone(UTC)
    return start, end


def time_range(key: str, default: str = "Last 24 hours") -> tuple[datetime, datetime]:
    """The picker; returns (start, end) as aware UTC datetimes. `key` namespaces its session state. A page opened by a
    link that carries ?start=...&end=... starts at exactly that range ("As linked"), so its first figure is the one
    clicked; the user's own choice stands afterwards."""
    pinned = linked_range_or_warn()
    options = [*([LINKED] if pinned else []), *PRESETS, CUSTOM]
    k, seen = f"{key}.range", f"_linked.{key}.range"
    if pinned is not None and st.session_state.get(seen) != pinned:
        st.session_state[seen] = pinned
        st.session_state[k] = LINKED
    if st.session_state.get(k, default) not in options:
        st.session_state.pop(k, None)
    st.session_state.setdefault(k, default)

    def label(option: str) -> str:
        if option == LINKED and pinned is not None:
            return f"As linked: {fmt.when(pinned[0])} – {fmt.when(pinned[1])}"
        return option

    choice = st.selectbox("Time range", options, key=k, format_func=label)
    if choice == LINKED and pinned is not None:
        return pinned
    now = now_floor()
    if choice != CUSTOM:
        return preset_range(choice, now)
    tz = zone_name()
    local_now = now.astimezone(ZoneInfo(tz))
    c1, c2, c3, c4 = st.columns(4)
    start_day = c1.date_input("From (date)", value=(local_now - timedelta(days=1)).date(), key=f"{key}.from_day")
    start_time = c2.time_input(
        "From (time)", value=local_now.time().replace(minute=0, second=0, microsecond=0), key=f"{key}.from_time"
    )
    end_day = c3.date_input("To (date)", value=local_now.date(), key=f"{key}.to_day")
    end_time = c4.time_input(
        "To (time)", value=local_now.time().replace(minute=0, second=0, microsecond=0), key=f"{key}.to_time"
    )
    start, end = custom_range(start_day, start_time, end_day, end_time, tz)
    if end <= start:
        st.warning(f"The range ends before it starts ({tz}); showing {default.lower()} instead.")
        return preset_range(default, now)
    st.caption(f"Custom range in {tz}.")
    return start, end
