"""The capacity chart's colours say what each bucket is: sustained (green), over the SLO (red), partial (grey)."""

from __future__ import annotations

import pandas as pd

from app.ui.loadtest_charts import OVER, PARTIAL, SUSTAINED, throughput_latency
from services.loadtests import capacity


def _curve() -> pd.DataFrame:
    frame = pd.DataFrame(
        {
            "bucket": pd.date_range("2026-11-28", periods=4, freq="30s", tz="UTC"),
            "requests": [300, 1500, 2100, 600],
            "rps": [10.0, 50.0, 70.0, 20.0],
            "p95_ms": [80.0, 250.0, 900.0, 60.0],
            "full": [True, True, True, False],
            "vus": [5, 20, 40, 2],
        }
    )
    return capacity.curve(frame, threshold_ms=300)


def test_each_bucket_is_coloured_by_what_it_is() -> None:
    spec = throughput_latency(_curve(), 300).to_dict()
    points = spec["layer"][0]
    data = spec["datasets"][points["data"]["name"]]
    assert [row["kind"] for row in data] == [SUSTAINED, SUSTAINED, OVER, PARTIAL]
    scale = points["encoding"]["color"]["scale"]
    colours = dict(zip(scale["domain"], scale["range"], strict=True))
    assert colours[SUSTAINED] == "#2ca02c" and colours[OVER] == "#d33" and colours[PARTIAL] == "#999999"
    assert points["encoding"]["y"]["scale"]["type"] == "log"  # a saturated bucket of seconds keeps the knee readable


def test_a_zero_p95_keeps_a_linear_scale() -> None:
    curve = _curve().assign(p95_ms=[0.0, 250.0, 900.0, 60.0])
    y = throughput_latency(curve, 300).to_dict()["layer"][0]["encoding"]["y"]
    assert "scale" not in y or y["scale"].get("type") != "log"
