"""One clock for charts: instants drawn on the display zone's wall clock, 24-hour, the zone in the axis title."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import pandas as pd
import pytest

from app.ui import format as fmt
from app.ui.loadtest_charts import over_time, overlaid, trend
from app.ui.monitoring import failures_chart
from app.ui.time_axis import elapsed_text, elapsed_x, label_format, wall_clock, zoned_time
from app.ui.zone import zone_name, zones
from services.config import get_settings

pytestmark = pytest.mark.usefixtures("isolated_settings")  # the display zone is the default UTC unless a test sets it
AT = pd.Timestamp("2026-11-01T18:37:00Z")  # 01:37 on 2 Nov in Bangkok (UTC+7, no daylight saving)


def _frame(*times: pd.Timestamp) -> pd.DataFrame:
    return pd.DataFrame({"TimeGenerated": list(times), "failed": range(len(times))})


def _values(spec: dict, field: str) -> list[str]:
    (rows,) = spec["datasets"].values()
    return [r[field] for r in rows]


def test_an_instant_is_drawn_at_the_zones_wall_clock_labelled_utc() -> None:
    shown = wall_clock(pd.Series([AT]), "Asia/Bangkok")
    assert shown[0] == pd.Timestamp("2026-11-02T01:37:00Z")
    # a naive stored time is UTC
    assert wall_clock(pd.Series([pd.Timestamp("2026-11-01 18:37")]), "Asia/Bangkok")[0].hour == 1
    # London falls back at 01:00 UTC on 25 Oct 2026: 00:30 UTC is 01:30 BST, 01:30 UTC is 01:30 GMT
    london = wall_clock(pd.Series(pd.to_datetime(["2026-10-25T00:30Z", "2026-10-25T01:30Z"])), "Europe/London")
    assert [t.strftime("%H:%M") for t in london] == ["01:30", "01:30"]


def test_the_spec_carries_the_zone_in_the_title_a_utc_scale_and_shifted_values() -> None:
    t = zoned_time(_frame(AT, AT + pd.Timedelta(hours=3)), "TimeGenerated", zone="Asia/Bangkok")
    x = t.x.to_dict()
    assert x["title"] == "time (Asia/Bangkok)"
    assert x["scale"] == {"type": "utc"}  # Vega-Lite then formats the axis with utcFormat, not the browser's zone
    assert x["axis"]["format"] == "%H:%M"
    assert t.tooltip.to_dict()["title"] == "time (Asia/Bangkok)"
    assert list(t.data["TimeGenerated__text"]) == ["2026-11-02 01:37:00", "2026-11-02 04:37:00"]
    spec = failures_chart(
        _frame(AT, AT + pd.Timedelta(hours=3)).assign(requests=10, failure_rate=0.1)
    ).to_dict()  # failures_chart reads the display zone: the setting, UTC here
    assert spec["layer"][0]["encoding"]["x"]["title"] == "time (UTC)"
    assert _values(spec, "TimeGenerated") == ["2026-11-01T18:37:00+00:00", "2026-11-01T21:37:00+00:00"]


def test_the_axis_format_follows_the_span_and_is_always_24_hour() -> None:
    cases = {
        timedelta(minutes=2): "%H:%M:%S",
        timedelta(hours=24): "%H:%M",
        timedelta(days=2): "%d %b %H:%M",
        timedelta(days=30): "%d %b",
        None: "%d %b %H:%M",  # a single point: its day and time
    }
    assert {span: label_format(span) for span in cases} == cases
    assert not any(code in f for f in cases.values() for code in ("%I", "%p", "%L", "%S.%"))


def test_the_display_zone_is_the_setting_outside_a_page_and_when_formats_in_it(
    isolated_settings: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("SRE_DISPLAY_TIMEZONE", "Asia/Bangkok")
    get_settings.cache_clear()
    assert zone_name() == "Asia/Bangkok"
    assert fmt.when(datetime(2026, 11, 1, 18, 37, tzinfo=UTC)) == "2026-11-02 01:37:00 +07"
    t = zoned_time(_frame(AT), "TimeGenerated")
    assert t.zone == "Asia/Bangkok" and t.format == "%d %b %H:%M"
    assert zones()[0] == "UTC" and "Asia/Bangkok" in zones()


def test_load_test_axes_read_wall_time_or_elapsed_mm_ss_never_fractions_of_a_second() -> None:
    run = pd.DataFrame(
        {
            "bucket": pd.date_range("2026-11-01T18:37:00Z", periods=13, freq="10s"),
            "elapsed_s": [10.0 * i for i in range(13)],
            "vus": [5] * 13,
            "rps": [12.5] * 13,
        }
    )
    x = over_time(run, "vus").to_dict()["encoding"]["x"]
    assert x["axis"]["format"] == "%H:%M:%S" and x["scale"] == {"type": "utc"}  # a 2-minute run: seconds, no ms
    y = over_time(run, "vus").to_dict()["encoding"]["y"]
    assert y["axis"] == {"format": ",d", "tickMinStep": 1}  # 5 VUs read "5", never "5.000000"
    spec = overlaid({"#1": run, "#2": run}, "rps").to_dict()
    ex = spec["encoding"]["x"]
    assert ex["title"] == "elapsed since the run started (mm:ss)"
    assert ex["axis"]["values"] == [0, 30, 60, 90, 120]  # 120 s in at most 6 round steps: 30 s each
    assert ex["axis"]["labelExpr"] == "utcFormat(datum.value * 1000, '%M:%S')"
    assert spec["encoding"]["y"]["axis"]["format"] == ",~r"
    assert elapsed_x("e", 5400).to_dict()["axis"]["labelExpr"] == "utcFormat(datum.value * 1000, '%H:%M:%S')"
    assert list(elapsed_text(pd.Series([0, 65.4, 3725]))) == ["00:00", "01:05", "1:02:05"]


def test_the_trend_across_runs_puts_import_times_on_the_display_clock() -> None:
    runs = pd.DataFrame(
        {
            "run": [1, 2],
            "title": ["a", "b"],
            "imported_at": [AT.to_pydatetime(), (AT + pd.Timedelta(seconds=1)).to_pydatetime()],
            "p95_ms": [200.0, 260.0],
            "failure_rate": [0.01, 0.02],
            "regression": [False, True],
        }
    )
    spec = trend(runs, "failure_rate", "failure rate").to_dict()
    xs = [layer["encoding"]["x"] for layer in spec["layer"]]
    assert all(x["scale"] == {"type": "utc"} and x["title"] == "imported (UTC)" for x in xs)
    assert xs[0]["axis"]["format"] == "%H:%M:%S"  # one second apart: seconds, never ".926"
    assert spec["layer"][0]["encoding"]["y"]["axis"]["format"] == ".2~%"
