"""The shared time-range picker's arithmetic: presets end at now, custom ranges are read in the display zone."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta

from app.ui.timerange import PRESETS, custom_range, preset_range


def test_presets_are_the_portal_ones_and_end_now_in_utc() -> None:
    assert list(PRESETS) == [
        "Last 30 minutes",
        "Last hour",
        "Last 4 hours",
        "Last 12 hours",
        "Last 24 hours",
        "Last 3 days",
        "Last 7 days",
        "Last 30 days",
    ]
    now = datetime(2026, 11, 1, 19, 0, tzinfo=UTC)
    assert preset_range("Last 4 hours", now) == (now - timedelta(hours=4), now)
    start, end = preset_range("Last 30 days", now)
    assert start.tzinfo is UTC and end - start == timedelta(days=30)


def test_a_custom_range_is_read_in_the_display_time_zone() -> None:
    start, end = custom_range(date(2026, 11, 1), time(7, 0), date(2026, 11, 2), time(7, 0), "Asia/Bangkok")
    assert (start, end) == (datetime(2026, 11, 1, 0, 0, tzinfo=UTC), datetime(2026, 11, 2, 0, 0, tzinfo=UTC))
    assert start.utcoffset() == timedelta(0)
