"""The capacity plan's CPU sizing through AppTest, its figures recomputed here from the raw rows.

Production is a linked two-hour window: 120 minutes of requests (ItemCount 2 each, one row a minute) and the
% Processor Time and Private Bytes samples of two role instances; the load-test run's own window (the k6 fixture,
2026-11-28 05:46) has no counters, so the page says so for it instead of a zero.
"""

from __future__ import annotations

import math
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pandas as pd
import pytest
import streamlit as st
from sqlalchemy.engine import Engine
from streamlit.testing.v1 import AppTest

from tests.markdown_text import shown
from tests.pages.conftest import MAIN
from tests.pages.test_loadtest_pages import _store
from tests.telemetry_fixtures import write

START = datetime(2026, 11, 28, 2, 0, tzinfo=UTC)
END = START + timedelta(hours=2)
TIMEOUT = 60


def _requests() -> list[dict]:
    return [
        {
            "TimeGenerated": START + timedelta(minutes=m, seconds=20),
            "AppRoleName": "mana",
            "Name": "GET /api/shops",
            "Success": True,
            "ResultCode": "200",
            "DurationMs": 80.0,
            "ItemCount": 2,
        }
        for m in range(120)
    ]


def _counters() -> list[dict]:
    rows = []
    for m in range(120):
        for instance, cpu in (("mana-a", 30.0 + m % 7), ("mana-b", 50.0 + m % 5)):
            for category, name, value in (("Processor", "% Processor Time", cpu), ("Process", "Private Bytes", 5e8)):
                rows.append(
                    {
                        "TimeGenerated": START + timedelta(minutes=m, seconds=13),
                        "AppRoleName": "mana",
                        "AppRoleInstance": instance,
                        "Category": category,
                        "Name": name,
                        "Counter": name,
                        "Value": value,
                    }
                )
    return rows


@pytest.fixture
def cpu_env(sqlite_engine: Engine, isolated_settings: Path) -> Iterator[tuple[Engine, list[dict], list[dict]]]:
    reqs, pcs = _requests(), _counters()
    write(isolated_settings / "telemetry", "AppRequests", reqs)
    write(isolated_settings / "telemetry", "AppPerformanceCounters", pcs)
    st.cache_data.clear()
    st.cache_resource.clear()
    yield sqlite_engine, reqs, pcs
    st.cache_data.clear()
    st.cache_resource.clear()


def test_capacity_page_sizes_from_cpu_per_request_and_the_hpa_targets_the_utilisation(
    cpu_env: tuple[Engine, list[dict], list[dict]],
) -> None:
    engine, reqs, pcs = cpu_env
    run_id = _store(engine, "out.ndjson")
    at = AppTest.from_file(MAIN, default_timeout=TIMEOUT)
    at.run()
    at.query_params.update({"start": "2026-11-28T02:00:00Z", "end": "2026-11-28T04:00:00Z"})
    at.switch_page("../pages/capacity.py").run()
    assert not at.exception, at.exception
    at.number_input(key="capacity.bucket").set_value(1).run()
    at.number_input(key="capacity.utilisation").set_value(60).run()
    assert not at.exception, at.exception

    samples = pd.DataFrame(pcs)
    cpu_samples = samples[samples.Name == "% Processor Time"]
    average_cpu = cpu_samples.Value.mean()
    instances = cpu_samples.groupby("TimeGenerated").size().mean()  # two in every minute
    rps = sum(r["ItemCount"] for r in reqs) / 7200  # 240 requests / 2 h
    cpu_per_request = average_cpu * instances / rps
    peak = 2 / 60  # every minute holds one row of ItemCount 2
    by_cpu = math.ceil(peak * 1.3 * cpu_per_request / 60)
    # about (42.5 % × 2) / 0.0333 rps = 2,550 per request/s; ceil(0.0433 × 2,550 / 60 %) = ceil(1.84) = 2
    assert by_cpu == 2

    metrics = {m.label: m.value for m in at.metric}
    by_rps = int(metrics["Replicas by RPS"])
    assert metrics["Replicas by CPU"] == str(by_cpu)
    assert metrics["Replicas needed"] == str(max(by_rps, by_cpu))
    assert by_rps == 1  # the run's 21 RPS per replica covers the peak on one replica
    assert metrics["Binds"] == "CPU"
    table = next(d.value for d in at.dataframe if "CPU per request" in d.value.columns)
    assert list(table["from"]) == ["production"]
    assert table["CPU per request"].iloc[0] == pytest.approx(cpu_per_request)
    infos = " ".join(shown(i.value) for i in at.info)
    assert f"no performance counters for mana in the load-test run #{run_id} window" in infos
    assert "the SDK sends them every minute" in infos
    assert any("CPU per request = (average CPU % × instances) / requests per second" in c.value for c in at.caption)
    yaml = at.code[0].value
    assert yaml.splitlines()[-1] == "          averageUtilization: 60"
    assert f"  minReplicas: {max(by_rps, by_cpu)}\n" in yaml
